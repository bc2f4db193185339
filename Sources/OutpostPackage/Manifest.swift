import OutpostDrift
import OutpostJSON
import OutpostRuntime

/// Where the model came from: the MLOps lineage recorded at build time.
public struct Lineage: Equatable {
    public var parentVersion: String?
    public var trainingDataRef: String?
    public var trainingDataSHA256: String?
    public var codeRef: String?
    public var quantizationMethod: String?
    public var calibrationRef: String?
    /// Evaluation metrics (accuracy, f1...) as key/value, in the order given.
    public var metrics: [(key: String, value: Double)] = []
    /// Free key/value pairs (`--lineage key=value` with a key not listed above).
    public var extra: [(key: String, value: String)] = []

    public init() {}

    public static func == (a: Lineage, b: Lineage) -> Bool {
        a.jsonValue() == b.jsonValue()
    }

    /// Applies one `key=value` from the command line. Known keys: parent_version,
    /// training_data, training_data_sha256, code_ref, quantization, calibration_ref,
    /// metric.<name> (a number); any other key goes to `extra`.
    public mutating func set(_ assignment: String) throws(PackageError) {
        guard let eq = assignment.firstIndex(of: "="), eq != assignment.startIndex else {
            throw .invalidInput(String(outlined: "--lineage expects key=value, got '\(assignment)'"))
        }
        let key = String(assignment[assignment.startIndex..<eq])
        let value = String(assignment[assignment.index(after: eq)...])
        switch key {
        case "parent_version", "parent": parentVersion = value
        case "training_data", "training_data_ref": trainingDataRef = value
        case "training_data_sha256", "training_data_hash": trainingDataSHA256 = value
        case "code_ref", "code": codeRef = value
        case "quantization", "quantization_method": quantizationMethod = value
        case "calibration_ref", "calibration", "calibration_data": calibrationRef = value
        default:
            if key.hasPrefix("metric.") || key.hasPrefix("metrics.") {
                let name = String(key.split(separator: ".", maxSplits: 1)[1])
                guard !name.isEmpty, let v = parseNumber(value) else {
                    throw .invalidInput(String(outlined: "--lineage \(key) expects a number, got '\(value)'"))
                }
                metrics.removeAll { $0.key == name }
                metrics.append((key: name, value: v))
            } else {
                extra.removeAll { $0.key == key }
                extra.append((key: key, value: value))
            }
        }
    }

    func jsonValue() -> JSONValue {
        func opt(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        var m = [(key: String, value: JSONValue)]()
        for (k, v) in metrics { m.append((key: k, value: .number(v))) }
        var e = [(key: String, value: JSONValue)]()
        for (k, v) in extra { e.append((key: k, value: .string(v))) }
        return .object([
            ("parent_version", opt(parentVersion)),
            ("training_data", .object([("ref", opt(trainingDataRef)), ("sha256", opt(trainingDataSHA256))])),
            ("code_ref", opt(codeRef)),
            ("quantization", .object([("method", opt(quantizationMethod)), ("calibration_ref", opt(calibrationRef))])),
            ("metrics", .object(m)),
            ("extra", .object(e)),
        ])
    }

    init(json v: JSONValue) throws(PackageError) {
        guard v.objectValue != nil else { throw .malformedManifest("'lineage' must be an object") }
        parentVersion = try ManifestField.optionalString(v["parent_version"], "lineage.parent_version")
        let td = v["training_data"] ?? .null
        trainingDataRef = try ManifestField.optionalString(td["ref"], "lineage.training_data.ref")
        trainingDataSHA256 = try ManifestField.optionalString(td["sha256"], "lineage.training_data.sha256")
        codeRef = try ManifestField.optionalString(v["code_ref"], "lineage.code_ref")
        let q = v["quantization"] ?? .null
        quantizationMethod = try ManifestField.optionalString(q["method"], "lineage.quantization.method")
        calibrationRef = try ManifestField.optionalString(q["calibration_ref"], "lineage.quantization.calibration_ref")
        if let m = v["metrics"] {
            guard let members = m.objectValue else { throw .malformedManifest("'lineage.metrics' must be an object") }
            for (k, value) in members {
                guard let d = value.doubleValue else { throw .malformedManifest(String(outlined: "lineage.metrics.\(k) must be a number")) }
                metrics.append((key: k, value: d))
            }
        }
        if let x = v["extra"] {
            guard let members = x.objectValue else { throw .malformedManifest("'lineage.extra' must be an object") }
            for (k, value) in members {
                guard let s = value.stringValue else { throw .malformedManifest(String(outlined: "lineage.extra.\(k) must be a string")) }
                extra.append((key: k, value: s))
            }
        }
    }
}

func parseNumber(_ s: String) -> Double? {
    guard let v = try? JSONReader.parse(s), let d = v.doubleValue else { return nil }
    return d
}

/// Name, element type and shape of a model input or output.
public struct TensorSignature: Equatable {
    public var name: String
    public var dtype: String
    /// nil: any rank.
    public var shape: [Dim]?

    public init(name: String, dtype: String, shape: [Dim]?) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }

    public init(_ info: ValueInfo) {
        self.init(name: info.name, dtype: info.dtype?.name ?? DType.onnxName(info.onnxType), shape: info.shape)
    }

    func jsonValue() -> JSONValue {
        var dims: JSONValue = .null
        if let shape {
            var a = [JSONValue]()
            for d in shape {
                switch d {
                case let .fixed(n): a.append(.number(Double(n)))
                case let .symbolic(s): a.append(.string(s))
                case .unknown: a.append(.null)
                }
            }
            dims = .array(a)
        }
        return .object([("name", .string(name)), ("dtype", .string(dtype)), ("shape", dims)])
    }

    init(json v: JSONValue, _ at: String) throws(PackageError) {
        name = try ManifestField.string(v["name"], String(outlined: "\(at).name"))
        dtype = try ManifestField.string(v["dtype"], String(outlined: "\(at).dtype"))
        switch v["shape"] {
        case nil, .null?: shape = nil
        case let .array(items)?:
            var dims = [Dim]()
            for item in items {
                switch item {
                case .null: dims.append(.unknown)
                case let .string(s): dims.append(.symbolic(s))
                default:
                    guard let n = item.intValue, n >= 0 else { throw .malformedManifest(String(outlined: "\(at).shape: dimensions are counts ≥ 0, names or null")) }
                    dims.append(.fixed(n))
                }
            }
            shape = dims
        default: throw .malformedManifest(String(outlined: "\(at).shape must be an array or null"))
        }
    }

    public var description: String {
        guard let shape else { return String(outlined: "\(name): \(dtype)[*]") }
        var s = String(outlined: "\(name): \(dtype)[")
        for (i, d) in shape.enumerated() { s += (i > 0 ? ", " : "") + d.description }
        return s + "]"
    }
}

/// A tensor stored in the golden blob: raw little-endian elements at `offset`.
public struct GoldenTensor: Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var offset: Int
    public var length: Int

    func jsonValue() -> JSONValue {
        var dims = [JSONValue]()
        for d in shape { dims.append(.number(Double(d))) }
        return .object([("name", .string(name)), ("dtype", .string(dtype.name)), ("shape", .array(dims)),
                        ("offset", .number(Double(offset))), ("length", .number(Double(length)))])
    }

    init(name: String, dtype: DType, shape: [Int], offset: Int, length: Int) {
        self.name = name; self.dtype = dtype; self.shape = shape; self.offset = offset; self.length = length
    }

    init(json v: JSONValue, _ at: String) throws(PackageError) {
        name = try ManifestField.string(v["name"], String(outlined: "\(at).name"))
        let t = try ManifestField.string(v["dtype"], String(outlined: "\(at).dtype"))
        guard let dt = DType.named(t) else { throw .malformedManifest(String(outlined: "\(at).dtype: unknown element type '\(t)'")) }
        dtype = dt
        guard let dims = v["shape"]?.arrayValue else { throw .malformedManifest(String(outlined: "\(at).shape must be an array")) }
        var count = 1
        var s = [Int]()
        for d in dims {
            guard let n = d.intValue, n >= 0, Int64(n) <= Int64(1) << 31 else { throw .malformedManifest(String(outlined: "\(at).shape: dimensions must be counts ≥ 0")) }
            s.append(n)
            let (p, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow, Int64(p) <= Int64(1) << 40 else { throw .malformedManifest(String(outlined: "\(at).shape is too large")) }
            count = p
        }
        shape = s
        offset = try ManifestField.count(v["offset"], String(outlined: "\(at).offset"))
        length = try ManifestField.count(v["length"], String(outlined: "\(at).length"))
        guard length == count * dtype.size else {
            throw .malformedManifest(String(outlined: "\(at): length \(length) does not match \(dtype.name) shape (\(count * dtype.size) bytes)"))
        }
    }
}

public struct GoldenCase: Equatable {
    public var inputs: [GoldenTensor]
    public var outputs: [GoldenTensor]
}

/// Golden self-test: inputs with expected outputs, checked with
/// |actual - expected| ≤ absolute + relative·|expected| (integers: exactly).
public struct GoldenSet: Equatable {
    public var blob: String
    public var absoluteTolerance: Double
    public var relativeTolerance: Double
    public var cases: [GoldenCase]

    var toleranceText: String { String(outlined: "abs \(absoluteTolerance) + rel \(relativeTolerance)") }

    func jsonValue() -> JSONValue {
        var cs = [JSONValue]()
        for c in cases {
            var ins = [JSONValue](), outs = [JSONValue]()
            for t in c.inputs { ins.append(t.jsonValue()) }
            for t in c.outputs { outs.append(t.jsonValue()) }
            cs.append(.object([("inputs", .array(ins)), ("outputs", .array(outs))]))
        }
        return .object([
            ("blob", .string(blob)),
            ("tolerance", .object([("absolute", .number(absoluteTolerance)), ("relative", .number(relativeTolerance))])),
            ("cases", .array(cs)),
        ])
    }

    init(blob: String, absoluteTolerance: Double, relativeTolerance: Double, cases: [GoldenCase]) {
        self.blob = blob; self.absoluteTolerance = absoluteTolerance; self.relativeTolerance = relativeTolerance; self.cases = cases
    }

    init(json v: JSONValue) throws(PackageError) {
        blob = try ManifestField.string(v["blob"], "golden.blob")
        let tol = v["tolerance"] ?? .null
        guard let a = tol["absolute"]?.doubleValue, a >= 0, let r = tol["relative"]?.doubleValue, r >= 0 else {
            throw .malformedManifest("golden.tolerance needs 'absolute' and 'relative' numbers ≥ 0")
        }
        absoluteTolerance = a
        relativeTolerance = r
        guard let items = v["cases"]?.arrayValue else { throw .malformedManifest("golden.cases must be an array") }
        cases = []
        for (i, item) in items.enumerated() {
            guard let ins = item["inputs"]?.arrayValue, let outs = item["outputs"]?.arrayValue else {
                throw .malformedManifest(String(outlined: "golden.cases[\(i)] needs 'inputs' and 'outputs' arrays"))
            }
            var c = GoldenCase(inputs: [], outputs: [])
            for (k, t) in ins.enumerated() { c.inputs.append(try GoldenTensor(json: t, String(outlined: "golden.cases[\(i)].inputs[\(k)]"))) }
            for (k, t) in outs.enumerated() { c.outputs.append(try GoldenTensor(json: t, String(outlined: "golden.cases[\(i)].outputs[\(k)]"))) }
            cases.append(c)
        }
    }
}

public struct Requirements: Equatable {
    /// The oldest runtime that can run the package (semantic version).
    public var minRuntimeVersion: String
    /// ISA features the device must have ("avx2", "avx512", "neon", "neon-dot", "neon-i8mm"); empty: any CPU.
    public var isa: [String]

    public init(minRuntimeVersion: String, isa: [String] = []) {
        self.minRuntimeVersion = minRuntimeVersion
        self.isa = isa
    }
}

/// One blob of the data section: `offset` is relative to the data section's start
/// (a multiple of 64), `sha256` the hex digest of its `length` bytes.
public struct BlobEntry: Equatable {
    public var name: String
    public var kind: String
    public var offset: Int
    public var length: Int
    public var sha256: String

    public init(name: String, kind: String, offset: Int, length: Int, sha256: String) {
        self.name = name; self.kind = kind; self.offset = offset; self.length = length; self.sha256 = sha256
    }
}

/// The signed description of a package (see docs/package-format.md).
public struct Manifest: Equatable {
    public static let formatName = "outpost-package-manifest"

    public var name: String
    public var version: String
    public var release: Int
    public var createdAt: String
    public var keyID: String
    public var lineage: Lineage
    public var inputs: [TensorSignature]
    public var outputs: [TensorSignature]
    /// Drift baseline (OutpostDrift; stored in its JSON form).
    public var driftBaseline: DriftBaseline?
    public var golden: GoldenSet?
    public var requirements: Requirements
    public var blobs: [BlobEntry]

    public init(name: String, version: String, release: Int, createdAt: String, keyID: String, lineage: Lineage,
                inputs: [TensorSignature], outputs: [TensorSignature], driftBaseline: DriftBaseline?, golden: GoldenSet?,
                requirements: Requirements, blobs: [BlobEntry]) {
        self.name = name; self.version = version; self.release = release; self.createdAt = createdAt
        self.keyID = keyID; self.lineage = lineage; self.inputs = inputs; self.outputs = outputs
        self.driftBaseline = driftBaseline; self.golden = golden; self.requirements = requirements; self.blobs = blobs
    }

    public func blob(named name: String) -> BlobEntry? { blobs.first { $0.name == name } }

    /// The blob holding the ONNX model (kind "onnx").
    public var modelBlob: BlobEntry? { blobs.first { $0.kind == "onnx" } }

    public func jsonValue() -> JSONValue {
        var ins = [JSONValue](), outs = [JSONValue](), bl = [JSONValue](), isa = [JSONValue]()
        for s in inputs { ins.append(s.jsonValue()) }
        for s in outputs { outs.append(s.jsonValue()) }
        for f in requirements.isa { isa.append(.string(f)) }
        for b in blobs {
            bl.append(.object([("name", .string(b.name)), ("kind", .string(b.kind)), ("offset", .number(Double(b.offset))),
                               ("length", .number(Double(b.length))), ("sha256", .string(b.sha256))]))
        }
        return .object([
            ("format", .string(Manifest.formatName)),
            ("name", .string(name)),
            ("version", .string(version)),
            ("release", .number(Double(release))),
            ("created_at", .string(createdAt)),
            ("key_id", .string(keyID)),
            ("lineage", lineage.jsonValue()),
            ("signature", .object([("inputs", .array(ins)), ("outputs", .array(outs))])),
            ("drift_baseline", driftBaseline?.jsonValue() ?? .null),
            ("golden", golden?.jsonValue() ?? .null),
            ("requirements", .object([("min_runtime_version", .string(requirements.minRuntimeVersion)), ("isa", .array(isa))])),
            ("blobs", .array(bl)),
        ])
    }

    /// The exact bytes that go into the container (and are signed).
    public func encoded() -> [UInt8] { Array(jsonValue().serialized().utf8) }

    /// Parses and validates manifest bytes (field presence and types, semver,
    /// blob entries well-formed, unique and non-overlapping). Bounds against the
    /// data section are checked by the container reader.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(PackageError) -> Manifest {
        let v: JSONValue
        do { v = try JSONReader.parse(bytes: bytes) } catch { throw .malformedManifest(error.description) }
        return try Manifest(json: v)
    }

    public static func decode(_ bytes: [UInt8]) throws(PackageError) -> Manifest {
        let r: Result<Manifest, PackageError> = bytes.withUnsafeBytes { b in
            do throws(PackageError) { return .success(try decode(b)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    public init(json v: JSONValue) throws(PackageError) {
        guard v.objectValue != nil else { throw .malformedManifest("the manifest must be a JSON object") }
        let format = try ManifestField.string(v["format"], "format")
        guard format == Manifest.formatName else { throw .malformedManifest(String(outlined: "format is '\(format)', expected '\(Manifest.formatName)'")) }
        name = try ManifestField.string(v["name"], "name")
        guard !name.isEmpty else { throw .malformedManifest("name is empty") }
        version = try ManifestField.string(v["version"], "version")
        guard SemanticVersion(version) != nil else { throw .malformedManifest(String(outlined: "version '\(version)' is not a semantic version (MAJOR.MINOR.PATCH)")) }
        release = try ManifestField.count(v["release"], "release")
        createdAt = try ManifestField.string(v["created_at"], "created_at")
        keyID = try ManifestField.string(v["key_id"], "key_id")
        lineage = try Lineage(json: v["lineage"] ?? .object([]))
        let sig = v["signature"] ?? .null
        guard let ins = sig["inputs"]?.arrayValue, let outs = sig["outputs"]?.arrayValue else {
            throw .malformedManifest("'signature' needs 'inputs' and 'outputs' arrays")
        }
        inputs = []
        outputs = []
        for (i, s) in ins.enumerated() { inputs.append(try TensorSignature(json: s, String(outlined: "signature.inputs[\(i)]"))) }
        for (i, s) in outs.enumerated() { outputs.append(try TensorSignature(json: s, String(outlined: "signature.outputs[\(i)]"))) }
        switch v["drift_baseline"] {
        case nil, .null?: driftBaseline = nil
        case let b?:
            do { driftBaseline = try DriftBaseline(json: b) } catch {
                throw .malformedManifest(String(outlined: "drift_baseline: \(error.description)"))
            }
        }
        switch v["golden"] {
        case nil, .null?: golden = nil
        case let g?: golden = try GoldenSet(json: g)
        }
        let req = v["requirements"] ?? .null
        let minVersion = try ManifestField.string(req["min_runtime_version"], "requirements.min_runtime_version")
        guard SemanticVersion(minVersion) != nil else {
            throw .malformedManifest(String(outlined: "requirements.min_runtime_version '\(minVersion)' is not a semantic version"))
        }
        var isa = [String]()
        if let list = req["isa"] {
            guard let items = list.arrayValue else { throw .malformedManifest("requirements.isa must be an array of strings") }
            for item in items {
                guard let s = item.stringValue else { throw .malformedManifest("requirements.isa must be an array of strings") }
                isa.append(s)
            }
        }
        requirements = Requirements(minRuntimeVersion: minVersion, isa: isa)
        guard let items = v["blobs"]?.arrayValue else { throw .malformedManifest("'blobs' must be an array") }
        blobs = []
        var names = Set<String>()
        for (i, item) in items.enumerated() {
            let at = String(outlined: "blobs[\(i)]")
            let b = BlobEntry(name: try ManifestField.string(item["name"], String(outlined: "\(at).name")),
                              kind: try ManifestField.string(item["kind"], String(outlined: "\(at).kind")),
                              offset: try ManifestField.count(item["offset"], String(outlined: "\(at).offset")),
                              length: try ManifestField.count(item["length"], String(outlined: "\(at).length")),
                              sha256: try ManifestField.string(item["sha256"], String(outlined: "\(at).sha256")))
            guard names.insert(b.name).inserted else { throw .malformedManifest(String(outlined: "two blobs are named '\(b.name)'")) }
            guard let d = Hex.decode(b.sha256), d.count == 32 else {
                throw .malformedManifest(String(outlined: "\(at).sha256 must be 64 hex digits"))
            }
            guard b.offset % PackageFormat.alignment == 0 else {
                throw .blobOutOfBounds(String(outlined: "blob '\(b.name)' starts at offset \(b.offset), not a multiple of \(PackageFormat.alignment)"))
            }
            blobs.append(b)
        }
        // Overlaps: sorted by offset, each blob must end before the next starts.
        let sorted = stableSorted(blobs) { $0.offset < $1.offset }
        for k in 1..<max(sorted.count, 1) where sorted[k - 1].offset + sorted[k - 1].length > sorted[k].offset {
            throw .blobOutOfBounds(String(outlined: "blob '\(sorted[k - 1].name)' [\(sorted[k - 1].offset), \(sorted[k - 1].offset + sorted[k - 1].length)) overlaps blob '\(sorted[k].name)' starting at \(sorted[k].offset)"))
        }
        if let g = golden {
            guard let gb = blobs.first(where: { $0.name == g.blob }) else { throw .malformedManifest(String(outlined: "golden.blob '\(g.blob)' is not in 'blobs'")) }
            for (i, c) in g.cases.enumerated() {
                for t in c.inputs + c.outputs where t.offset > gb.length || t.length > gb.length - t.offset {
                    throw .blobOutOfBounds(String(outlined: "golden case \(i) tensor '\(t.name)' [\(t.offset), +\(t.length)) lies outside blob '\(gb.name)' (\(gb.length) bytes)"))
                }
            }
        }
    }
}

enum ManifestField {
    static func string(_ v: JSONValue?, _ name: String) throws(PackageError) -> String {
        guard let v else { throw .malformedManifest(String(outlined: "missing field '\(name)'")) }
        guard let s = v.stringValue else { throw .malformedManifest(String(outlined: "field '\(name)' must be a string")) }
        return s
    }

    static func optionalString(_ v: JSONValue?, _ name: String) throws(PackageError) -> String? {
        guard let v, v != .null else { return nil }
        guard let s = v.stringValue else { throw .malformedManifest(String(outlined: "field '\(name)' must be a string or null")) }
        return s
    }

    /// A whole number ≥ 0 that fits comfortably in an Int (< 2^53).
    static func count(_ v: JSONValue?, _ name: String) throws(PackageError) -> Int {
        guard let v else { throw .malformedManifest(String(outlined: "missing field '\(name)'")) }
        guard let n = v.intValue, n >= 0, Int64(n) < Int64(1) << 53 else { throw .malformedManifest(String(outlined: "field '\(name)' must be a whole number ≥ 0")) }
        return n
    }
}

extension DType {
    public static func named(_ name: String) -> DType? {
        for t in [DType.float32, .uint8, .int8, .int32, .int64, .bool, .float16] where t.name == name { return t }
        return nil
    }
}
