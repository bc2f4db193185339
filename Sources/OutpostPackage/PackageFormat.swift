import OutpostRuntime

/// Container layout constants (docs/package-format.md).
///
///     0   12  magic "OUTPOSTPKG\r\n"
///     12   4  format version (u32 LE) = 1
///     16   4  manifest length M (u32 LE, ≤ 16 MiB)
///     20   4  signature length S (u32 LE): 0 (unsigned) or 72
///     24   8  data section length D (u64 LE)
///     32   M  manifest (UTF-8 JSON)
///     32+M S  signature: key id (8 bytes) + Ed25519 signature (64 bytes)
///     ...     zero padding to the next multiple of 64 = data offset
///     data offset, D bytes: blobs at 64-byte aligned offsets (relative to the data offset)
///     file size = data offset + D exactly
///
/// The signature covers `signingContext` + header (32 bytes) + manifest.
public enum PackageFormat {
    public static let magic: [UInt8] = Array("OUTPOSTPKG\r\n".utf8)
    public static let version = 1
    public static let headerSize = 32
    public static let alignment = 64
    public static let maxManifestBytes = 16 << 20
    public static let keyIDBytes = 8
    public static let signatureBytes = 64
    public static var signatureSectionBytes: Int { keyIDBytes + signatureBytes }
    /// Domain separation: an Outpost package signature cannot be replayed as
    /// a signature over anything else signed with the same key.
    public static let signingContext: [UInt8] = Array("outpost-package-signature-v1".utf8) + [0]
    /// Version of this runtime, compared with requirements.min_runtime_version.
    public static let runtimeVersion = "0.1.0"

    static func align(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    static func header(manifestLength: Int, signatureLength: Int, dataLength: Int) -> [UInt8] {
        var h = magic
        append(&h, UInt64(version), 4)
        append(&h, UInt64(manifestLength), 4)
        append(&h, UInt64(signatureLength), 4)
        append(&h, UInt64(dataLength), 8)
        return h
    }

    static func append(_ out: inout [UInt8], _ v: UInt64, _ bytes: Int) {
        for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    static func read(_ p: UnsafeRawBufferPointer, _ offset: Int, _ bytes: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<bytes { v |= UInt64(p[offset + i]) << (8 * UInt64(i)) }
        return v
    }

    static func signedMessage(header: UnsafeRawBufferPointer, manifest: UnsafeRawBufferPointer) -> [UInt8] {
        var m = signingContext
        m.reserveCapacity(m.count + header.count + manifest.count)
        m.append(contentsOf: header)
        m.append(contentsOf: manifest)
        return m
    }
}

/// Sections of a container, located and checked for consistency (not yet trusted).
public struct ContainerLayout {
    public let formatVersion: Int
    public let manifestRange: Range<Int>
    /// nil when the signature length is 0.
    public let signatureRange: Range<Int>?
    public let dataOffset: Int
    public let dataLength: Int

    /// Parses the header and checks the file size against every section, in
    /// file order, so a truncated file names the section it ends in.
    public static func parse(_ p: UnsafeRawBufferPointer) throws(PackageError) -> ContainerLayout {
        let size = p.count
        let magic = PackageFormat.magic
        for i in 0..<magic.count where i >= size || p[i] != magic[i] {
            if i >= size { throw .truncated(section: "header", needed: PackageFormat.headerSize, fileSize: size) }
            throw .badMagic
        }
        guard size >= 16 else { throw .truncated(section: "header", needed: PackageFormat.headerSize, fileSize: size) }
        let version = Int(PackageFormat.read(p, 12, 4))
        guard version == PackageFormat.version else {
            throw .unsupportedFormatVersion(found: version, supported: PackageFormat.version)
        }
        guard size >= PackageFormat.headerSize else {
            throw .truncated(section: "header", needed: PackageFormat.headerSize, fileSize: size)
        }
        let m = Int(PackageFormat.read(p, 16, 4))
        let s = Int(PackageFormat.read(p, 20, 4))
        let d64 = PackageFormat.read(p, 24, 8)
        guard m > 0, m <= PackageFormat.maxManifestBytes else {
            throw .malformedContainer(String(outlined: "manifest length \(m) is outside 1…\(PackageFormat.maxManifestBytes) bytes"))
        }
        guard s == 0 || s == PackageFormat.signatureSectionBytes else {
            throw .malformedContainer(String(outlined: "signature length \(s) (expected 0 or \(PackageFormat.signatureSectionBytes))"))
        }
        guard d64 < 1 << 48 else { throw .malformedContainer(String(outlined: "data section length \(d64) is implausible")) }
        let d = Int(d64)
        let manifestEnd = PackageFormat.headerSize + m
        guard size >= manifestEnd else { throw .truncated(section: "manifest", needed: manifestEnd, fileSize: size) }
        let signatureEnd = manifestEnd + s
        guard size >= signatureEnd else { throw .truncated(section: "signature", needed: signatureEnd, fileSize: size) }
        let dataOffset = PackageFormat.align(signatureEnd)
        guard size >= dataOffset else { throw .truncated(section: "padding", needed: dataOffset, fileSize: size) }
        for i in signatureEnd..<dataOffset where p[i] != 0 {
            throw .malformedContainer(String(outlined: "non-zero padding byte at offset \(i)"))
        }
        guard size >= dataOffset + d else { throw .truncated(section: "blob data", needed: dataOffset + d, fileSize: size) }
        guard size == dataOffset + d else {
            throw .malformedContainer(String(outlined: "\(size - dataOffset - d) unexpected bytes after the data section (file \(size) bytes, expected \(dataOffset + d))"))
        }
        return ContainerLayout(formatVersion: version, manifestRange: PackageFormat.headerSize..<manifestEnd,
                               signatureRange: s == 0 ? nil : manifestEnd..<signatureEnd,
                               dataOffset: dataOffset, dataLength: d)
    }

    /// Checks every blob of the manifest lies inside the data section.
    public func checkBounds(_ manifest: Manifest) throws(PackageError) {
        for b in manifest.blobs where b.offset > dataLength || b.length > dataLength - b.offset {
            throw .blobOutOfBounds(String(outlined: "blob '\(b.name)' [\(b.offset), \(b.offset + b.length)) lies outside the data section (\(dataLength) bytes)"))
        }
    }
}

/// Assembles and signs a container from a manifest and blob contents.
public enum PackageWriter {
    /// Lays out `blobs` (name, kind, bytes) at 64-byte aligned offsets, fills
    /// `manifest.blobs` with their offsets, lengths and digests, signs, and
    /// returns the whole file. `manifest.keyID` is set from the key.
    public static func write(manifest: Manifest, blobs: [(name: String, kind: String, bytes: [UInt8])],
                             key: PrivateKey?) throws(PackageError) -> [UInt8] {
        var m = manifest
        m.blobs = []
        var data = [UInt8]()
        for b in blobs {
            let offset = PackageFormat.align(data.count)
            data.append(contentsOf: [UInt8](repeating: 0, count: offset - data.count))
            data.append(contentsOf: b.bytes)
            m.blobs.append(BlobEntry(name: b.name, kind: b.kind, offset: offset, length: b.bytes.count,
                                     sha256: Hex.encode(SHA256.digest(b.bytes))))
        }
        if let key { m.keyID = key.publicKey.keyID }
        return try assemble(manifestBytes: m.encoded(), data: data, key: key)
    }

    /// The low-level container writer (tests use it to build malformed packages).
    public static func assemble(manifestBytes: [UInt8], data: [UInt8], key: PrivateKey?,
                                formatVersion: Int = PackageFormat.version) throws(PackageError) -> [UInt8] {
        guard manifestBytes.count <= PackageFormat.maxManifestBytes else {
            throw .invalidInput(String(outlined: "the manifest is \(manifestBytes.count) bytes; the limit is \(PackageFormat.maxManifestBytes)"))
        }
        let sigLength = key == nil ? 0 : PackageFormat.signatureSectionBytes
        var header = PackageFormat.header(manifestLength: manifestBytes.count, signatureLength: sigLength, dataLength: data.count)
        if formatVersion != PackageFormat.version {
            header[12] = UInt8(truncatingIfNeeded: formatVersion)
        }
        var file = header
        file.append(contentsOf: manifestBytes)
        if let key {
            let message = header.withUnsafeBytes { h in manifestBytes.withUnsafeBytes { PackageFormat.signedMessage(header: h, manifest: $0) } }
            file.append(contentsOf: key.publicKey.rawKeyID)
            file.append(contentsOf: try key.sign(message))
        }
        file.append(contentsOf: [UInt8](repeating: 0, count: PackageFormat.align(file.count) - file.count))
        file.append(contentsOf: data)
        return file
    }
}
