// libFuzzer target: the JSON reader and the manifest decoder/validator.
// Invariants: a parsed JSON value re-serialises to text that parses back equal;
// a decoded manifest re-encodes to bytes that decode back equal.
import OutpostJSON
import OutpostPackage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    do {
        let v = try JSONReader.parse(bytes: bytes)
        let back = try JSONReader.parse(v.serialized())
        if back != v { fatalError("JSON round trip differs") }
    } catch {
        _ = error.description
    }
    do {
        let m = try Manifest.decode(bytes)
        let again = try Manifest.decode(m.encoded())
        if again != m { fatalError("manifest round trip differs") }
    } catch {
        _ = error.description
    }
    return 0
}
