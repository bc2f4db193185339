// A small thread pool: workers sleep on a condition variable when idle (no
// spinning), the calling thread takes part in the work.
#ifndef OUTPOST_OK_POOL_H
#define OUTPOST_OK_POOL_H
#include <stdint.h>

typedef struct ok_pool ok_pool;

/// Creates a pool that runs parallel loops on `threads` threads in total
/// (the caller plus threads-1 workers). threads <= 0 means the CPUs available.
ok_pool *ok_pool_create(int threads);
void ok_pool_destroy(ok_pool *pool);
int ok_pool_threads(const ok_pool *pool);
/// CPU time (ns) used so far by the pool's worker threads (diagnostics, tests:
/// an idle pool's workers must not accumulate any).
uint64_t ok_pool_worker_cpu_ns(const ok_pool *pool);

/// Work item: process [begin, end) on thread number `thread` (0..threads-1).
typedef void (*ok_range_fn)(void *ctx, int64_t begin, int64_t end, int thread);

/// Splits [0, n) into chunks of at least `grain` items and runs them on the pool;
/// returns when all are done. Runs inline when pool is NULL, has one thread, or
/// n <= grain. Not re-entrant: do not call from inside a work item.
void ok_pool_parallel_for(ok_pool *pool, int64_t n, int64_t grain, ok_range_fn fn, void *ctx);

#endif
