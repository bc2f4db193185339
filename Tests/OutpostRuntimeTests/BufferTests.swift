import Foundation
import Testing
@testable import OutpostRuntime

/// `Buffer.releaseResidentPages`: a mapped model file gives its pages back after
/// decoding (peak RSS), and the bytes read afterwards are still the file's.
@Suite struct BufferTests {
    /// Resident KB of the mapping that starts at `base`, from /proc/self/smaps.
    func residentKB(_ base: UnsafeMutableRawPointer) throws -> Int {
        let start = String(UInt(bitPattern: base), radix: 16)
        // Not String(contentsOfFile:): /proc files report size 0, read to the end.
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var inside = false
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), line[..<dash].allSatisfy(\.isHexDigit) {
                inside = line[..<dash].drop(while: { $0 == "0" }) == start[...]
            } else if inside, line.hasPrefix("Rss:") {
                return Int(line.split(separator: " ")[1])!
            }
        }
        Issue.record("mapping at 0x\(start) not found in /proc/self/smaps")
        return -1
    }

    @Test func releasedMapKeepsItsBytesAndLeavesMemory() throws {
        let path = NSTemporaryDirectory() + "outpost-buffer-\(getpid()).bin"
        let count = 1 << 20
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }

        let buffer = try Buffer(mappingFile: path)
        var sum = 0
        for i in 0..<count { sum &+= Int(buffer.base.load(fromByteOffset: i, as: UInt8.self)) }
        #expect(try residentKB(buffer.base) >= count / 1024)

        buffer.releaseResidentPages()
        #expect(try residentKB(buffer.base) < 64)
        // A view forwards to its parent; the bytes come back from the file unchanged.
        let view = Buffer(viewOf: buffer, offset: 4096, count: 4096)
        view.releaseResidentPages()
        var mismatches = 0
        for i in 0..<count where buffer.base.load(fromByteOffset: i, as: UInt8.self) != bytes[i] { mismatches += 1 }
        #expect(mismatches == 0)
        #expect(bytes.reduce(0) { $0 &+ Int($1) } == sum)
    }

    @Test func heapBufferIsLeftAlone() {
        let heap = Buffer(zeroedBytes: 4096)
        heap.base.storeBytes(of: 0x5A, toByteOffset: 100, as: UInt8.self)
        heap.releaseResidentPages()
        #expect(heap.base.load(fromByteOffset: 100, as: UInt8.self) == 0x5A)
    }

    @Test func lazyCopyIsMadeOnFirstAlignedAccessOnly() throws {
        let parent = Buffer(zeroedBytes: 64)
        for i in 0..<64 { parent.base.storeBytes(of: UInt8(i), toByteOffset: i, as: UInt8.self) }
        let lazy = Buffer(lazyCopyOf: parent, offset: 3, count: 16)
        // Readers that copy anyway see the original, misaligned bytes: no copy yet.
        #expect(!lazy.isMaterialized)
        #expect(lazy.readOnlyBase == UnsafeRawPointer(parent.base + 3))
        #expect(lazy.mappedRoot == nil)
        // `base` makes the aligned copy, once.
        let p = lazy.base
        #expect(lazy.isMaterialized)
        #expect(Int(bitPattern: p) % 64 == 0)
        #expect(lazy.base == p && lazy.readOnlyBase == UnsafeRawPointer(p))
        for i in 0..<16 { #expect(p.load(fromByteOffset: i, as: UInt8.self) == UInt8(i + 3)) }
    }

    @Test func releasingTheBytesOfAViewOrLazyCopyDropsOnlyTheirPages() throws {
        let path = NSTemporaryDirectory() + "outpost-buffer-range-\(getpid()).bin"
        let count = 1 << 20
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }

        let map = try Buffer(mappingFile: path)
        var sum = 0
        for i in 0..<count { sum &+= Int(map.base.load(fromByteOffset: i, as: UInt8.self)) }
        let before = try residentKB(map.base)
        // A misaligned lazy copy (never made) of half the file, as a packer leaves it.
        let lazy = Buffer(lazyCopyOf: map, offset: 4096 * 3 + 5, count: count / 2)
        #expect(lazy.mappedRoot === map)
        lazy.releaseResidentPagesOfBytes()
        #expect(!lazy.isMaterialized)
        let after = try residentKB(map.base)
        #expect(after <= before - 500 && after >= before - 516, "\(before) -> \(after) KB")
        // A view's pages likewise; the bytes read afterwards are the file's.
        Buffer(viewOf: map, offset: count * 3 / 4, count: count / 4).releaseResidentPagesOfBytes()
        #expect(try residentKB(map.base) <= after - 250)
        var check = 0
        for i in 0..<count { check &+= Int(map.base.load(fromByteOffset: i, as: UInt8.self)) }
        #expect(check == sum)
        #expect(lazy.base.load(fromByteOffset: 0, as: UInt8.self) == bytes[4096 * 3 + 5])
        // Heap bytes are never dropped.
        let heap = Buffer(zeroedBytes: 8192)
        heap.base.storeBytes(of: 0x5A, toByteOffset: 5000, as: UInt8.self)
        Buffer(viewOf: heap, offset: 0, count: 8192).releaseResidentPagesOfBytes()
        #expect(heap.base.load(fromByteOffset: 5000, as: UInt8.self) == 0x5A)
    }
}
