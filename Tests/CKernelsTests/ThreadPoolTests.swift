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

    /// Thread ids of this process (Linux /proc).
    static func taskIDs() -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? [])
    }

    /// CPU seconds (user + system) used by the given threads.
    static func cpuSeconds(of tids: Set<String>) -> Double {
        let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
        var total = 0.0
        for tid in tids {
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 12, let u = Double(fields[11]), let s = Double(fields[12]) { total += (u + s) / tick }
        }
        return total
    }

    @Test func idleWorkersSleep() throws {
        // Only the pool's own worker threads are measured: other suites run
        // concurrently in this process, so process-wide CPU time is not a signal.
        let before = Self.taskIDs()
        let pool = ok_pool_create(2)
        defer { ok_pool_destroy(pool) }
        let workers = Self.taskIDs().subtracting(before)
        #expect(!workers.isEmpty)
        // One job wakes the worker, then the pool stays idle.
        ok_pool_parallel_for(pool, 1000, 1, { _, _, _, _ in }, nil)
        usleep(50_000)  // past the brief spin after a job
        let start = Self.cpuSeconds(of: workers)
        usleep(500_000)
        let used = Self.cpuSeconds(of: workers) - start
        // A spinning worker would burn ~0.5 s of CPU here (clock ticks are 10 ms).
        #expect(used < 0.05, "idle pool workers used \(used) s of CPU in 0.5 s")
    }
}
