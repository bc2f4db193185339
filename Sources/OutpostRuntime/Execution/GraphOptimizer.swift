/// Load-time graph rewrites. Each pass looks for one pattern and rewrites it in
/// place; passes run in a fixed order.
struct GraphOptimizer {
    let graph: Graph

    func run() throws(OutpostError) {
    }
}
