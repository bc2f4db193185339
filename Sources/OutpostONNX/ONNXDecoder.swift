import OutpostRuntime

/// Decodes ONNX protobuf messages (ModelProto, GraphProto, NodeProto, AttributeProto,
/// TensorProto, ValueInfoProto...) straight into Outpost's graph IR.
///
/// Field numbers follow onnx/onnx.proto. Unknown fields are skipped; known fields
/// with an unexpected wire type are skipped too (protobuf's rule), so newer models
/// with extra fields still load.
final class ONNXDecoder {
    /// Graphs nested in attributes (If/Loop/Scan bodies) deeper than this are refused,
    /// so hostile input cannot overflow the stack.
    static let maxGraphDepth = 16

    let tensors: TensorMaterializer

    init(source: Buffer, baseDirectory: String?) {
        tensors = TensorMaterializer(source: source, baseDirectory: baseDirectory)
    }

    var source: Buffer { tensors.source }

    func reader(context: String) -> ProtobufReader {
        ProtobufReader(base: UnsafeRawPointer(source.base), count: source.byteCount, context: context)
    }

    // MARK: ModelProto

    /// A model-local function's (domain, name). Held in an array (a model has a
    /// handful, usually none): a Set of them was a hashing specialisation of its own.
    struct FunctionID: Equatable {
        var domain: String
        var name: String
    }

    func decodeModel() throws(OutpostError) -> (model: Model, functions: [FunctionID]) {
        var r = reader(context: "ModelProto")
        var graph: Graph?
        var opsets = [String: Int]()
        var functions = [FunctionID]()
        var irVersion = 0
        var producer = "", producerVersion = "", domain = "", docString = ""
        var modelVersion = 0
        var metadata = [String: String]()
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (1, .varint): irVersion = clampedInt(try r.readInt64())
            case (2, .lengthDelimited): producer = try r.readString()
            case (3, .lengthDelimited): producerVersion = try r.readString()
            case (4, .lengthDelimited): domain = try r.readString()
            case (5, .varint): modelVersion = clampedInt(try r.readInt64())
            case (6, .lengthDelimited): docString = try r.readString()
            case (7, .lengthDelimited):
                graph = try decodeGraph(try r.readMessage("GraphProto"), depth: 0)
            case (8, .lengthDelimited):
                let (d, v) = try decodeOpset(try r.readMessage("OperatorSetIdProto"))
                opsets[d] = v
            case (14, .lengthDelimited):
                let (k, v) = try decodeStringStringEntry(try r.readMessage("StringStringEntryProto"))
                metadata[k] = v
            case (25, .lengthDelimited):
                functions.append(try decodeFunctionID(try r.readMessage("FunctionProto")))
            default: try r.skip(wire)
            }
        }
        guard let graph else { throw .invalidModel("the model has no graph") }
        let model = Model(graph: graph, opsets: opsets, irVersion: irVersion, producer: producer, source: source)
        model.producerVersion = producerVersion
        model.domain = domain
        model.modelVersion = modelVersion
        model.docString = docString
        model.metadata = metadata
        return (model, functions)
    }

    private func decodeOpset(_ reader: ProtobufReader) throws(OutpostError) -> (String, Int) {
        var r = reader
        var domain = "", version = 0
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (1, .lengthDelimited): domain = try r.readString()
            case (2, .varint): version = clampedInt(try r.readInt64())
            default: try r.skip(wire)
            }
        }
        return (domain == "ai.onnx" ? "" : domain, version)
    }

    private func decodeFunctionID(_ reader: ProtobufReader) throws(OutpostError) -> FunctionID {
        var r = reader
        var id = FunctionID(domain: "", name: "")
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (1, .lengthDelimited): id.name = try r.readString()
            case (10, .lengthDelimited):
                let d = try r.readString()
                id.domain = d == "ai.onnx" ? "" : d
            default: try r.skip(wire)
            }
        }
        return id
    }

    // MARK: GraphProto

    func decodeGraph(_ reader: ProtobufReader, depth: Int) throws(OutpostError) -> Graph {
        var r = reader
        guard depth <= ONNXDecoder.maxGraphDepth else {
            throw r.error(String(outlined: "graphs nested more than \(ONNXDecoder.maxGraphDepth) levels deep"), at: r.offset)
        }
        let g = Graph()
        var inputs = [ValueInfo]()
        var initializerOrder = [String]()
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (1, .lengthDelimited):
                g.nodes.append(try decodeNode(try r.readMessage("NodeProto"), depth: depth))
            case (2, .lengthDelimited): g.name = try r.readString()
            case (5, .lengthDelimited):
                let fields = try TensorProtoFields.decode(try r.readMessage("TensorProto"))
                let t = try tensors.tensor(fields, what: "initializer")
                guard !fields.name.isEmpty else { throw .invalidModel(String(outlined: "graph '\(g.name)' has an initializer without a name")) }
                guard g.initializers[fields.name] == nil else {
                    throw .invalidModel(String(outlined: "graph '\(g.name)' has two initializers named '\(fields.name)'"))
                }
                g.initializers[fields.name] = t
                initializerOrder.append(fields.name)
            case (15, .lengthDelimited):
                let name = try sparseTensorName(try r.readMessage("SparseTensorProto"))
                throw .unsupportedDataType(tensor: name, dtype: "sparse tensor")
            case (11, .lengthDelimited): inputs.append(try decodeValueInfo(try r.readMessage("ValueInfoProto")))
            case (12, .lengthDelimited): g.outputs.append(try decodeValueInfo(try r.readMessage("ValueInfoProto")))
            case (13, .lengthDelimited):
                let v = try decodeValueInfo(try r.readMessage("ValueInfoProto"))
                g.valueInfo[v.name] = v
            default: try r.skip(wire)
            }
        }
        // Old IR versions also list initializers as inputs: those are not fed by callers.
        g.inputs = inputs.filter { g.initializers[$0.name] == nil }
        return g
    }

    private func sparseTensorName(_ reader: ProtobufReader) throws(OutpostError) -> String {
        var r = reader
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            if field == 1 && wire == .lengthDelimited {
                let f = try TensorProtoFields.decode(try r.readMessage("TensorProto"))
                return f.name
            }
            try r.skip(wire)
        }
        return "<unnamed sparse initializer>"
    }

    // MARK: ValueInfoProto / TypeProto

    func decodeValueInfo(_ reader: ProtobufReader) throws(OutpostError) -> ValueInfo {
        var r = reader
        var name = ""
        var elemType = 0
        var shape: [Dim]?
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (1, .lengthDelimited): name = try r.readString()
            case (2, .lengthDelimited):
                var t = try r.readMessage("TypeProto")
                while !t.isAtEnd {
                    let (tf, tw) = try t.readTag()
                    if tf == 1 && tw == .lengthDelimited {
                        (elemType, shape) = try decodeTensorType(try t.readMessage("TypeProto.Tensor"))
                    } else {
                        try t.skip(tw) // sequence, map, optional, sparse: no tensor type
                    }
                }
            default: try r.skip(wire)
            }
        }
        return ValueInfo(name: name, dtype: DType(rawValue: elemType), onnxType: elemType, shape: shape)
    }

    private func decodeTensorType(_ reader: ProtobufReader) throws(OutpostError) -> (Int, [Dim]?) {
        var r = reader
        var elemType = 0
        var shape: [Dim]?
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (1, .varint): elemType = Int(try r.readInt32())
            case (2, .lengthDelimited):
                var s = try r.readMessage("TensorShapeProto")
                var dims = [Dim]()
                while !s.isAtEnd {
                    let (sf, sw) = try s.readTag()
                    if sf == 1 && sw == .lengthDelimited {
                        dims.append(try decodeDimension(try s.readMessage("TensorShapeProto.Dimension")))
                    } else {
                        try s.skip(sw)
                    }
                }
                shape = dims
            default: try r.skip(wire)
            }
        }
        return (elemType, shape)
    }

    private func decodeDimension(_ reader: ProtobufReader) throws(OutpostError) -> Dim {
        var r = reader
        var dim = Dim.unknown
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (1, .varint):
                let v = try r.readInt64()
                if v >= 0, let i = Int(exactly: v) { dim = .fixed(i) } else { dim = .unknown }
            case (2, .lengthDelimited):
                let p = try r.readString()
                dim = p.isEmpty ? .unknown : .symbolic(p)
            default: try r.skip(wire)
            }
        }
        return dim
    }

    // MARK: NodeProto / AttributeProto

    /// An attribute Outpost cannot represent, reported once the node's name is known.
    private enum DecodedAttribute {
        case value(String, Attribute)
        case unsupported(String, String)
    }

    func decodeNode(_ reader: ProtobufReader, depth: Int) throws(OutpostError) -> Node {
        var r = reader
        var name = "", opType = "", domain = ""
        var inputs = [String](), outputs = [String]()
        var attributes = [String: Attribute]()
        var problem: (String, String)?
        var duplicate: String?
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (1, .lengthDelimited): inputs.append(try r.readString())
            case (2, .lengthDelimited): outputs.append(try r.readString())
            case (3, .lengthDelimited): name = try r.readString()
            case (4, .lengthDelimited): opType = try r.readString()
            case (5, .lengthDelimited):
                switch try decodeAttribute(try r.readMessage("AttributeProto"), depth: depth) {
                case let .value(key, value):
                    if attributes[key] != nil { duplicate = key }
                    attributes[key] = value
                case let .unsupported(key, reason):
                    if problem == nil { problem = (key, reason) }
                }
            case (7, .lengthDelimited): domain = try r.readString()
            default: try r.skip(wire)
            }
        }
        let node = Node(name: name, opType: opType, domain: domain, inputs: inputs, outputs: outputs,
                        attributes: attributes)
        if opType.isEmpty {
            throw .invalidModel(String(outlined: "node '\(node.displayName)' has no op_type"))
        }
        if let (key, reason) = problem {
            throw .unsupportedAttribute(node: node.displayName, op: opType, attribute: key, reason: reason)
        }
        if let duplicate {
            throw node.invalid("attribute '\(duplicate)' is given twice")
        }
        return node
    }

    private func decodeAttribute(_ reader: ProtobufReader, depth: Int) throws(OutpostError) -> DecodedAttribute {
        var r = reader
        var name = ""
        var type = 0
        var f: Float?
        var i: Int64?
        var s: String?
        var t: Tensor?
        var g: Graph?
        var floats = [UInt32]()
        var ints = [Int64]()
        var strings = [String]()
        var tensorList = [Tensor]()
        var graphList = [Graph]()
        var refAttrName = ""
        var other = ""
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (1, .lengthDelimited): name = try r.readString()
            case (2, .fixed32): f = try r.readFloat()
            case (3, .varint): i = try r.readInt64()
            case (4, .lengthDelimited): s = try r.readString()
            case (5, .lengthDelimited):
                t = try tensors.tensor(try TensorProtoFields.decode(try r.readMessage("TensorProto")), what: "attribute tensor")
            case (6, .lengthDelimited):
                g = try decodeGraph(try r.readMessage("GraphProto"), depth: depth + 1)
            case (7, .fixed32), (7, .lengthDelimited): try r.readRepeatedFixed32(wire, into: &floats)
            case (8, .varint), (8, .lengthDelimited): try r.readRepeatedVarint(wire, into: &ints)
            case (9, .lengthDelimited): strings.append(try r.readString())
            case (10, .lengthDelimited):
                tensorList.append(try tensors.tensor(try TensorProtoFields.decode(try r.readMessage("TensorProto")),
                                                     what: "attribute tensor"))
            case (11, .lengthDelimited):
                graphList.append(try decodeGraph(try r.readMessage("GraphProto"), depth: depth + 1))
            case (20, .varint): type = Int(try r.readInt32())
            case (21, .lengthDelimited): refAttrName = try r.readString()
            case (22, .lengthDelimited), (23, .lengthDelimited):
                other = "sparse tensor"; try r.skip(wire)
            case (14, .lengthDelimited), (15, .lengthDelimited):
                other = "type proto"; try r.skip(wire)
            default: try r.skip(wire)
            }
        }
        if !refAttrName.isEmpty {
            return .unsupported(name, String(outlined: "refers to function attribute '\(refAttrName)' (model-local functions are not supported)"))
        }
        // ONNX AttributeType codes; 0 (old models) means "infer from the field that is set".
        switch type {
        case 1: return .value(name, .float(f ?? 0))
        case 2: return .value(name, .int(clampedInt(i ?? 0)))
        case 3: return .value(name, .string(s ?? ""))
        case 4:
            guard let t else { return .unsupported(name, "tensor attribute without a tensor") }
            return .value(name, .tensor(t))
        case 5:
            guard let g else { return .unsupported(name, "graph attribute without a graph") }
            return .value(name, .graph(g))
        case 6: return .value(name, .floats(floats.map { Float(bitPattern: $0) }))
        case 7: return .value(name, .ints(ints.map { clampedInt($0) }))
        case 8: return .value(name, .strings(strings))
        case 9: return .value(name, .tensors(tensorList))
        case 10: return .value(name, .graphs(graphList))
        case 11, 12: return .unsupported(name, "sparse tensor attributes are not supported")
        case 13, 14: return .unsupported(name, "type proto attributes are not supported")
        case 0:
            if let f { return .value(name, .float(f)) }
            if let i { return .value(name, .int(clampedInt(i))) }
            if let s { return .value(name, .string(s)) }
            if let t { return .value(name, .tensor(t)) }
            if let g { return .value(name, .graph(g)) }
            if !floats.isEmpty { return .value(name, .floats(floats.map { Float(bitPattern: $0) })) }
            if !ints.isEmpty { return .value(name, .ints(ints.map { clampedInt($0) })) }
            if !strings.isEmpty { return .value(name, .strings(strings)) }
            if !tensorList.isEmpty { return .value(name, .tensors(tensorList)) }
            if !graphList.isEmpty { return .value(name, .graphs(graphList)) }
            if !other.isEmpty { return .unsupported(name, String(outlined: "\(other) attributes are not supported")) }
            return .value(name, .ints([]))
        default:
            return .unsupported(name, String(outlined: "unknown attribute type \(type)"))
        }
    }
}
