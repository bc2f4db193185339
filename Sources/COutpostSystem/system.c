// Implementation of the COutpostSystem shims: thin, typed wrappers over POSIX.
#define _GNU_SOURCE
// 64-bit off_t/ino_t on 32-bit targets (armv7): without it readdir/stat fail with
// EOVERFLOW on file systems with 64-bit inode numbers or directory offsets (seen under
// qemu-arm: `conformance models` found no test folders) and files over 2 GB can't be
// opened. No effect on 64-bit targets.
#define _FILE_OFFSET_BITS 64
#include "outpost_system.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void *op_aligned_alloc(size_t bytes) {
    void *p = NULL;
    if (bytes == 0) bytes = 64;
    if (posix_memalign(&p, 64, bytes) != 0) return NULL;
    return p;
}

void op_aligned_free(void *p) { free(p); }
void op_free(void *p) { free(p); }

int op_map_file(const char *path, op_mapped_file *out) {
    out->data = NULL;
    out->size = 0;
    out->is_mapped = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    struct stat st;
    if (fstat(fd, &st) != 0) { int e = errno; close(fd); return e; }
    if (S_ISDIR(st.st_mode)) { close(fd); return EISDIR; }
    size_t size = (size_t)st.st_size;
    if (size == 0) { close(fd); return 0; }
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        // Some file systems cannot be mapped: fall back to reading a copy.
        void *buf = malloc(size);
        if (!buf) { close(fd); return ENOMEM; }
        size_t done = 0;
        while (done < size) {
            ssize_t n = read(fd, (char *)buf + done, size - done);
            if (n < 0) { if (errno == EINTR) continue; int e = errno; free(buf); close(fd); return e; }
            if (n == 0) break;
            done += (size_t)n;
        }
        close(fd);
        out->data = buf;
        out->size = done;
        return 0;
    }
    close(fd);
    out->data = p;
    out->size = size;
    out->is_mapped = 1;
    return 0;
}

void op_unmap_file(op_mapped_file *file) {
    if (!file->data) return;
    if (file->is_mapped) munmap(file->data, file->size);
    else free(file->data);
    file->data = NULL;
    file->size = 0;
}

void op_mapped_file_release_pages(const op_mapped_file *file) {
    if (file->data && file->is_mapped) madvise(file->data, file->size, MADV_DONTNEED);
}

void op_mapped_file_release_range(const op_mapped_file *file, size_t offset, size_t count) {
    if (!file->data || !file->is_mapped || offset >= file->size) return;
    if (count > file->size - offset) count = file->size - offset;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)file->data + offset + page - 1) & ~(page - 1);
    uintptr_t hi = ((uintptr_t)file->data + offset + count) & ~(page - 1);
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

int op_read_file(const char *path, uint8_t **out, size_t *size) {
    *out = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) { close(fd); return ENOMEM; }
    for (;;) {
        if (len == cap) {
            cap *= 2;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) { free(buf); close(fd); return ENOMEM; }
            buf = nb;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0) { if (errno == EINTR) continue; int e = errno; free(buf); close(fd); return e; }
        if (n == 0) break;
        len += (size_t)n;
    }
    close(fd);
    *out = buf;
    *size = len;
    return 0;
}

int op_write_file_atomic(const char *path, const uint8_t *data, size_t size) {
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) return ENOMEM;
    snprintf(tmp, plen + 16, "%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) { int e = errno; free(tmp); return e; }
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno; close(fd); unlink(tmp); free(tmp); return e;
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0) { int e = errno; close(fd); unlink(tmp); free(tmp); return e; }
    if (close(fd) != 0) { int e = errno; unlink(tmp); free(tmp); return e; }
    if (rename(tmp, path) != 0) { int e = errno; unlink(tmp); free(tmp); return e; }
    free(tmp);
    return 0;
}

int op_is_directory(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int op_path_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

int op_make_directories(const char *path) {
    size_t len = strlen(path);
    char *buf = malloc(len + 1);
    if (!buf) return ENOMEM;
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char saved = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) { int e = errno; free(buf); return e; }
            buf[i] = saved;
        }
    }
    free(buf);
    return op_is_directory(path) ? 0 : ENOTDIR;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int op_list_directory(const char *path, char **names, size_t *bytes, size_t *count) {
    *names = NULL;
    *bytes = 0;
    *count = 0;
    DIR *dir = opendir(path);
    if (!dir) return errno;
    size_t n = 0, cap = 16;
    char **list = malloc(cap * sizeof(char *));
    if (!list) { closedir(dir); return ENOMEM; }
    struct dirent *ent;
    size_t total = 0;
    while ((ent = readdir(dir)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
        if (n == cap) {
            cap *= 2;
            char **nl = realloc(list, cap * sizeof(char *));
            if (!nl) break;
            list = nl;
        }
        list[n] = strdup(ent->d_name);
        total += strlen(ent->d_name) + 1;
        n++;
    }
    closedir(dir);
    qsort(list, n, sizeof(char *), compare_names);
    char *out = malloc(total ? total : 1);
    if (!out) { for (size_t i = 0; i < n; i++) free(list[i]); free(list); return ENOMEM; }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list[i]) + 1;
        memcpy(out + off, list[i], l);
        off += l;
        free(list[i]);
    }
    free(list);
    *names = out;
    *bytes = total;
    *count = n;
    return 0;
}

int op_errno(void) { return errno; }
const char *op_strerror(int err) { return strerror(err); }

void op_write_fd(int fd, const char *bytes, size_t count) {
    size_t done = 0;
    while (done < count) {
        ssize_t n = write(fd, bytes + done, count - done);
        if (n < 0) { if (errno == EINTR) continue; return; }
        done += (size_t)n;
    }
}

uint64_t op_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t op_unix_time_s(void) { return (int64_t)time(NULL); }

int64_t op_peak_rss_kb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
    return (int64_t)ru.ru_maxrss;  // Linux reports KiB
}

int op_available_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

const char *op_getenv(const char *name) { return getenv(name); }

// glibc passes (argc, argv, envp) to ELF constructors, which lets us capture the
// arguments without a C main.
static int saved_argc;
static char **saved_argv;
__attribute__((constructor)) static void capture_arguments(int argc, char **argv, char **envp) {
    (void)envp;
    saved_argc = argc;
    saved_argv = argv;
}
int op_argc(void) { return saved_argc; }
const char *op_argv(int index) { return (index >= 0 && index < saved_argc) ? saved_argv[index] : NULL; }
void op_exit(int code) { fflush(NULL); exit(code); }

float op_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            int e = -1;
            do { mant <<= 1; e++; } while ((mant & 0x400) == 0);
            mant &= 0x3ff;
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | (mant << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t op_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t exp = (x >> 23) & 0xff;
    uint32_t mant = x & 0x7fffff;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7c00);
    if (e <= 0) {
        if (e < -10) return (uint16_t)sign;
        mant |= 0x800000;
        int shift = 14 - e;
        uint32_t half = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1);
        uint32_t mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)e << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++;
    return (uint16_t)half;
}

int op_format_double(char *buf, size_t cap, double value, int significant) {
    int n = snprintf(buf, cap, "%.*g", significant, value);
    return n < 0 ? 0 : (n >= (int)cap ? (int)cap - 1 : n);
}

int op_format_fixed(char *buf, size_t cap, double value, int decimals) {
    int n = snprintf(buf, cap, "%.*f", decimals, value);
    return n < 0 ? 0 : (n >= (int)cap ? (int)cap - 1 : n);
}

int op_parse_double(const char *s, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0') return 0;
    *out = v;
    return 1;
}

uint64_t op_random_next(uint64_t *state) {
    // splitmix64: small, fast, good enough for test data and random inputs.
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
