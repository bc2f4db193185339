import Testing
import OutpostONNX
import OutpostRuntime

private func withReader<R>(_ bytes: [UInt8], _ body: (inout ProtobufReader) throws(OutpostError) -> R) -> Result<R, OutpostError> {
    bytes.withUnsafeBytes { p in
        var r = ProtobufReader(base: p.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, count: p.count, context: "test")
        do throws(OutpostError) { return .success(try body(&r)) } catch { return .failure(error) }
    }
}

private func message(_ r: Result<some Any, OutpostError>) -> String? {
    if case let .failure(e) = r, case let .malformedModel(m) = e { return m }
    return nil
}

@Suite("ProtobufReader")
struct ProtobufReaderTests {
    @Test func varints() throws {
        #expect(try withReader([0x00]) { (r: inout ProtobufReader) throws(OutpostError) in try r.readVarint() }.get() == 0)
        #expect(try withReader([0xAC, 0x02]) { (r: inout ProtobufReader) throws(OutpostError) in try r.readVarint() }.get() == 300)
        let max: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        #expect(try withReader(max) { (r: inout ProtobufReader) throws(OutpostError) in try r.readVarint() }.get() == UInt64.max)
        #expect(try withReader(max) { (r: inout ProtobufReader) throws(OutpostError) in try r.readInt64() }.get() == -1)
    }

    @Test func varintErrors() {
        let overflow: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02]
        #expect(message(withReader(overflow) { (r: inout ProtobufReader) throws(OutpostError) in try r.readVarint() })?.contains("overflows") == true)
        let overlong: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]
        #expect(message(withReader(overlong) { (r: inout ProtobufReader) throws(OutpostError) in try r.readVarint() }) != nil)
        let truncated: [UInt8] = [0x80, 0x80]
        let m = message(withReader(truncated) { (r: inout ProtobufReader) throws(OutpostError) in try r.readVarint() })
        #expect(m?.contains("truncated varint at byte offset 0") == true)
    }

    @Test func fixedAndTags() throws {
        let bytes: [UInt8] = [0x0D, 0x00, 0x00, 0x80, 0x3F, 0x11, 1, 0, 0, 0, 0, 0, 0, 0]
        let r = withReader(bytes) { (r: inout ProtobufReader) throws(OutpostError) -> (Float, UInt64) in
            let (f1, w1) = try r.readTag()
            #expect(f1 == 1 && w1 == .fixed32)
            let f = try r.readFloat()
            let (f2, w2) = try r.readTag()
            #expect(f2 == 2 && w2 == .fixed64)
            return (f, try r.readFixed64())
        }
        let (f, u) = try r.get()
        #expect(f == 1.0)
        #expect(u == 1)
        #expect(message(withReader([0x0D, 0x00, 0x00]) { (r: inout ProtobufReader) throws(OutpostError) in
            _ = try r.readTag(); return try r.readFixed32() })?.contains("truncated fixed32") == true)
    }

    @Test func badTags() {
        // wire type 3 (group), 6 (invalid), field 0
        #expect(message(withReader([0x0B]) { (r: inout ProtobufReader) throws(OutpostError) in try r.readTag() })?.contains("group") == true)
        #expect(message(withReader([0x0E]) { (r: inout ProtobufReader) throws(OutpostError) in try r.readTag() })?.contains("invalid wire type 6") == true)
        #expect(message(withReader([0x02]) { (r: inout ProtobufReader) throws(OutpostError) in try r.readTag() })?.contains("field number 0") == true)
    }

    @Test func lengthDelimitedBounds() throws {
        let ok = withReader([0x03, 0x61, 0x62, 0x63]) { (r: inout ProtobufReader) throws(OutpostError) in try r.readString() }
        #expect(try ok.get() == "abc")
        let past = withReader([0x05, 0x61]) { (r: inout ProtobufReader) throws(OutpostError) in try r.readString() }
        #expect(message(past)?.contains("runs past the end") == true)
        let absurd: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        #expect(message(withReader(absurd) { (r: inout ProtobufReader) throws(OutpostError) in try r.readLengthDelimited() }) != nil)
    }

    @Test func packedAndUnpackedRepeated() throws {
        // field 1 unpacked (1, 2), then packed [3, 300]
        let bytes: [UInt8] = [0x08, 0x01, 0x08, 0x02, 0x0A, 0x03, 0x03, 0xAC, 0x02]
        let values = try withReader(bytes) { (r: inout ProtobufReader) throws(OutpostError) -> [Int64] in
            var out = [Int64]()
            while !r.isAtEnd {
                let (_, wire) = try r.readTag()
                try r.readRepeatedVarint(wire, into: &out)
            }
            return out
        }.get()
        #expect(values == [1, 2, 3, 300])
        let floats: [UInt8] = [0x3A, 0x08, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]
        let f = try withReader(floats) { (r: inout ProtobufReader) throws(OutpostError) -> [UInt32] in
            var out = [UInt32]()
            let (_, wire) = try r.readTag()
            try r.readRepeatedFixed32(wire, into: &out)
            return out
        }.get()
        #expect(f.map { Float(bitPattern: $0) } == [1.0, 2.0])
        let bad: [UInt8] = [0x3A, 0x03, 0, 0, 0x80]
        #expect(message(withReader(bad) { (r: inout ProtobufReader) throws(OutpostError) -> Void in
            var out = [UInt32]()
            let (_, wire) = try r.readTag()
            try r.readRepeatedFixed32(wire, into: &out)
        })?.contains("not a multiple of 4") == true)
    }

    @Test func skipsUnknownFieldsOfEveryWireType() throws {
        // varint, fixed64, length-delimited, fixed32, then field 9 varint 42
        let bytes: [UInt8] = [0x08, 0x96, 0x01, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x1A, 0x02, 0xAA, 0xBB,
                              0x25, 1, 2, 3, 4, 0x48, 42]
        let v = try withReader(bytes) { (r: inout ProtobufReader) throws(OutpostError) -> UInt64 in
            while !r.isAtEnd {
                let (field, wire) = try r.readTag()
                if field == 9 { return try r.readVarint() }
                try r.skip(wire)
            }
            return 0
        }.get()
        #expect(v == 42)
    }

    @Test func writerRoundTrip() throws {
        var w = ProtobufWriter()
        w.writeInt64Field(1, -5)
        w.writeStringField(8, "héllo")
        let bytes = w.bytes
        let (a, b) = try withReader(bytes) { (r: inout ProtobufReader) throws(OutpostError) -> (Int64, String) in
            _ = try r.readTag()
            let a = try r.readInt64()
            _ = try r.readTag()
            return (a, try r.readString())
        }.get()
        #expect(a == -5)
        #expect(b == "héllo")
    }
}
