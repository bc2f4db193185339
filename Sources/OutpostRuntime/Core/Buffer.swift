import COutpostSystem

/// Owned bytes: 64-byte aligned heap memory, a memory-mapped file, a view that
/// keeps its parent alive, or a lazy aligned copy of misaligned bytes inside a parent.
/// Tensors share buffers; the last owner releases them.
public final class Buffer {
    /// nil only for a lazy copy (`base` makes the copy on first use).
    private let storage: UnsafeMutableRawPointer?
    public let byteCount: Int
    private let owner: Owner

    private enum Owner {
        case heap
        case mappedFile(op_mapped_file)
        case view(Buffer)
        case borrowed
        case lazyCopy(Buffer, OpaquePointer)
    }

    /// The bytes, aligned as allocated or mapped. For a lazy copy the first access
    /// makes the aligned heap copy (see `init(lazyCopyOf:offset:count:)`).
    /// Inlined to a field load (the lazy copy is out of line): a call here made every
    /// caller retain the buffer around it (operators read their tensors' pointers in
    /// every run).
    public var base: UnsafeMutableRawPointer {
        @inline(__always) get {
            if let storage { return storage }
            return lazyBase()
        }
    }

    @inline(never) private func lazyBase() -> UnsafeMutableRawPointer {
        guard case let .lazyCopy(_, copy) = owner, let p = op_lazy_copy_get(copy) else {
            fatalError(String(outlined: "out of memory copying \(byteCount) bytes"))
        }
        return p
    }

    /// The bytes without making a lazy copy: its original (possibly misaligned)
    /// address until the copy is made. For readers that copy the bytes anyway
    /// (weight packers), so weights that are only packed are never copied.
    public var readOnlyBase: UnsafeRawPointer {
        if let storage { return UnsafeRawPointer(storage) }
        guard case let .lazyCopy(_, copy) = owner else { fatalError("unreachable") }
        return op_lazy_copy_peek(copy)
    }

    /// False for a lazy copy not made yet.
    public var isMaterialized: Bool {
        if case let .lazyCopy(_, copy) = owner { return op_lazy_copy_is_made(copy) != 0 }
        return true
    }

    /// Zero-filled, 64-byte aligned heap memory. Traps only if the system is out of memory.
    public init(zeroedBytes: Int) {
        let count = max(zeroedBytes, 1)
        guard let p = op_aligned_alloc(count) else { fatalError(String(outlined: "out of memory allocating \(count) bytes")) }
        p.initializeMemory(as: UInt8.self, repeating: 0, count: count)
        storage = p
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
            storage = data
        } else {
            // Empty file: point at a static empty allocation of our own.
            guard let p = op_aligned_alloc(64) else { fatalError("out of memory") }
            storage = p
            file.data = p
            file.is_mapped = 0
        }
        byteCount = file.size
        owner = .mappedFile(file)
    }

    /// A view of `count` bytes at `offset` inside `parent`, keeping it alive.
    public init(viewOf parent: Buffer, offset: Int, count: Int) {
        storage = parent.base + offset
        byteCount = count
        owner = .view(parent)
    }

    /// `count` bytes at `offset` inside `parent` that are not aligned there: an
    /// aligned heap copy is made on the first `base` access only (readers that go
    /// through `readOnlyBase` never cause it). Keeps `parent` alive.
    public init(lazyCopyOf parent: Buffer, offset: Int, count: Int) {
        guard let copy = op_lazy_copy_new(parent.readOnlyBase + offset, count) else { fatalError("out of memory") }
        storage = nil
        byteCount = count
        owner = .lazyCopy(parent, copy)
    }

    /// Memory owned elsewhere that outlives this buffer (e.g. the session arena).
    public init(borrowing pointer: UnsafeMutableRawPointer, count: Int) {
        storage = pointer
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
        case let .lazyCopy(parent, _): parent.releaseResidentPages()
        case .heap, .borrowed: break
        }
    }

    /// For bytes inside a mapped file (a view or a lazy copy not made yet): hands back
    /// the whole pages they cover, like `releaseResidentPages` for one range. For a
    /// reader done with bytes it copied (a weight packer). Anything else: no effect.
    public func releaseResidentPagesOfBytes() {
        guard let root = mappedRoot, let rootBase = root.storage, case let .mappedFile(file) = root.owner else { return }
        let address: UnsafeRawPointer
        switch owner {
        case .view: address = UnsafeRawPointer(base)
        case let .lazyCopy(_, copy) where op_lazy_copy_is_made(copy) == 0: address = op_lazy_copy_peek(copy)
        default: return  // the map itself, or a lazy copy already made (its source is not read again)
        }
        let start = Int(bitPattern: address) - Int(bitPattern: rootBase)
        if start < 0 || start + byteCount > root.byteCount { return }
        withUnsafePointer(to: file) { op_mapped_file_release_range($0, start, byteCount) }
    }

    /// The mapped file this buffer's bytes live in (through views and lazy copies), if any.
    public var mappedRoot: Buffer? {
        switch owner {
        case .mappedFile: return self
        case let .view(parent), let .lazyCopy(parent, _): return parent.mappedRoot
        case .heap, .borrowed: return nil
        }
    }

    deinit {
        switch owner {
        case .heap: op_aligned_free(storage)
        case .mappedFile(var file): op_unmap_file(&file)
        case let .lazyCopy(_, copy): op_lazy_copy_free(copy)
        case .view, .borrowed: break
        }
    }
}
