/// How a session runs a model.
public struct SessionOptions {
    /// Threads for the kernels; 0 = the CPUs available to the process.
    public var threads: Int = 0
    /// Graph optimisations (fusions) at load; off only to debug them.
    public var optimize: Bool = true
    /// Time every operator (see `Session.profile`).
    public var profile: Bool = false

    public init(threads: Int = 0, optimize: Bool = true, profile: Bool = false) {
        self.threads = threads
        self.optimize = optimize
        self.profile = profile
    }
}
