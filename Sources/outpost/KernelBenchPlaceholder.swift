/// Replaced by the kernel benchmark when the kernels land.
func runKernelBench(_ args: [String]) -> Int {
    Console.error("error: bench-kernels is not available in this build")
    return 1
}
