import COutpostSystem
import OutpostDrift
import OutpostJSON
import OutpostONNX
import OutpostRuntime

/// What `outpost package build` puts into a package besides the model.
public struct PackageBuildOptions {
    public var name: String
    public var version: String
    public var release: Int
    public var lineage = Lineage()
    /// UTC ISO-8601; nil = now from the system clock.
    public var createdAt: String?
    /// How many reference runs become golden cases.
    public var goldenCases = 3
    public var absoluteTolerance = 1e-4
    public var relativeTolerance = 1e-3
    public var minRuntimeVersion = PackageFormat.runtimeVersion
    public var isa: [String] = []
    public var bins = 10

    public init(name: String, version: String, release: Int) {
        self.name = name
        self.version = version
        self.release = release
    }
}

public enum PackageBuilder {
    /// Runs the model over the reference sets (each: one tensor per graph input)
    /// to compute the drift baseline and golden cases, then writes and signs the
    /// package. Returns the file bytes and the manifest written.
    public static func build(model modelBytes: [UInt8], reference: [[Tensor]], options: PackageBuildOptions,
                             key: PrivateKey) throws(PackageError) -> (bytes: [UInt8], manifest: Manifest) {
        guard !options.name.isEmpty else { throw .invalidInput("--name must not be empty") }
        guard SemanticVersion(options.version) != nil else {
            throw .invalidInput(String(outlined: "--version '\(options.version)' is not a semantic version (MAJOR.MINOR.PATCH[-pre][+build])"))
        }
        guard options.release >= 0 else { throw .invalidInput("--release must be ≥ 0") }
        guard !reference.isEmpty else { throw .invalidInput("the reference data holds no input sets") }
        for f in options.isa where ModelPackage.isaNamed(f) == nil {
            throw .invalidInput(String(outlined: "unknown ISA feature '\(f)' (scalar, avx2, avx512, neon, neon-dot, neon-i8mm)"))
        }
        let model: Model
        let session: Session
        do {
            let buffer = modelBytes.withUnsafeBytes { Buffer(copying: $0.baseAddress!, count: $0.count) }
            model = try ONNXLoader.load(buffer: buffer, baseDirectory: nil)
            session = try Session(model: model)
        } catch { throw .runtime(error) }

        var golden = [GoldenCase]()
        var goldenBytes = [UInt8]()
        // Drift baseline: OutpostDrift's default features from the first run's
        // concrete shapes, one observation per batch row.
        var extractor: FeatureExtractor?
        var baseline: DriftBaselineBuilder?
        for (si, set) in reference.enumerated() {
            guard set.count == session.inputs.count else {
                throw .invalidInput(String(outlined: "reference set \(si) has \(set.count) input(s), the model \(session.inputs.count)"))
            }
            var outputs = [Tensor]()
            do {
                for t in try session.run(set) { outputs.append(t.copy()) }
            } catch { throw .invalidInput(String(outlined: "reference set \(si): \(error.description)")) }
            if si == 0 {
                var ins = [(name: String, shape: [Int])](), outs = [(name: String, shape: [Int])]()
                for (i, t) in set.enumerated() where t.dtype == .float32 { ins.append((session.inputs[i].name, t.shape)) }
                for (i, t) in outputs.enumerated() where t.dtype == .float32 { outs.append((session.outputs[i].name, t.shape)) }
                let specs = FeatureSpec.defaults(inputs: ins, outputs: outs)
                if !specs.isEmpty {
                    extractor = FeatureExtractor(specs: specs)
                    baseline = DriftBaselineBuilder(specs: specs, bins: options.bins)
                }
            }
            if let x = extractor {
                do {
                    for (i, t) in set.enumerated() where t.dtype == .float32 {
                        try x.bind(.input(i), data: UnsafePointer(t.floats), shape: t.shape)
                    }
                    for (i, t) in outputs.enumerated() where t.dtype == .float32 {
                        try x.bind(.output(i), data: UnsafePointer(t.floats), shape: t.shape)
                    }
                    for n in 0..<x.sampleCount {
                        x.extract(sample: n)
                        try baseline!.add(UnsafeBufferPointer(x.values))
                    }
                } catch { throw .invalidInput(String(outlined: "reference set \(si): \(error.description)")) }
            }
            if golden.count < options.goldenCases {
                var c = GoldenCase(inputs: [], outputs: [])
                for (i, t) in set.enumerated() { c.inputs.append(append(t, name: session.inputs[i].name, to: &goldenBytes)) }
                for (i, t) in outputs.enumerated() { c.outputs.append(append(t, name: session.outputs[i].name, to: &goldenBytes)) }
                golden.append(c)
            }
        }
        var drift: DriftBaseline?
        if let b = baseline {
            do { drift = try b.build(droppingEmpty: true) } catch { throw .invalidInput(String(outlined: "drift baseline: \(error.description)")) }
        }
        var ins = [TensorSignature](), outs = [TensorSignature]()
        for i in session.inputs { ins.append(TensorSignature(i)) }
        for o in session.outputs { outs.append(TensorSignature(o)) }
        let manifest = Manifest(
            name: options.name, version: options.version, release: options.release,
            createdAt: options.createdAt ?? Timestamp.nowISO8601(), keyID: key.publicKey.keyID,
            lineage: options.lineage, inputs: ins, outputs: outs, driftBaseline: drift,
            golden: GoldenSet(blob: "golden", absoluteTolerance: options.absoluteTolerance,
                              relativeTolerance: options.relativeTolerance, cases: golden),
            requirements: Requirements(minRuntimeVersion: options.minRuntimeVersion, isa: options.isa),
            blobs: [])
        let bytes = try PackageWriter.write(manifest: manifest,
                                            blobs: [("model.onnx", "onnx", modelBytes), ("golden", "golden", goldenBytes)],
                                            key: key)
        // Read back what was written: the manifest with blob offsets and digests.
        let parsed: Result<ContainerLayout, PackageError> = bytes.withUnsafeBytes { p in
            do throws(PackageError) { return .success(try ContainerLayout.parse(p)) } catch { return .failure(error) }
        }
        let layout = try parsed.get()
        let written = try Manifest.decode(Array(bytes[layout.manifestRange]))
        return (bytes, written)
    }

    static func append(_ t: Tensor, name: String, to blob: inout [UInt8]) -> GoldenTensor {
        let offset = blob.count
        let raw = UnsafeRawBufferPointer(start: t.raw, count: t.byteCount)
        blob.append(contentsOf: raw)
        return GoldenTensor(name: name, dtype: t.dtype, shape: t.shape, offset: offset, length: t.byteCount)
    }
}

/// Reference inputs for `package build`: ONNX test-data folders
/// (DIR/test_data_set_*/input_<i>.pb or .npy), one such folder itself
/// (DIR/input_<i>.pb), or, for single-input models, DIR/*.npy (one run per file).
public enum ReferenceData {
    public static func load(directory dir: String, inputCount: Int) throws(PackageError) -> [[Tensor]] {
        guard dir.withCString({ op_is_directory($0) }) == 1 else { throw .io(path: dir, reason: "not a directory") }
        let names = try list(dir)
        var sets = [[Tensor]]()
        let setDirs = names.filter { $0.hasPrefix("test_data_set_") && isDirectory(join(dir, $0)) }
        if !setDirs.isEmpty {
            for s in setDirs { sets.append(try loadSet(join(dir, s), inputCount: inputCount)) }
            return sets
        }
        if names.contains("input_0.pb") || names.contains("input_0.npy") {
            return [try loadSet(dir, inputCount: inputCount)]
        }
        let npys = names.filter { $0.hasSuffix(".npy") }
        if !npys.isEmpty {
            guard inputCount == 1 else {
                throw .invalidInput(String(outlined: "\(dir): loose .npy files are single-input runs, the model has \(inputCount) inputs (use test_data_set_*/input_<i>.npy)"))
            }
            for n in npys { sets.append([try readTensor(join(dir, n))]) }
            return sets
        }
        throw .invalidInput(String(outlined: "\(dir) holds no reference data (test_data_set_*/input_<i>.pb|.npy, input_<i>.pb, or *.npy)"))
    }

    static func loadSet(_ dir: String, inputCount: Int) throws(PackageError) -> [Tensor] {
        var set = [Tensor]()
        for i in 0..<inputCount {
            let pb = join(dir, String(outlined: "input_\(i).pb")), npy = join(dir, String(outlined: "input_\(i).npy"))
            if exists(pb) { set.append(try readTensor(pb)) } else if exists(npy) { set.append(try readTensor(npy)) } else {
                throw .invalidInput(String(outlined: "\(dir) lacks input_\(i).pb (the model has \(inputCount) input(s))"))
            }
        }
        return set
    }

    static func readTensor(_ path: String) throws(PackageError) -> Tensor {
        do {
            if path.hasSuffix(".npy") { return try NpyFile.read(path: path) }
            return try TensorProtoFile.read(path: path).tensor
        } catch { throw .invalidInput(String(outlined: "\(path): \(error.description)")) }
    }

    static func list(_ path: String) throws(PackageError) -> [String] {
        var names: UnsafeMutablePointer<CChar>?
        var bytes = 0
        var count = 0
        let err = path.withCString { op_list_directory($0, &names, &bytes, &count) }
        if err != 0 { throw .io(path: path, reason: String(cString: op_strerror(err))) }
        defer { op_free(names) }
        var out = [String]()
        guard var p = names else { return out }
        for _ in 0..<count {
            let s = String(cString: p)
            out.append(s)
            p += s.utf8.count + 1
        }
        return out
    }

    static func join(_ a: String, _ b: String) -> String { a.hasSuffix("/") ? a + b : a + "/" + b }
    static func exists(_ p: String) -> Bool { p.withCString { op_path_exists($0) } == 1 }
    static func isDirectory(_ p: String) -> Bool { p.withCString { op_is_directory($0) } == 1 }
}

/// created_at: UTC ISO-8601 from the system clock (civil-from-days, no libc time API).
public enum Timestamp {
    public static func nowISO8601() -> String { iso8601(unixSeconds: Int(op_unix_time_s())) }

    public static func iso8601(unixSeconds t: Int) -> String {
        let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let secs = t - days * 86400
        // Howard Hinnant's civil_from_days.
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return String(outlined: "\(y)-\(two(m))-\(two(d))T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))Z")
    }

    static func two(_ n: Int) -> String { n < 10 ? String(outlined: "0\(n)") : String(n) }
}
