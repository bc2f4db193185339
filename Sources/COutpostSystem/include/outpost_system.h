// COutpostSystem: the device code's only door to the operating system.
//
// Device Swift code imports no Glibc/Foundation (it must also build as Embedded
// Swift), so files, memory, clocks, processes and errors go through these small
// typed C functions. Each one does one thing and reports failure through errno
// (read with op_errno / described with op_strerror).
#ifndef OUTPOST_SYSTEM_H
#define OUTPOST_SYSTEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- memory -------------------------------------------------------------
/// 64-byte aligned allocation (cache line / AVX-512 friendly). NULL on failure.
void *op_aligned_alloc(size_t bytes);
void op_aligned_free(void *p);

/// A lazily made aligned copy of bytes that are not aligned where they are (an
/// initializer's raw_data inside a mapped model: protobuf does not align it). The
/// copy is made on the first op_lazy_copy_get (thread-safe: racing callers get the
/// same copy); until then op_lazy_copy_peek returns the original, possibly misaligned,
/// address, so a reader that copies anyway (a weight packer) never causes a copy.
typedef struct op_lazy_copy op_lazy_copy;
/// NULL if out of memory. `source` must stay valid as long as the handle.
op_lazy_copy *op_lazy_copy_new(const void *source, size_t size);
/// The aligned copy (made now if needed); NULL if out of memory.
void *op_lazy_copy_get(op_lazy_copy *copy);
/// The copy if made, else the original bytes (possibly misaligned).
const void *op_lazy_copy_peek(const op_lazy_copy *copy);
/// 1 once the copy has been made.
int op_lazy_copy_is_made(const op_lazy_copy *copy);
void op_lazy_copy_free(op_lazy_copy *copy);
/// dst[r][i] = src[r][i] * row_scale[r] (row_scale NULL: plain copy) for `rows` rows of
/// `per_row` floats; `src` may be misaligned. dst must be float-aligned.
void op_copy_f32_scaled(float *dst, const void *src, size_t rows, size_t per_row, const float *row_scale);

/// Stable sort of the indices 0..<count into `order` by less(context, a, b) != 0
/// ("a before b"): one merge sort for every sort in the device code (in Embedded
/// Swift each element type or comparison would be a specialised copy). 0, or -1
/// if out of memory (order then holds 0..<count).
int op_sort_indices(size_t count, intptr_t *order, int (*less)(void *context, intptr_t a, intptr_t b), void *context);

// ---- system libraries opened on first use ---------------------------------
/// A system library opened with dlopen on first use (not linked: linking loads,
/// relocates and initialises it in every process), its functions resolved into
/// `slots` (symbols[i] → slots[i]). The library is getenv(env_var) if set, else
/// default_name. A static instance per library; `state` and `error` start zeroed.
typedef struct {
    const char *env_var;        // e.g. "OUTPOST_LIBCRYPTO"
    const char *default_name;   // e.g. "libcrypto.so.3"
    const char *title;          // e.g. "OpenSSL", for the error text
    const char *needed_for;     // e.g. "package signatures and digests"
    const char *const *symbols;
    void **slots;
    size_t count;
    int state;                  // 0 not tried, 1 loaded, -1 failed
    char error[512];            // why loading failed, naming the library
} op_shared_library;
/// For a library's shim file: from an X-macro list of its function names
/// (LIST(X) applies X to each), the function-pointer table `lib` (each slot typed
/// like the function it holds) and the names `symbols`, one per slot.
/// OP_SHARED_LIBRARY_SLOTS fills the matching fields of its op_shared_library.
#define OP_SHARED_LIBRARY_FIELD_(name) __typeof__(&name) name;
#define OP_SHARED_LIBRARY_NAME_(name) #name,
#define OP_SHARED_LIBRARY_TABLE(LIST)                                        \
    static struct { LIST(OP_SHARED_LIBRARY_FIELD_) } lib;                    \
    static const char *const symbols[] = {LIST(OP_SHARED_LIBRARY_NAME_)};    \
    _Static_assert(sizeof lib == sizeof symbols / sizeof *symbols * sizeof(void *), "one pointer per symbol")
#define OP_SHARED_LIBRARY_SLOTS .symbols = symbols, .slots = (void **)&lib, .count = sizeof symbols / sizeof *symbols
/// Loads once (thread-safe); 0 when every symbol resolved, else -1.
int op_shared_library_load(op_shared_library *lib);
/// Why the library could not be loaded ("" when it was).
const char *op_shared_library_error(op_shared_library *lib);

// ---- files --------------------------------------------------------------
/// A read-only memory map of a whole file. `data` is NULL for an empty file.
typedef struct {
    void *data;
    size_t size;
    int is_mapped;  // 1: munmap on release; 0: malloc'd copy (fallback)
} op_mapped_file;

/// Maps `path` read-only. Returns 0 on success, else errno.
int op_map_file(const char *path, op_mapped_file *out);
void op_unmap_file(op_mapped_file *file);
/// Drops the resident pages of a mapped file from this process's memory (RSS):
/// the map is private and read-only, so the next access reads the same bytes from
/// the file again. No effect on the malloc'd fallback copy.
void op_mapped_file_release_pages(const op_mapped_file *file);
/// The same for the whole pages inside bytes [offset, offset + count) of the map
/// (pages shared with bytes outside the range stay).
void op_mapped_file_release_range(const op_mapped_file *file, size_t offset, size_t count);

/// Reads a whole file into a malloc'd buffer (*out, *size). Returns 0 or errno.
int op_read_file(const char *path, uint8_t **out, size_t *size);
/// Writes bytes to path atomically (temp file + fsync + rename). Returns 0 or errno.
int op_write_file_atomic(const char *path, const uint8_t *data, size_t size);
/// 1 if path exists and is a directory, 0 otherwise.
int op_is_directory(const char *path);
/// 1 if path exists (any type), 0 otherwise.
int op_path_exists(const char *path);
/// Creates a directory (and parents). Returns 0 or errno.
int op_make_directories(const char *path);

/// Directory listing: names (without "." and ".."), sorted bytewise, joined by '\0'
/// into one malloc'd buffer; *count names. Returns 0 or errno. Free with free().
int op_list_directory(const char *path, char **names, size_t *bytes, size_t *count);
void op_free(void *p);

// ---- errors, output ----------------------------------------------------
int op_errno(void);
const char *op_strerror(int err);
/// Writes bytes to stdout (fd 1) or stderr (fd 2), retrying short writes.
void op_write_fd(int fd, const char *bytes, size_t count);

// ---- time, process -----------------------------------------------------
/// Monotonic clock in nanoseconds.
uint64_t op_monotonic_ns(void);
/// Wall clock: seconds since the Unix epoch (UTC).
int64_t op_unix_time_s(void);
/// Peak resident set size of this process, in KiB.
int64_t op_peak_rss_kb(void);
/// Number of CPUs this process may run on (sched_getaffinity), at least 1.
int op_available_cpus(void);
/// Value of an environment variable or NULL.
const char *op_getenv(const char *name);
/// Command-line arguments (captured at start-up: Embedded Swift has no CommandLine).
int op_argc(void);
const char *op_argv(int index);
void op_exit(int code);

// ---- numbers -----------------------------------------------------------
/// IEEE half -> single (exact) and single -> half (round to nearest even).
float op_f16_to_f32(uint16_t h);
uint16_t op_f32_to_f16(float f);
/// Formats a float/double with printf's "%.*g" into buf (NUL-terminated). Returns length.
int op_format_double(char *buf, size_t cap, double value, int significant);
/// Formats with printf's "%.*f" (fixed decimals). Returns length.
int op_format_fixed(char *buf, size_t cap, double value, int decimals);
/// Parses a decimal floating-point number (strtod). Returns 1 on success (whole string used).
int op_parse_double(const char *s, double *out);
/// xorshift-style deterministic random numbers for inputs and tests.
uint64_t op_random_next(uint64_t *state);

#ifdef __cplusplus
}
#endif
#endif
