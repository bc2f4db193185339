#!/usr/bin/env python3
"""Quantized single-op models: outpost bench (median, 1 thread) vs onnxruntime (1 thread).
usage: scripts/bench-qops-vs-ort.py .build/release/outpost"""
import json, os, subprocess, sys, tempfile, time
import numpy as np, onnx, onnxruntime as ort
from onnx import helper as h, TensorProto as T, numpy_helper
BIN = sys.argv[1]; ITER = 200
rng = np.random.default_rng(0)
def c(name, arr): return numpy_helper.from_array(np.asarray(arr), name)
def model(nodes, ins, outs, inits):
    g = h.make_graph(nodes, "g", [h.make_tensor_value_info(n, t, s) for n, t, s in ins], [h.make_tensor_value_info(n, t, None) for n, t in outs], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 21), h.make_opsetid("com.microsoft", 1)]); m.ir_version = 10
    return m
S = [1, 64, 56, 56]
sc = lambda v: c("s", np.float32(v))
cases = []
cases.append(("QuantizeLinear f32->u8 [1,64,56,56]", model([h.make_node("QuantizeLinear", ["x", "s", "z"], ["y"])], [("x", T.FLOAT, S)], [("y", T.UINT8)],
              [c("s", np.float32(0.05)), c("z", np.uint8(128))]), {"x": rng.standard_normal(S).astype(np.float32)}))
cases.append(("DequantizeLinear u8->f32 [1,64,56,56]", model([h.make_node("DequantizeLinear", ["x", "s", "z"], ["y"])], [("x", T.UINT8, S)], [("y", T.FLOAT)],
              [c("s", np.float32(0.05)), c("z", np.uint8(128))]), {"x": rng.integers(0, 256, S).astype(np.uint8)}))
qp = lambda p: [c(p + "s", np.float32(0.05)), c(p + "z", np.uint8(120))]
for op in ("QLinearAdd", "QLinearMul"):
    cases.append((f"{op} u8 same [1,64,56,56]", model([h.make_node(op, ["a", "as", "az", "b", "bs", "bz", "cs", "cz"], ["y"], domain="com.microsoft")],
                  [("a", T.UINT8, S), ("b", T.UINT8, S)], [("y", T.UINT8)], qp("a") + qp("b") + qp("c")),
                  {"a": rng.integers(0, 256, S).astype(np.uint8), "b": rng.integers(0, 256, S).astype(np.uint8)}))
cases.append(("QLinearSigmoid u8 [1,64,56,56]", model([h.make_node("QLinearSigmoid", ["a", "as", "az", "cs", "cz"], ["y"], domain="com.microsoft")],
              [("a", T.UINT8, S)], [("y", T.UINT8)], qp("a") + qp("c")), {"a": rng.integers(0, 256, S).astype(np.uint8)}))
for cin, cout, k, hw in ((64, 64, 3, 56), (64, 128, 1, 56)):
    X = [1, cin, hw, hw]
    inits = [c("xs", np.float32(0.05)), c("xz", np.uint8(120)), c("w", rng.integers(-127, 128, [cout, cin, k, k]).astype(np.int8)),
             c("ws", (rng.random(cout) * 0.01).astype(np.float32)), c("wz", np.zeros(cout, np.int8)), c("ys", np.float32(2.0)), c("yz", np.uint8(100)),
             c("b", rng.integers(-1000, 1000, cout).astype(np.int32))]
    cases.append((f"QLinearConv u8s8 {k}x{k} {cin}->{cout} {hw}x{hw}", model([h.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y"], pads=[k//2]*4)],
                  [("x", T.UINT8, X)], [("y", T.UINT8)], inits), {"x": rng.integers(0, 256, X).astype(np.uint8)}))
M = 256
inits = [c("as", np.float32(0.05)), c("az", np.uint8(120)), c("b", rng.integers(-127, 128, [M, M]).astype(np.int8)), c("bs", np.float32(0.01)),
         c("bz", np.int8(0)), c("ys", np.float32(2.0)), c("yz", np.uint8(100))]
cases.append(("QLinearMatMul u8s8 256^3", model([h.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], ["y"])],
              [("a", T.UINT8, [M, M])], [("y", T.UINT8)], inits), {"a": rng.integers(0, 256, [M, M]).astype(np.uint8)}))
tmp = tempfile.mkdtemp()
print(f"{'case':45s} {'outpost ms':>11s} {'ort ms':>9s}")
for name, m, feeds in cases:
    p = os.path.join(tmp, "m.onnx"); onnx.save(m, p)
    d = os.path.join(tmp, "in"); os.makedirs(d, exist_ok=True)
    for f in os.listdir(d): os.remove(os.path.join(d, f))
    for i, (k, v) in enumerate(feeds.items()): onnx.save_tensor(numpy_helper.from_array(v, k), os.path.join(d, f"input_{i}.pb"))
    r = subprocess.run([BIN, "bench", p, "--input-dir", d, "--threads", "1", "--iterations", str(ITER), "--json"], capture_output=True, text=True)
    try: ours = json.loads(r.stdout)["median_ms"]
    except Exception: ours = float("nan"); print(r.stdout, r.stderr)
    so = ort.SessionOptions(); so.intra_op_num_threads = 1; so.inter_op_num_threads = 1
    s = ort.InferenceSession(p, so, providers=["CPUExecutionProvider"])
    for _ in range(10): s.run(None, feeds)
    ts = []
    for _ in range(ITER):
        t0 = time.perf_counter(); s.run(None, feeds); ts.append(time.perf_counter() - t0)
    print(f"{name:45s} {ours:11.3f} {np.median(ts)*1e3:9.3f}")
