/// Numpy-style (multidirectional) broadcasting, as ONNX defines it.
public enum Broadcast {
    /// The broadcast shape of `a` and `b`, or nil when they are incompatible.
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 {
                out[i] = da
            } else if da == 1 {
                out[i] = db
            } else {
                return nil
            }
        }
        return out
    }

    /// The broadcast shape of several shapes (Max, Min, Sum, Where...).
    public static func shape(_ shapes: [[Int]]) -> [Int]? {
        guard var acc = shapes.first else { return [] }
        for s in shapes.dropFirst() {
            guard let next = shape(acc, s) else { return nil }
            acc = next
        }
        return acc
    }

    /// Element strides of `shape` when read as if it had shape `out` (stride 0 on
    /// broadcast dimensions); the result has out.count entries.
    public static func strides(of shape: [Int], broadcastTo out: [Int]) -> [Int] {
        let own = Tensor.strides(of: shape)
        var result = [Int](repeating: 0, count: out.count)
        let shift = out.count - shape.count
        for i in 0..<shape.count where shape[i] != 1 {
            result[i + shift] = own[i]
        }
        return result
    }
}
