// libFuzzer target: the package container parser (header, section lengths,
// truncation, padding), then the manifest and blob bounds as `inspect` reads
// them, then full verification with a pinned key (signature, digests).
import OutpostJSON
import OutpostPackage
import OutpostRuntime

let trusted = [try! PrivateKey(seed: [UInt8](repeating: 0xa1, count: 32)).publicKey]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let buffer = Buffer(copying: UnsafeRawPointer(data), count: size)
    do {
        let p = try ModelPackage.parseUnverified(buffer: buffer)
        // Whatever parses must re-encode to a manifest that parses the same.
        let again = try Manifest.decode(p.manifest.encoded())
        if again != p.manifest { fatalError("manifest round trip differs") }
        for b in p.manifest.blobs { _ = p.blobBytes(b).count }
    } catch {
        _ = error.description
    }
    do {
        let p = try ModelPackage.open(buffer: buffer, policy: VerificationPolicy(trustedKeys: trusted, minimumRelease: 1))
        _ = p.manifest.name
    } catch {
        _ = error.description
    }
    return 0
}
