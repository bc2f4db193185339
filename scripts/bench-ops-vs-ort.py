#!/usr/bin/env python3
"""Single-op models timed side by side: outpost bench vs onnxruntime (1 thread).
usage: scripts/bench-ops-vs-ort.py [OUTPOST_BIN] [ITER] [FILTER]"""
import json, os, subprocess, sys, tempfile, time
import numpy as np, onnx, onnxruntime as ort
from onnx import helper as h, TensorProto as T

BIN = sys.argv[1] if len(sys.argv) > 1 else ".build/release/outpost"
ITER = int(sys.argv[2]) if len(sys.argv) > 2 else 300
FILT = sys.argv[3] if len(sys.argv) > 3 else ""

def vi(n, s): return h.make_tensor_value_info(n, T.FLOAT, s)
def model(nodes, ins, outs, inits=()):
    g = h.make_graph(nodes, "g", [vi(n, s) for n, s in ins], [vi(n, s) for n, s in outs], list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)]); m.ir_version = 8
    return m
def const(name, arr): return onnx.numpy_helper.from_array(np.asarray(arr), name)

cases = []
for shp in ([1,16,80,80], [1,64,56,56]):
    for k in (2, 3):
        oh = (shp[2] - k) // 2 + 1
        cases.append((f"MaxPool{k}x{k}s2 {shp}", model([h.make_node("MaxPool", ["x"], ["y"], kernel_shape=[k,k], strides=[2,2])],
                      [("x", shp)], [("y", [1, shp[1], oh, oh])])))
S = [1,64,56,56]
cases.append(("AveragePool3x3s1p1 [1,64,56,56]", model([h.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3,3], pads=[1,1,1,1])], [("x", S)], [("y", S)])))
for op in ("Add", "Mul"):
    cases.append((f"{op} same {S}", model([h.make_node(op, ["a", "b"], ["y"])], [("a", S), ("b", S)], [("y", S)])))
    cases.append((f"{op} chan-bcast {S}", model([h.make_node(op, ["a", "b"], ["y"])], [("a", S)], [("y", S)],
                  [const("b", np.random.rand(1,64,1,1).astype(np.float32))])))
cases.append((f"Sigmoid {S}", model([h.make_node("Sigmoid", ["x"], ["y"])], [("x", S)], [("y", S)])))
cases.append(("Softmax [64,1000]", model([h.make_node("Softmax", ["x"], ["y"], axis=-1)], [("x", [64,1000])], [("y", [64,1000])])))
for n in (2, 4):
    ins = [(f"x{i}", [1,32,40,40]) for i in range(n)]
    cases.append((f"Concat{n} C [1,32,40,40]", model([h.make_node("Concat", [a for a, _ in ins], ["y"], axis=1)], ins, [("y", [1,32*n,40,40])])))
cases.append(("Split2 C [1,128,40,40]", model([h.make_node("Split", ["x", "s"], ["y0", "y1"], axis=1)], [("x", [1,128,40,40])],
              [("y0", [1,64,40,40]), ("y1", [1,64,40,40])], [const("s", np.array([64,64], np.int64))])))
cases.append(("Slice C [1,128,40,40]", model([h.make_node("Slice", ["x", "st", "en", "ax"], ["y"])], [("x", [1,128,40,40])], [("y", [1,64,40,40])],
              [const("st", np.array([32], np.int64)), const("en", np.array([96], np.int64)), const("ax", np.array([1], np.int64))])))
cases.append(("Resize nearest x2 [1,64,40,40]", model([h.make_node("Resize", ["x", "", "sc"], ["y"], mode="nearest")], [("x", [1,64,40,40])], [("y", [1,64,80,80])],
              [const("sc", np.array([1,1,2,2], np.float32))])))
cases.append((f"GlobalAveragePool {S}", model([h.make_node("GlobalAveragePool", ["x"], ["y"])], [("x", S)], [("y", [1,64,1,1])])))
cases.append(("ReduceMean last [64,768]", model([h.make_node("ReduceMean", ["x"], ["y"], axes=[-1], keepdims=1)], [("x", [64,768])], [("y", [64,1])])))
cases.append(("LayerNorm [64,768]", model([h.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1)], [("x", [64,768])], [("y", [64,768])],
              [const("g", np.random.rand(768).astype(np.float32)), const("b", np.random.rand(768).astype(np.float32))])))

def ort_time(path, m):
    so = ort.SessionOptions(); so.intra_op_num_threads = 1; so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    feeds = {i.name: np.random.rand(*i.shape).astype(np.float32) for i in s.get_inputs()}
    for _ in range(20): s.run(None, feeds)
    ts = []
    for _ in range(ITER):
        t = time.perf_counter(); s.run(None, feeds); ts.append((time.perf_counter() - t) * 1e3)
    return min(ts), float(np.median(ts))

d = tempfile.mkdtemp()
print(f"{'op':36s} {'outpost min/med ms':>20s} {'ORT min/med ms':>18s}")
for name, m in cases:
    if FILT and FILT not in name: continue
    p = os.path.join(d, "m.onnx"); onnx.save(m, p)
    r = subprocess.run([BIN, "bench", p, "--threads", "1", "--warmup", "20", "--iterations", str(ITER), "--json"], capture_output=True, text=True)
    try: j = json.loads(r.stdout.strip().splitlines()[-1]); o = (j["min_ms"], j["median_ms"])
    except Exception: o = (float("nan"), float("nan")); print(r.stderr.strip()[:200])
    om, od = ort_time(p, m)
    print(f"{name:36s} {o[0]:9.4f} /{o[1]:8.4f} {om:8.4f} /{od:8.4f}", flush=True)
