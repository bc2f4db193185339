/// Indices of the nodes a graph rewrite absorbed: one flag per node, for the
/// passes that drop them afterwards (a Set<Int> was a hashing specialisation of
/// its own for this alone).
struct NodeIndexSet {
    private var flags = [Bool]()
    private(set) var isEmpty = true

    func contains(_ index: Int) -> Bool { index >= 0 && index < flags.count && flags[index] }

    mutating func insert(_ index: Int) {
        while flags.count <= index { flags.append(false) }
        flags[index] = true
        isEmpty = false
    }
}
