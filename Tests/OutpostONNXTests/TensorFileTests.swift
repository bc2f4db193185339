import Foundation
import Testing
import OutpostONNX
import OutpostRuntime

@Suite("TensorFiles")
struct TensorFileTests {
    @Test func readsBackendTestDataPB() throws {
        let (name, t) = try TensorProtoFile.read(path: Fixtures.path("tensor_raw.pb"))
        #expect(name == "input_0")
        #expect(t.dtype == .float32)
        #expect(t.shape == [2, 3])
        #expect(t.floatValues() == [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])
        let (n2, t2) = try TensorProtoFile.read(path: Fixtures.path("tensor_typed.pb"))
        #expect(n2 == "typed")
        #expect(t2.values(Int64.self) == [-1, 0, 9])
    }

    @Test func pbRoundTripMatchesONNX() throws {
        // Our encoding of the fixture tensor decodes to the same tensor and name.
        let (name, t) = try TensorProtoFile.read(path: Fixtures.path("tensor_raw.pb"))
        let bytes = TensorProtoFile.encode(t, name: name)
        #expect(bytes == Fixtures.bytes("tensor_raw.pb")) // onnx writes the same fields in the same order
        let dir = NSTemporaryDirectory() + "outpost-onnx-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for dtype in [DType.float32, .float16, .int8, .uint8, .int32, .int64, .bool] {
            let x = Tensor(zeros: dtype, shape: [2, 2])
            for i in 0..<x.byteCount { x.raw.storeBytes(of: UInt8(i % 2), toByteOffset: i, as: UInt8.self) }
            let path = dir + "/t_\(dtype.name).pb"
            try TensorProtoFile.write(x, name: "t", path: path)
            let (n, y) = try TensorProtoFile.read(path: path)
            #expect(n == "t")
            #expect(y.dtype == dtype && y.shape == [2, 2])
            #expect(memcmp(x.raw, y.raw, x.byteCount) == 0)
            let npyPath = dir + "/t_\(dtype.name).npy"
            try NpyFile.write(x, path: npyPath)
            let z = try NpyFile.read(path: npyPath)
            #expect(z.dtype == dtype && z.shape == [2, 2])
            #expect(memcmp(x.raw, z.raw, x.byteCount) == 0)
        }
    }

    @Test func npyAllDtypes() throws {
        let f4 = try NpyFile.read(path: Fixtures.path("f4.npy"))
        #expect(f4.shape == [2, 3])
        #expect(f4.floatValues() == [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])
        #expect(try NpyFile.read(path: Fixtures.path("f2.npy")).floatValues() == [1.0, -2.0, 0.5])
        #expect(try NpyFile.read(path: Fixtures.path("i1.npy")).values(Int8.self) == [-128, 0, 127])
        let u1 = try NpyFile.read(path: Fixtures.path("u1.npy"))
        #expect(u1.shape == [1, 2] && u1.values(UInt8.self) == [0, 255])
        #expect(try NpyFile.read(path: Fixtures.path("i4.npy")).values(Int32.self) == [-7, 8])
        let i8 = try NpyFile.read(path: Fixtures.path("i8.npy"))
        #expect(i8.shape == [2, 1] && i8.values(Int64.self) == [1, -(1 << 40)])
        let b1 = try NpyFile.read(path: Fixtures.path("b1.npy"))
        #expect(b1.dtype == .bool && b1.values(UInt8.self) == [1, 0, 1])
        let s = try NpyFile.read(path: Fixtures.path("scalar.npy"))
        #expect(s.shape == [] && s.floatValues() == [4.5])
        for v in ["v2.npy", "v3.npy"] {
            let t = try NpyFile.read(path: Fixtures.path(v))
            #expect(t.shape == [2, 3] && t.floatValues() == f4.floatValues())
        }
    }

    @Test func npyEncodingMatchesNumpy() throws {
        let f4 = try NpyFile.read(path: Fixtures.path("f4.npy"))
        #expect(NpyFile.encode(f4) == Fixtures.bytes("f4.npy"))
        let s = try NpyFile.read(path: Fixtures.path("scalar.npy"))
        #expect(NpyFile.encode(s) == Fixtures.bytes("scalar.npy"))
    }

    @Test func npyRefusals() {
        func err(_ name: String) -> String {
            do { _ = try NpyFile.read(path: Fixtures.path(name)); return "" } catch { return error.description }
        }
        #expect(err("fortran.npy").contains("Fortran"))
        #expect(err("bigendian.npy").contains(">f4"))
        #expect(err("f8.npy").contains("<f8"))
        // Truncations of a valid file: every prefix fails cleanly.
        let bytes = Fixtures.bytes("f4.npy")
        for n in 0..<bytes.count {
            do {
                _ = try NpyFile.decode(bytes: Array(bytes[0..<n]))
                Issue.record("prefix \(n) decoded")
            } catch {
                #expect(error.isMalformed, "prefix \(n): \(error.description)")
            }
        }
    }

    @Test func pbErrors() {
        let bytes = Fixtures.bytes("tensor_raw.pb")
        for n in 0..<bytes.count {
            do {
                _ = try TensorProtoFile.decode(bytes: Array(bytes[0..<n]))
                Issue.record("prefix \(n) decoded")
            } catch {
                #expect(error.isMalformed || { if case .unsupportedDataType = error { return true }; return false }(),
                        "prefix \(n): \(error.description)")
            }
        }
    }
}
