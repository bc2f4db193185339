/// Element types a tensor can hold. Raw values are ONNX's TensorProto.DataType
/// codes, so the loader can map them directly.
public enum DType: Int, Sendable {
    case float32 = 1
    case uint8 = 2
    case int8 = 3
    case int32 = 6
    case int64 = 7
    case bool = 9
    case float16 = 10

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float32, .int32: return 4
        case .int64: return 8
        case .float16: return 2
        case .uint8, .int8, .bool: return 1
        }
    }

    public var name: String {
        switch self {
        case .float32: return "float32"
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .int32: return "int32"
        case .int64: return "int64"
        case .bool: return "bool"
        case .float16: return "float16"
        }
    }

    public var isInteger: Bool {
        switch self {
        case .uint8, .int8, .int32, .int64: return true
        default: return false
        }
    }

    /// Name of an ONNX data type code, including the ones Outpost does not support,
    /// so "unsupported dtype" errors can say which one was found.
    public static func onnxName(_ code: Int) -> String {
        switch code {
        case 0: return "undefined"
        case 1: return "float32"
        case 2: return "uint8"
        case 3: return "int8"
        case 4: return "uint16"
        case 5: return "int16"
        case 6: return "int32"
        case 7: return "int64"
        case 8: return "string"
        case 9: return "bool"
        case 10: return "float16"
        case 11: return "double"
        case 12: return "uint32"
        case 13: return "uint64"
        case 14: return "complex64"
        case 15: return "complex128"
        case 16: return "bfloat16"
        case 17: return "float8e4m3fn"
        case 18: return "float8e4m3fnuz"
        case 19: return "float8e5m2"
        case 20: return "float8e5m2fnuz"
        case 21: return "uint4"
        case 22: return "int4"
        case 23: return "float4e2m1"
        case 24: return "float8e8m0"
        case 25: return "uint2"
        case 26: return "int2"
        default: return String(outlined: "dtype#\(code)")
        }
    }
}
