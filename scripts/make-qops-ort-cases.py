#!/usr/bin/env python3
"""Quantized-operator cross-checks against onnxruntime (ORT_DISABLE_ALL, op by op) and onnx.reference,
written in ONNX backend-test layout for `outpost conformance`:
  python3 scripts/make-qops-ort-cases.py && .build/debug/outpost conformance /tmp/qops-ort/cases
Single com.microsoft ops (QLinearAdd/Mul/Sigmoid/LeakyRelu/Softmax/GlobalAveragePool/Concat, QGemm) vs ORT;
QLinearMatMul / MatMulInteger / QLinearConv / ConvInteger with constant (pre-packed) weights vs onnx.reference."""
import numpy as np, onnx, os, shutil
from onnx import helper, TensorProto, numpy_helper
import onnxruntime as ort
root = "/tmp/qops-ort/cases"
shutil.rmtree(root, ignore_errors=True)
rng = np.random.default_rng(1)
def T(dt): return TensorProto.UINT8 if dt == np.uint8 else TensorProto.INT8
def q(shape, dt):
    lo, hi = (0, 255) if dt == np.uint8 else (-128, 127)
    return rng.integers(lo, hi + 1, size=shape).astype(dt)
def case(name, node, feeds, inits, out_dtype, opset_ms=1):
    graph = helper.make_graph([node], name,
        [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape) for k, v in feeds.items()],
        [helper.make_tensor_value_info(node.output[0], out_dtype, None)],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    so = ort.SessionOptions(); so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    out = s.run(None, feeds)[0]
    d = os.path.join(root, name); os.makedirs(os.path.join(d, "test_data_set_0"))
    onnx.save(m, os.path.join(d, "model.onnx"))
    for i, (k, v) in enumerate(feeds.items()):
        onnx.save_tensor(numpy_helper.from_array(v, k), os.path.join(d, "test_data_set_0", f"input_{i}.pb"))
    onnx.save_tensor(numpy_helper.from_array(out, node.output[0]), os.path.join(d, "test_data_set_0", "output_0.pb"))
f32 = lambda v: np.array(v, dtype=np.float32)
for dt in (np.uint8, np.int8):
    tn = "u8" if dt == np.uint8 else "s8"
    zp = lambda v: np.array(v, dtype=dt)
    for op in ("QLinearAdd", "QLinearMul"):
        for shapes, tag in ((([2, 3, 17], [2, 3, 17]), "same"), (([2, 3, 5], [3, 1]), "bcast"), (([1, 40], [1]), "scalar")):
            a, b = q(shapes[0], dt), q(shapes[1], dt)
            inits = {"sa": f32(0.031), "za": zp(7 if dt == np.uint8 else -3), "sb": f32(0.047), "zb": zp(130 if dt == np.uint8 else 5),
                     "sc": f32(0.05 if op == "QLinearAdd" else 0.9), "zc": zp(120 if dt == np.uint8 else -10)}
            node = helper.make_node(op, ["a", "sa", "za", "b", "sb", "zb", "sc", "zc"], ["y"], domain="com.microsoft")
            case(f"ort_{op.lower()}_{tag}_{tn}", node, {"a": a, "b": b}, inits, T(dt))
    for op, attrs in (("QLinearSigmoid", {}), ("QLinearLeakyRelu", {"alpha": 0.1})):
        x = q([3, 100], dt)
        inits = {"sx": f32(0.07), "zx": zp(128 if dt == np.uint8 else 3), "sy": f32(1/256 if op == "QLinearSigmoid" else 0.05), "zy": zp(0 if dt == np.uint8 else -128) if op == "QLinearSigmoid" else zp(100 if dt == np.uint8 else 10)}
        node = helper.make_node(op, ["x", "sx", "zx", "sy", "zy"], ["y"], domain="com.microsoft", **attrs)
        case(f"ort_{op.lower()}_{tn}", node, {"x": x}, inits, T(dt))
    for opset, axis, shape in ((13, -1, [2, 3, 10]), (13, 1, [2, 5, 3]), (12, 1, [2, 3, 4])):
        x = q(shape, dt)
        inits = {"sx": f32(0.1), "zx": zp(128 if dt == np.uint8 else 0), "sy": f32(1/256), "zy": zp(0 if dt == np.uint8 else -128)}
        node = helper.make_node("QLinearSoftmax", ["x", "sx", "zx", "sy", "zy"], ["y"], domain="com.microsoft", opset=opset, axis=axis)
        case(f"ort_qlinearsoftmax_o{opset}_a{axis}_{tn}".replace("-", "m"), node, {"x": x}, inits, T(dt))
    for cl, shape in ((0, [2, 3, 5, 7]), (1, [2, 5, 7, 3])):
        x = q(shape, dt)
        inits = {"sx": f32(0.1), "zx": zp(128 if dt == np.uint8 else 1), "sy": f32(0.07), "zy": zp(100 if dt == np.uint8 else -3)}
        node = helper.make_node("QLinearGlobalAveragePool", ["x", "sx", "zx", "sy", "zy"], ["y"], domain="com.microsoft", channels_last=cl)
        case(f"ort_qlinearglobalaveragepool_cl{cl}_{tn}", node, {"x": x}, inits, T(dt))
    a, b = q([2, 3, 4], dt), q([2, 5, 4], dt)
    inits = {"sy": f32(0.05), "zy": zp(128 if dt == np.uint8 else 0), "s1": f32(0.07), "z1": zp(100 if dt == np.uint8 else 3), "s2": f32(0.05), "z2": zp(128 if dt == np.uint8 else 0)}
    node = helper.make_node("QLinearConcat", ["sy", "zy", "a", "s1", "z1", "b", "s2", "z2"], ["y"], domain="com.microsoft", axis=1)
    case(f"ort_qlinearconcat_{tn}", node, {"a": a, "b": b}, inits, T(dt))

# ---- GEMM / conv ops (weights as initializers -> packed at planning) ----
def ref_case(name, node, feeds, inits, out_dtype, expected):
    graph = helper.make_graph([node], name,
        [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape) for k, v in feeds.items()],
        [helper.make_tensor_value_info(node.output[0], out_dtype, None)],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("com.microsoft", 1)])
    d = os.path.join(root, name); os.makedirs(os.path.join(d, "test_data_set_0"))
    onnx.save(m, os.path.join(d, "model.onnx"))
    for i, (k, v) in enumerate(feeds.items()):
        onnx.save_tensor(numpy_helper.from_array(v, k), os.path.join(d, "test_data_set_0", f"input_{i}.pb"))
    onnx.save_tensor(numpy_helper.from_array(expected, node.output[0]), os.path.join(d, "test_data_set_0", "output_0.pb"))
    return m
from onnx.reference import ReferenceEvaluator
def run_ref(m, feeds):
    return ReferenceEvaluator(m).run(None, feeds)[0]
for at, bt in ((np.uint8, np.int8), (np.uint8, np.uint8), (np.int8, np.int8)):
    tn = ("u8" if at == np.uint8 else "s8") + ("u8" if bt == np.uint8 else "s8")
    M, K, N = 37, 70, 45
    a = q([3, M, K], at); b = q([K, N], bt)
    za = np.array(5 if at == np.uint8 else -2, dtype=at)
    zb = q([N], bt) if bt == np.uint8 else np.zeros([N], dtype=bt)
    inits = {"sa": f32([0.02]), "za": za.reshape(1), "b": b, "sb": (rng.random(N) * 0.01 + 0.001).astype(np.float32), "zb": zb, "sy": f32([0.5]), "zy": np.array([3], dtype=at)}
    node = helper.make_node("QLinearMatMul", ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], ["y"])
    m = ref_case(f"ref_qlinearmatmul_percol_{tn}", node, {"a": a}, inits, T(at), np.zeros(1))
    exp = run_ref(m, {"a": a}); shutil.rmtree(os.path.join(root, f"ref_qlinearmatmul_percol_{tn}"))
    ref_case(f"ref_qlinearmatmul_percol_{tn}", node, {"a": a}, inits, T(at), exp)
    # MatMulInteger with per-row a zero point and per-column b zero point, batched B
    a2 = q([2, M, K], at); b2 = q([2, K, N], bt)
    inits = {"b": b2, "za": q([M], at), "zb": q([N], bt)}
    node = helper.make_node("MatMulInteger", ["a", "b", "za", "zb"], ["y"])
    exp = (a2.astype(np.int32) - inits["za"].astype(np.int32)[:, None]) @ (b2.astype(np.int32) - inits["zb"].astype(np.int32))
    ref_case(f"ref_matmulinteger_rowcol_{tn}", node, {"a": a2}, inits, TensorProto.INT32, exp.astype(np.int32))
    # QGemm vs ORT: transB, per-column, bias, quantized and float output
    for trans_b, yq in ((0, True), (1, True), (1, False)):
        a3 = q([M, K], at); b3 = q([N, K] if trans_b else [K, N], bt)
        inits = {"sa": f32(0.02), "za": np.array(4 if at == np.uint8 else -1, dtype=at), "b": b3,
                 "sb": (rng.random(N) * 0.01 + 0.001).astype(np.float32), "zb": (q([N], bt) if bt == np.uint8 else np.zeros([N], dtype=bt)),
                 "c": rng.integers(-5000, 5000, size=[N]).astype(np.int32)}
        ins = ["a", "sa", "za", "b", "sb", "zb", "c"]
        if yq:
            inits["sy"] = f32(0.3); inits["zy"] = np.array(100 if at == np.uint8 else 2, dtype=at); ins += ["sy", "zy"]
        node = helper.make_node("QGemm", ins, ["y"], domain="com.microsoft", transB=trans_b, alpha=0.75)
        case(f"ort_qgemm_tb{trans_b}_{'q' if yq else 'f'}_{tn}", node, {"a": a3}, inits, T(at) if yq else TensorProto.FLOAT)
# QLinearConv: onnx reference (per channel, groups, depthwise, stride, pads, bias)
for xt, wt in ((np.uint8, np.int8), (np.int8, np.int8), (np.uint8, np.uint8)):
    tn = ("u8" if xt == np.uint8 else "s8") + ("u8" if wt == np.uint8 else "s8")
    for tag, cin, cout, group, k, stride, pad, hw in (("general", 6, 10, 1, 3, 1, 1, 11), ("strided", 4, 8, 2, 3, 2, 1, 13),
                                                     ("depthwise", 8, 8, 8, 3, 1, 1, 9), ("pointwise", 16, 24, 1, 1, 1, 0, 7)):
        x = q([2, cin, hw, hw], xt); w = q([cout, cin // group, k, k], wt)
        inits = {"sx": f32(0.05), "zx": np.array(120 if xt == np.uint8 else -3, dtype=xt), "w": w,
                 "sw": (rng.random(cout) * 0.02 + 0.001).astype(np.float32),
                 "zw": (q([cout], wt) if wt == np.uint8 else np.zeros([cout], dtype=wt)),
                 "sy": f32(0.6), "zy": np.array(90 if xt == np.uint8 else 1, dtype=xt),
                 "bias": rng.integers(-20000, 20000, size=[cout]).astype(np.int32)}
        node = helper.make_node("QLinearConv", ["x", "sx", "zx", "w", "sw", "zw", "sy", "zy", "bias"], ["y"],
                                group=group, strides=[stride, stride], pads=[pad] * 4)
        name = f"ref_qlinearconv_{tag}_{tn}"
        m = ref_case(name, node, {"x": x}, inits, T(xt), np.zeros(1))
        exp = run_ref(m, {"x": x}); shutil.rmtree(os.path.join(root, name))
        ref_case(name, node, {"x": x}, inits, T(xt), exp)
        # ConvInteger with per-channel w zero point
        node = helper.make_node("ConvInteger", ["x", "w", "zx", "zw"], ["y"], group=group, strides=[stride, stride], pads=[pad] * 4)
        inits2 = {"w": w, "zx": inits["zx"], "zw": inits["zw"]}
        name = f"ref_convinteger_{tag}_{tn}"
        m = ref_case(name, node, {"x": x}, inits2, TensorProto.INT32, np.zeros(1))
        exp = run_ref(m, {"x": x}); shutil.rmtree(os.path.join(root, name))
        ref_case(name, node, {"x": x}, inits2, TensorProto.INT32, exp)
