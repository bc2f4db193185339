import CKernels
import Foundation
import Testing

/// The kernels' thread pool: every index runs exactly once, jobs follow each
/// other without loss, and idle workers sleep instead of spinning.
@Suite struct ThreadPoolTests {

    @Test func everyIndexRunsExactlyOnceAcrossManyJobs() {
        let pool = ok_pool_create(2)
        defer { ok_pool_destroy(pool) }
        #expect(ok_pool_threads(pool) == 2)
        // Chunks are disjoint, so plain increments through a raw pointer are race-free.
        let hits = UnsafeMutablePointer<Int32>.allocate(capacity: 1000)
        hits.initialize(repeating: 0, count: 1000)
        defer { hits.deallocate() }
        for job in 0..<2000 {
            let n = Int64(1 + job % 1000)
            ok_pool_parallel_for(pool, n, 1, { ctx, begin, end, _ in
                let h = ctx!.assumingMemoryBound(to: Int32.self)
                for i in Int(begin)..<Int(end) { h[i] += 1 }
            }, hits)
        }
        // Index i was covered by every job with n > i: jobs are n = 1...1000, twice over.
        for i in 0..<1000 {
            let expected = Int32(2 * (1000 - i))
            if hits[i] != expected {
                Issue.record("index \(i) ran \(hits[i]) times, expected \(expected)")
                break
            }
        }
    }

    @Test func idleWorkersSleep() throws {
        let pool = ok_pool_create(2)
        defer { ok_pool_destroy(pool) }
        // One job wakes the worker, then the pool stays idle.
        ok_pool_parallel_for(pool, 1000, 1, { _, _, _, _ in }, nil)
        usleep(50_000)  // past the brief spin after a job
        // Worker threads' own CPU clocks: other tests running meanwhile do not count.
        let before = ok_pool_worker_cpu_ns(pool)
        usleep(500_000)
        let used = Double(ok_pool_worker_cpu_ns(pool) - before) / 1e9
        // A spinning worker would burn ~0.5 s of CPU here.
        #expect(used < 0.01, "idle pool workers used \(used) s of CPU in 0.5 s")
    }
}
