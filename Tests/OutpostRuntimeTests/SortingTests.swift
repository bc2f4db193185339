import Testing
@testable import OutpostRuntime

/// `stableSorted`: the one sort the device code uses (see Core/Sorting.swift).
@Suite struct SortingTests {
    @Test func sortsAndKeepsEqualElementsInOrder() {
        #expect(stableSorted([Int](), by: <) == [])
        #expect(stableSorted([7], by: <) == [7])
        // Pseudo-random keys with many ties, at sizes around the merge widths.
        for n in [2, 3, 5, 8, 9, 31, 64, 100, 257] {
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(n)
            var pairs = [(key: Int, seq: Int)]()
            for i in 0..<n {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                pairs.append((Int(state >> 59), i))
            }
            let sorted = stableSorted(pairs) { $0.key < $1.key }
            #expect(sorted.count == n)
            for k in 1..<n {
                let a = sorted[k - 1], b = sorted[k]
                #expect(a.key < b.key || (a.key == b.key && a.seq < b.seq), "n \(n) at \(k)")
            }
            let plain = stableSorted(pairs.map { $0.key }, by: >)
            #expect(plain == pairs.map { $0.key }.sorted(by: >))
        }
    }
}
