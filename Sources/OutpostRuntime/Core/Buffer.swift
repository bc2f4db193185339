import COutpostSystem

/// Owned bytes: 64-byte aligned heap memory, a memory-mapped file, or a view that
/// keeps its parent alive. Tensors share buffers; the last owner releases them.
public final class Buffer {
    public let base: UnsafeMutableRawPointer
    public let byteCount: Int
    private let owner: Owner

    private enum Owner {
        case heap
        case mappedFile(op_mapped_file)
        case view(Buffer)
        case borrowed
    }

    /// Zero-filled, 64-byte aligned heap memory. Traps only if the system is out of memory.
    public init(zeroedBytes: Int) {
        let count = max(zeroedBytes, 1)
        guard let p = op_aligned_alloc(count) else { fatalError("out of memory allocating \(count) bytes") }
        p.initializeMemory(as: UInt8.self, repeating: 0, count: count)
        base = p
        byteCount = zeroedBytes
        owner = .heap
    }

    /// Heap copy of `count` bytes at `source`.
    public convenience init(copying source: UnsafeRawPointer, count: Int) {
        self.init(zeroedBytes: count)
        if count > 0 { base.copyMemory(from: source, byteCount: count) }
    }

    /// A memory map of the whole file at `path` (read-only: never write through it).
    public init(mappingFile path: String) throws(OutpostError) {
        var file = op_mapped_file()
        let err = path.withCString { op_map_file($0, &file) }
        if err != 0 {
            throw .io(path: path, reason: String(cString: op_strerror(err)))
        }
        if let data = file.data {
            base = data
        } else {
            // Empty file: point at a static empty allocation of our own.
            guard let p = op_aligned_alloc(64) else { fatalError("out of memory") }
            base = p
            file.data = p
            file.is_mapped = 0
        }
        byteCount = file.size
        owner = .mappedFile(file)
    }

    /// A view of `count` bytes at `offset` inside `parent`, keeping it alive.
    public init(viewOf parent: Buffer, offset: Int, count: Int) {
        base = parent.base + offset
        byteCount = count
        owner = .view(parent)
    }

    /// Memory owned elsewhere that outlives this buffer (e.g. the session arena).
    public init(borrowing pointer: UnsafeMutableRawPointer, count: Int) {
        base = pointer
        byteCount = count
        owner = .borrowed
    }

    /// For a mapped file: hands its resident pages back to the system. Call it once
    /// the bytes that were copied out (misaligned initializers) are no longer read:
    /// views still work, their pages are read from the file again when touched.
    /// A view passes the call to its parent; heap memory and the unmappable-file
    /// fallback are left alone.
    public func releaseResidentPages() {
        switch owner {
        case let .mappedFile(file): withUnsafePointer(to: file) { op_mapped_file_release_pages($0) }
        case let .view(parent): parent.releaseResidentPages()  // a model inside a package file
        case .heap, .borrowed: break
        }
    }

    deinit {
        switch owner {
        case .heap: op_aligned_free(base)
        case .mappedFile(var file): op_unmap_file(&file)
        case .view, .borrowed: break
        }
    }
}
