// Thread pool: one job at a time, chunks handed out by an atomic counter.
// Idle workers block on a condition variable, so an idle runtime uses no CPU.
#define _GNU_SOURCE
#include "ok_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

struct ok_pool {
    int threads;
    pthread_t *workers;
    pthread_mutex_t lock;
    pthread_cond_t wake;      // workers wait here for a new job
    pthread_cond_t finished;  // the caller waits here for the job's end
    uint64_t generation;      // bumped for each job
    int shutting_down;
    // The current job.
    ok_range_fn fn;
    void *ctx;
    int64_t n, chunk;
    atomic_llong next;        // next chunk start
    int active;               // workers still inside the current job
};

typedef struct { ok_pool *pool; int index; } worker_arg;

static void run_chunks(ok_pool *p, int thread) {
    for (;;) {
        int64_t begin = atomic_fetch_add(&p->next, p->chunk);
        if (begin >= p->n) break;
        int64_t end = begin + p->chunk < p->n ? begin + p->chunk : p->n;
        p->fn(p->ctx, begin, end, thread);
    }
}

static void *worker_main(void *raw) {
    worker_arg arg = *(worker_arg *)raw;
    free(raw);
    ok_pool *p = arg.pool;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->shutting_down && p->generation == seen) pthread_cond_wait(&p->wake, &p->lock);
        if (p->shutting_down) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);
        run_chunks(p, arg.index);
        pthread_mutex_lock(&p->lock);
        if (--p->active == 0) pthread_cond_signal(&p->finished);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static int available_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

ok_pool *ok_pool_create(int threads) {
    if (threads <= 0) threads = available_cpus();
    ok_pool *p = calloc(1, sizeof(ok_pool));
    if (!p) return NULL;
    p->threads = threads;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->finished, NULL);
    atomic_init(&p->next, 0);
    if (threads > 1) {
        p->workers = calloc((size_t)threads - 1, sizeof(pthread_t));
        for (int i = 0; i < threads - 1; i++) {
            worker_arg *arg = malloc(sizeof(worker_arg));
            arg->pool = p;
            arg->index = i + 1;
            if (pthread_create(&p->workers[i], NULL, worker_main, arg) != 0) {
                free(arg);
                p->threads = i + 1;  // run with the workers we got
                break;
            }
        }
    }
    return p;
}

void ok_pool_destroy(ok_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->shutting_down = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->threads - 1; i++) pthread_join(p->workers[i], NULL);
    free(p->workers);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->finished);
    free(p);
}

int ok_pool_threads(const ok_pool *p) { return p ? p->threads : 1; }

void ok_pool_parallel_for(ok_pool *p, int64_t n, int64_t grain, ok_range_fn fn, void *ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (!p || p->threads <= 1 || n <= grain) {
        fn(ctx, 0, n, 0);
        return;
    }
    // About four chunks per thread balances load without much overhead.
    int64_t chunk = (n + (int64_t)p->threads * 4 - 1) / ((int64_t)p->threads * 4);
    if (chunk < grain) chunk = grain;
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->chunk = chunk;
    atomic_store(&p->next, 0);
    p->active = p->threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    run_chunks(p, 0);
    pthread_mutex_lock(&p->lock);
    while (p->active > 0) pthread_cond_wait(&p->finished, &p->lock);
    pthread_mutex_unlock(&p->lock);
}
