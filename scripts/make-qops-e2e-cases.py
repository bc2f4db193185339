#!/usr/bin/env python3
"""End-to-end int8 checks: small float models quantized by onnxruntime (quantize_static, QOperator format:
QLinearConv, QGemm and the com.microsoft QLinear* ops; quantize_dynamic: DynamicQuantizeLinear, MatMulInteger,
ConvInteger), expected outputs from ORT op by op (ORT_DISABLE_ALL), in backend-test layout:
  python3 scripts/make-qops-e2e-cases.py && .build/debug/outpost conformance /tmp/qops-e2e/cases --atol 1e-6 --rtol 1e-5"""
import numpy as np, onnx, os, shutil
from onnx import helper, TensorProto, numpy_helper
import onnxruntime as ort
from onnxruntime.quantization import quantize_static, QuantFormat, QuantType, CalibrationDataReader
rng = np.random.default_rng(0)
def W(*s): return numpy_helper.from_array((rng.standard_normal(s) * 0.2).astype(np.float32))
inits = []
def init(name, *s):
    t = W(*s); t.name = name; inits.append(t); return name
nodes = [
    helper.make_node("Conv", ["x", init("w1", 16, 3, 3, 3), init("b1", 16)], ["c1"], pads=[1,1,1,1]),
    helper.make_node("Relu", ["c1"], ["r1"]),
    helper.make_node("Conv", ["r1", init("w2", 16, 1, 3, 3), init("b2", 16)], ["c2"], pads=[1,1,1,1], group=16),
    helper.make_node("Add", ["c2", "r1"], ["a1"]),
    helper.make_node("Sigmoid", ["a1"], ["s1"]),
    helper.make_node("Mul", ["a1", "s1"], ["m1"]),
    helper.make_node("Conv", ["m1", init("w3", 24, 16, 1, 1), init("b3", 24)], ["c3"]),
    helper.make_node("LeakyRelu", ["c3"], ["l1"], alpha=0.1),
    helper.make_node("MaxPool", ["l1"], ["p1"], kernel_shape=[2,2], strides=[2,2]),
    helper.make_node("Concat", ["p1", "p1"], ["cc"], axis=1),
    helper.make_node("GlobalAveragePool", ["cc"], ["g1"]),
    helper.make_node("Flatten", ["g1"], ["f1"]),
    helper.make_node("Gemm", ["f1", init("w4", 48, 10), init("b4", 10)], ["fc"]),
    helper.make_node("Softmax", ["fc"], ["y"], axis=-1),
]
g = helper.make_graph(nodes, "small", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 8
onnx.save(m, "/tmp/qops-e2e/float.onnx")
class R(CalibrationDataReader):
    def __init__(self): self.d = iter([{"x": rng.standard_normal((1,3,16,16)).astype(np.float32)} for _ in range(8)])
    def get_next(self): return next(self.d, None)
for name, at, wt, pc in (("qop_u8s8", QuantType.QUInt8, QuantType.QInt8, True), ("qop_u8u8", QuantType.QUInt8, QuantType.QUInt8, False), ("qop_s8s8", QuantType.QInt8, QuantType.QInt8, True)):
    out = f"/tmp/qops-e2e/{name}.onnx"
    quantize_static("/tmp/qops-e2e/float.onnx", out, R(), quant_format=QuantFormat.QOperator, activation_type=at, weight_type=wt, per_channel=pc)
    q = onnx.load(out)
    print(name, sorted(set((n.domain or "ai.onnx") + "::" + n.op_type for n in q.graph.node)))
    d = f"/tmp/qops-e2e/cases/{name}"; shutil.rmtree(d, ignore_errors=True); os.makedirs(d + "/test_data_set_0")
    shutil.copy(out, d + "/model.onnx")
    x = rng.standard_normal((1,3,16,16)).astype(np.float32)
    so = ort.SessionOptions(); so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    y = ort.InferenceSession(out, so, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    onnx.save_tensor(numpy_helper.from_array(x, "x"), d + "/test_data_set_0/input_0.pb")
    onnx.save_tensor(numpy_helper.from_array(y, "y"), d + "/test_data_set_0/output_0.pb")

import numpy as np, onnx, os, shutil
from onnx import helper, TensorProto, numpy_helper
import onnxruntime as ort
from onnxruntime.quantization import quantize_dynamic, QuantType
rng = np.random.default_rng(3)
w1 = numpy_helper.from_array((rng.standard_normal((64, 96)) * 0.1).astype(np.float32), "w1")
w2 = numpy_helper.from_array((rng.standard_normal((96, 32)) * 0.1).astype(np.float32), "w2")
b2 = numpy_helper.from_array((rng.standard_normal((32,)) * 0.1).astype(np.float32), "b2")
wc = numpy_helper.from_array((rng.standard_normal((8, 4, 3, 3)) * 0.1).astype(np.float32), "wc")
nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("MatMul", ["r", "w2"], ["m2"]), helper.make_node("Add", ["m2", "b2"], ["y"]),
         helper.make_node("Conv", ["xc", "wc"], ["yc"], pads=[1,1,1,1])]
g = helper.make_graph(nodes, "dyn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5, 64]),
                                     helper.make_tensor_value_info("xc", TensorProto.FLOAT, [1, 4, 9, 9])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5, 32]), helper.make_tensor_value_info("yc", TensorProto.FLOAT, [1, 8, 9, 9])], [w1, w2, b2, wc])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 8
onnx.save(m, "/tmp/qops-e2e/dyn_float.onnx")
for name, wt in (("dyn_u8", QuantType.QUInt8), ("dyn_s8", QuantType.QInt8)):
    out = f"/tmp/qops-e2e/{name}.onnx"
    quantize_dynamic("/tmp/qops-e2e/dyn_float.onnx", out, weight_type=wt, op_types_to_quantize=["MatMul", "Conv"])
    q = onnx.load(out)
    print(name, sorted(set((n.domain or "ai.onnx") + "::" + n.op_type for n in q.graph.node)))
    d = f"/tmp/qops-e2e/cases/{name}"; shutil.rmtree(d, ignore_errors=True); os.makedirs(d + "/test_data_set_0")
    shutil.copy(out, d + "/model.onnx")
    x = rng.standard_normal((2, 5, 64)).astype(np.float32); xc = rng.standard_normal((1, 4, 9, 9)).astype(np.float32)
    so = ort.SessionOptions(); so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    ys = ort.InferenceSession(out, so, providers=["CPUExecutionProvider"]).run(None, {"x": x, "xc": xc})
    onnx.save_tensor(numpy_helper.from_array(x, "x"), d + "/test_data_set_0/input_0.pb")
    onnx.save_tensor(numpy_helper.from_array(xc, "xc"), d + "/test_data_set_0/input_1.pb")
    for i, y in enumerate(ys): onnx.save_tensor(numpy_helper.from_array(y), d + f"/test_data_set_0/output_{i}.pb")
