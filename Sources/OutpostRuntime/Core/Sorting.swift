import COutpostSystem

/// One stable sort for the device binary. In Embedded Swift every `sort`/`sorted`
/// on another element type (or with another comparison) was its own specialised
/// copy of the standard library's merge sort, ~2.5 KB each; these helpers sort
/// indices with one C merge sort (`op_sort_indices`: a Swift one was still cloned
/// per comparison closure by the closure specialiser) and permute, so each call
/// site adds only a small loop.
public func stableSortedIndices(count: Int, by less: (Int, Int) -> Bool) -> [Int] {
    var order = [Int](repeating: 0, count: count)
    withoutActuallyEscaping(less) { less in
        var comparison = less
        withUnsafeMutablePointer(to: &comparison) { context in
            order.withUnsafeMutableBufferPointer { buffer in
                let rc = op_sort_indices(count, buffer.baseAddress, { context, a, b in
                    context!.assumingMemoryBound(to: ((Int, Int) -> Bool).self).pointee(a, b) ? 1 : 0
                }, context)
                if rc != 0 { fatalError(String(outlined: "out of memory sorting \(count) elements")) }
            }
        }
    }
    return order
}

/// `values` in the order `less` defines; equal elements keep their order.
public func stableSorted<T>(_ values: [T], by less: (T, T) -> Bool) -> [T] {
    let order = stableSortedIndices(count: values.count) { less(values[$0], values[$1]) }
    var out = [T]()
    out.reserveCapacity(values.count)
    for i in order { out.append(values[i]) }
    return out
}
