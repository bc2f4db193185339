// op_sort_indices: the one stable sort of the device binary (see outpost_system.h).
#include "outpost_system.h"

#include <stdlib.h>
#include <string.h>

int op_sort_indices(size_t count, intptr_t *order, int (*less)(void *context, intptr_t a, intptr_t b), void *context) {
    for (size_t i = 0; i < count; i++) order[i] = (intptr_t)i;
    if (count < 2) return 0;
    intptr_t *buffer = malloc(count * sizeof *buffer);
    if (!buffer) return -1;
    intptr_t *src = order, *dst = buffer;
    // Bottom-up merge sort: stable (the left run wins ties), O(n log n).
    for (size_t width = 1; width < count; width *= 2) {
        for (size_t lo = 0; lo < count; lo += 2 * width) {
            size_t mid = lo + width < count ? lo + width : count;
            size_t hi = lo + 2 * width < count ? lo + 2 * width : count;
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi) dst[o++] = less(context, src[j], src[i]) ? src[j++] : src[i++];
            while (i < mid) dst[o++] = src[i++];
            while (j < hi) dst[o++] = src[j++];
        }
        intptr_t *t = src; src = dst; dst = t;
    }
    if (src != order) memcpy(order, src, count * sizeof *order);
    free(buffer);
    return 0;
}
