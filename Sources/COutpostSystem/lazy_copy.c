// Lazy aligned copies of misaligned bytes (see op_lazy_copy in outpost_system.h).
#include "outpost_system.h"

#include <stdlib.h>
#include <string.h>

struct op_lazy_copy {
    void *data;             // the aligned copy once made, else NULL (__atomic_* access)
    const void *source;     // the misaligned original (inside a mapped model)
    size_t size;
};

op_lazy_copy *op_lazy_copy_new(const void *source, size_t size) {
    op_lazy_copy *c = malloc(sizeof *c);
    if (!c) return NULL;
    c->data = NULL;
    c->source = source;
    c->size = size;
    return c;
}

void *op_lazy_copy_get(op_lazy_copy *c) {
    void *d = __atomic_load_n(&c->data, __ATOMIC_ACQUIRE);
    if (d) return d;
    void *fresh = op_aligned_alloc(c->size ? c->size : 1);
    if (!fresh) return NULL;
    if (c->size) memcpy(fresh, c->source, c->size);
    void *expected = NULL;
    // Two threads may race to make the copy: the first one wins, the other frees its own.
    if (__atomic_compare_exchange_n(&c->data, &expected, fresh, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return fresh;
    op_aligned_free(fresh);
    return expected;
}

const void *op_lazy_copy_peek(const op_lazy_copy *c) {
    void *d = __atomic_load_n(&((op_lazy_copy *)c)->data, __ATOMIC_ACQUIRE);
    return d ? d : c->source;
}

int op_lazy_copy_is_made(const op_lazy_copy *c) {
    return __atomic_load_n(&((op_lazy_copy *)c)->data, __ATOMIC_ACQUIRE) != NULL;
}

void op_lazy_copy_free(op_lazy_copy *c) {
    if (!c) return;
    if (c->data) op_aligned_free(c->data);
    free(c);
}

void op_copy_f32_scaled(float *dst, const void *src, size_t rows, size_t per_row, const float *row_scale) {
    const unsigned char *s = src;
    for (size_t r = 0; r < rows; r++) {
        float k = row_scale ? row_scale[r] : 1.0f;
        for (size_t i = 0; i < per_row; i++) {
            float v;
            memcpy(&v, s + (r * per_row + i) * sizeof v, sizeof v);  // src may be misaligned
            dst[r * per_row + i] = row_scale ? v * k : v;
        }
    }
}
