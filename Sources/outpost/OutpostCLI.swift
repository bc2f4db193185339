import COutpostSystem
import OutpostRuntime

enum OutpostCLI {
    static func run(_ args: [String]) -> Int {
        let g = Graph(name: "t", nodes: [Node(name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"])],
                      inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.fixed(4)])],
                      outputs: [ValueInfo(name: "y", dtype: .float32, shape: [.fixed(4)])])
        do {
            let s = try Session(model: Model(graph: g, opsets: ["": 17]))
            let out = try s.run([Tensor(shape: [4], floats: [-1, 2, -3, 4])])
            print("relu: \(out[0].floatValues()) \(1.5 as Float)")
        } catch {
            print("error: \(error.description)")
            return 1
        }
        return 0
    }
}
