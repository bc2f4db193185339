import Testing
import OutpostONNX
import OutpostRuntime

/// Hostile bytes must produce errors, never traps.
@Suite("LoaderRobustness")
struct RobustnessTests {
    static let models = ["typed.onnx", "if.onnx", "constants.onnx", "raw.onnx"]

    @Test(arguments: models)
    func truncationAtEveryOffset(_ name: String) {
        let bytes = Fixtures.bytes(name)
        #expect(!bytes.isEmpty)
        var failures = 0
        for n in 0..<bytes.count {
            do {
                _ = try loadBytes(Array(bytes[0..<n]))
            } catch {
                failures += 1
                // A cut inside a field is malformed; a cut between top-level fields
                // leaves a model without its graph (invalid).
                #expect(error.isMalformed || error.isInvalid, "prefix \(n): \(error.description)")
                // Messages say where: a byte offset, or the tensor/node concerned.
                let d = error.description
                #expect(d.contains("byte offset") || d.contains("tensor '") || d.contains("node '")
                        || d.contains("graph"), "prefix \(n): \(d)")
            }
        }
        #expect(failures > bytes.count / 2)
    }

    @Test(arguments: models)
    func randomByteFlips(_ name: String) {
        let original = Fixtures.bytes(name)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        var errors = 0
        for _ in 0..<2000 {
            var bytes = original
            let flips = 1 + Int(next() % 4)
            for _ in 0..<flips {
                let i = Int(next() % UInt64(bytes.count))
                if next() % 2 == 0 {
                    bytes[i] ^= UInt8(1) << UInt8(next() % 8)
                } else {
                    bytes[i] = UInt8(truncatingIfNeeded: next())
                }
            }
            do {
                let m = try loadBytes(bytes)
                // Whatever loaded must be self-consistent enough to walk.
                for (_, t) in m.graph.initializers { _ = t.byteCount }
            } catch {
                errors += 1
                #expect(!error.description.isEmpty)
            }
        }
        #expect(errors > 0)
    }

    @Test func deeplyNestedGraphsAreRefused() {
        // GraphProto{ node { attribute { g: GraphProto{ node { attribute { g: ... } } } } } }
        // built from the inside out, 100 levels deep.
        func lengthDelimited(_ field: UInt8, _ body: [UInt8]) -> [UInt8] {
            var out: [UInt8] = [field << 3 | 2]
            var n = body.count
            while n >= 0x80 { out.append(UInt8(n & 0x7f) | 0x80); n >>= 7 }
            out.append(UInt8(n))
            return out + body
        }
        var graph: [UInt8] = []
        for _ in 0..<100 {
            let attribute = lengthDelimited(1, Array("body".utf8)) + [0xA0, 0x01, 5] + lengthDelimited(6, graph)
            let node = lengthDelimited(4, Array("Loop".utf8)) + lengthDelimited(5, attribute)
            graph = lengthDelimited(1, node)
        }
        let model = [0x08, 0x08] + lengthDelimited(7, graph)
        do {
            _ = try loadBytes(model)
            Issue.record("expected an error")
        } catch {
            #expect(error.isMalformed)
            #expect(error.description.contains("nested"))
        }
    }

    @Test func absurdDimsDoNotAllocate() {
        // TensorProto: dims = [2^40, 2^40], data_type float, no data.
        var w = ProtobufWriter()
        w.writeInt64Field(1, 1 << 40)
        w.writeInt64Field(1, 1 << 40)
        w.writeInt64Field(2, 1)
        w.writeStringField(8, "huge")
        do {
            _ = try TensorProtoFile.decode(bytes: w.bytes)
            Issue.record("expected an error")
        } catch {
            #expect(error.isMalformed)
            #expect(error.description.contains("huge"))
        }
        var v = ProtobufWriter()
        v.writeInt64Field(1, 1 << 20)
        v.writeInt64Field(2, 1)
        v.writeStringField(8, "short")
        do {
            _ = try TensorProtoFile.decode(bytes: v.bytes)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("short"))
            #expect(error.description.contains("1048576 elements"))
        }
    }
}
