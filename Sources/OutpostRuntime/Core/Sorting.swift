/// One stable sort for the device binary. In Embedded Swift every `sort`/`sorted`
/// on another element type (or with another comparison) was its own specialised
/// copy of the standard library's merge sort, ~2.5 KB each; these helpers sort
/// indices (one non-generic merge sort, not inlined) and permute, so each call
/// site adds only a small loop.
@inline(never)
public func stableSortedIndices(count: Int, by less: (Int, Int) -> Bool) -> [Int] {
    var order = [Int]()
    order.reserveCapacity(count)
    for i in 0..<count { order.append(i) }
    // Bottom-up merge sort: stable (the left run wins ties), O(n log n).
    var buffer = order
    var width = 1
    while width < count {
        var lo = 0
        while lo < count {
            let mid = min(lo + width, count), hi = min(lo + 2 * width, count)
            var i = lo, j = mid, o = lo
            while i < mid && j < hi {
                if less(order[j], order[i]) { buffer[o] = order[j]; j += 1 } else { buffer[o] = order[i]; i += 1 }
                o += 1
            }
            while i < mid { buffer[o] = order[i]; i += 1; o += 1 }
            while j < hi { buffer[o] = order[j]; j += 1; o += 1 }
            lo = hi
        }
        swap(&order, &buffer)
        width *= 2
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
