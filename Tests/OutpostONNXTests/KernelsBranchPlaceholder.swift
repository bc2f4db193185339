// Keeps this test target non-empty on the kernels branch (its real tests live on
// the loader branch); delete when merging if OutpostONNXTests has other files.
import Testing

@Test func onnxTestsPlaceholder() {}
