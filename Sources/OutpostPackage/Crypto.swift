import COutpostCrypto
import COutpostSystem
import OutpostRuntime

/// libcrypto is opened on first use (see COutpostCrypto): this throws, naming the
/// library, when it cannot be loaded.
public enum CryptoLibrary {
    public static func require() throws(PackageError) {
        if oc_load_library() != 0 { throw .crypto(String(cString: oc_library_error())) }
    }
}

/// SHA-256 over libcrypto, streaming or one-shot.
public final class SHA256 {
    private let ctx: OpaquePointer

    public init() throws(PackageError) {
        guard let c = oc_sha256_new() else { throw .crypto(String(outlined: "cannot create a SHA-256 context: \(Hex.lastCryptoError())")) }
        ctx = c
    }

    deinit { oc_sha256_free(ctx) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        _ = oc_sha256_update(ctx, base, bytes.count)
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest; the state is reset for reuse.
    public func finish() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = out.withUnsafeMutableBufferPointer { oc_sha256_final(ctx, $0.baseAddress) }
        return out
    }

    public static func digest(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = out.withUnsafeMutableBufferPointer { oc_sha256(bytes.baseAddress, bytes.count, $0.baseAddress) }
        return out
    }

    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { digest($0) }
    }
}

/// An Ed25519 public key (32 raw bytes) and its key id.
public struct PublicKey: Equatable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(PackageError) {
        guard bytes.count == 32 else { throw .crypto(String(outlined: "an Ed25519 public key has 32 bytes, got \(bytes.count)")) }
        self.bytes = bytes
    }

    /// The first 8 bytes of SHA-256(raw key): what the signature section names.
    public var rawKeyID: [UInt8] { Array(SHA256.digest(bytes).prefix(8)) }
    /// Key id as text: 16 hex digits.
    public var keyID: String { Hex.encode(rawKeyID) }

    public func verify(_ signature: [UInt8], message: [UInt8]) throws(PackageError) -> Bool {
        guard signature.count == 64 else { return false }
        let rc = bytes.withUnsafeBufferPointer { key in
            signature.withUnsafeBufferPointer { sig in
                message.withUnsafeBytes { msg in
                    oc_ed25519_verify(key.baseAddress, msg.baseAddress, msg.count, sig.baseAddress)
                }
            }
        }
        if rc < 0 { throw .crypto(String(outlined: "Ed25519 verification failed to run: \(Hex.lastCryptoError())")) }
        return rc == 1
    }

    public static let fileTag = "outpost-ed25519-public"

    /// "outpost-ed25519-public <64 hex digits>\n"
    public var fileText: String { String(outlined: "\(PublicKey.fileTag) \(Hex.encode(bytes))\n") }

    public static func read(path: String) throws(PackageError) -> PublicKey {
        let text = try KeyFile.readText(path)
        let raw = try KeyFile.parse(text, tag: fileTag, path: path)
        do { return try PublicKey(bytes: raw) } catch { throw .invalidKey(path: path, reason: error.description) }
    }
}

/// An Ed25519 private key (the 32-byte seed). The bytes are wiped when released.
public final class PrivateKey {
    private var seed: [UInt8]
    public let publicKey: PublicKey

    public init(seed: [UInt8]) throws(PackageError) {
        guard seed.count == 32 else { throw .crypto(String(outlined: "an Ed25519 private key has 32 bytes, got \(seed.count)")) }
        var pub = [UInt8](repeating: 0, count: 32)
        let rc = seed.withUnsafeBufferPointer { s in pub.withUnsafeMutableBufferPointer { oc_ed25519_public_key(s.baseAddress, $0.baseAddress) } }
        if rc != 0 { throw .crypto(String(outlined: "cannot derive the public key: \(Hex.lastCryptoError())")) }
        self.seed = seed
        publicKey = try PublicKey(bytes: pub)
    }

    /// A fresh key pair from the system CSPRNG.
    public static func generate() throws(PackageError) -> PrivateKey {
        var seed = [UInt8](repeating: 0, count: 32)
        var pub = [UInt8](repeating: 0, count: 32)
        let rc = seed.withUnsafeMutableBufferPointer { s in pub.withUnsafeMutableBufferPointer { oc_ed25519_generate(s.baseAddress, $0.baseAddress) } }
        if rc != 0 { throw .crypto(String(outlined: "key generation failed: \(Hex.lastCryptoError())")) }
        let key = try PrivateKey(seed: seed)
        seed.withUnsafeMutableBytes { oc_cleanse($0.baseAddress, $0.count) }
        return key
    }

    deinit { seed.withUnsafeMutableBytes { oc_cleanse($0.baseAddress, $0.count) } }

    public func sign(_ message: [UInt8]) throws(PackageError) -> [UInt8] {
        var sig = [UInt8](repeating: 0, count: 64)
        let rc = seed.withUnsafeBufferPointer { key in
            message.withUnsafeBytes { msg in
                sig.withUnsafeMutableBufferPointer { oc_ed25519_sign(key.baseAddress, msg.baseAddress, msg.count, $0.baseAddress) }
            }
        }
        if rc != 0 { throw .crypto(String(outlined: "signing failed: \(Hex.lastCryptoError())")) }
        return sig
    }

    public static let fileTag = "outpost-ed25519-private"

    /// "outpost-ed25519-private <64 hex digits>\n"
    public var fileText: String { String(outlined: "\(PrivateKey.fileTag) \(Hex.encode(seed))\n") }

    public static func read(path: String) throws(PackageError) -> PrivateKey {
        let text = try KeyFile.readText(path)
        var raw = try KeyFile.parse(text, tag: fileTag, path: path)
        defer { raw.withUnsafeMutableBytes { oc_cleanse($0.baseAddress, $0.count) } }
        do { return try PrivateKey(seed: raw) } catch { throw .invalidKey(path: path, reason: error.description) }
    }

    /// Writes PREFIX.key (mode 0600, refused if it exists) and PREFIX.pub.
    public func write(prefix: String) throws(PackageError) {
        let keyPath = prefix + ".key", pubPath = prefix + ".pub"
        var text = Array(fileText.utf8)
        defer { text.withUnsafeMutableBytes { oc_cleanse($0.baseAddress, $0.count) } }
        let err = keyPath.withCString { p in text.withUnsafeBufferPointer { oc_write_private_file(p, $0.baseAddress, $0.count, 1) } }
        if err != 0 { throw .io(path: keyPath, reason: String(cString: op_strerror(err))) }
        try FileIO.write(Array(publicKey.fileText.utf8), to: pubPath)
    }
}

enum KeyFile {
    static func readText(_ path: String) throws(PackageError) -> String {
        let bytes = try FileIO.read(path)
        guard bytes.count < 4096 else { throw .invalidKey(path: path, reason: "too large for a key file") }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func parse(_ text: String, tag: String, path: String) throws(PackageError) -> [UInt8] {
        var fields = [String]()
        for part in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }) {
            fields.append(String(part))
        }
        guard fields.count == 2, fields[0] == tag else {
            throw .invalidKey(path: path, reason: String(outlined: "expected one line '\(tag) <64 hex digits>'"))
        }
        guard let raw = Hex.decode(fields[1]), raw.count == 32 else {
            throw .invalidKey(path: path, reason: "the key must be 64 hex digits (32 bytes)")
        }
        return raw
    }
}

public enum Hex {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let hi = value(u[i]), let lo = value(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }

    static func lastCryptoError() -> String { String(cString: oc_last_error()) }
}

/// Whole-file reads and atomic writes over COutpostSystem.
public enum FileIO {
    public static func read(_ path: String) throws(PackageError) -> [UInt8] {
        var data: UnsafeMutablePointer<UInt8>?
        var size = 0
        let err = path.withCString { op_read_file($0, &data, &size) }
        if err != 0 { throw .io(path: path, reason: String(cString: op_strerror(err))) }
        defer { op_free(data) }
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    public static func write(_ bytes: [UInt8], to path: String) throws(PackageError) {
        let err = path.withCString { p in bytes.withUnsafeBufferPointer { op_write_file_atomic(p, $0.baseAddress, $0.count) } }
        if err != 0 { throw .io(path: path, reason: String(cString: op_strerror(err))) }
    }
}
