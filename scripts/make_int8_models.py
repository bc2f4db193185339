#!/usr/bin/env python3
"""Builds the int8 fixture models under models/int8/ from the float fixtures.

    python3 scripts/make_int8_models.py                 # every model and form
    python3 scripts/make_int8_models.py --only kws      # one float model, all its forms

For each float model in models/<name>/model.onnx (made by scripts/make_models.py)
onnxruntime.quantization writes these forms:

  qdq-s8s8-pc   QDQ, int8 activations, int8 weights per output channel (symmetric)
  qdq-u8s8      QDQ, uint8 activations, int8 weights per tensor
  qop-u8s8-pc   QOperator (QLinearConv, QLinearMatMul, com.microsoft QLinearAdd, ...),
                uint8 activations, int8 weights per output channel
  dyn-u8        quantize_dynamic, uint8 weights (DynamicQuantizeLinear + MatMulInteger /
                ConvInteger): only for the MatMul/Gemm-heavy models (mlp, kws)

The float model first goes through onnxruntime's `quant_pre_process` (shape
inference + its basic optimiser: Conv+BatchNormalization folding, which the
quantizer needs to treat Conv+BN as one quantized Conv). Static calibration uses a
small deterministic reader: 8 seeded inputs drawn like the float fixtures' inputs
(MinMax calibration). Reference outputs for the float test inputs come from
onnxruntime with ORT_DISABLE_ALL (op by op, spec-faithful: its fused int8 kernels
may saturate 16-bit intermediates, see /work/shared/MEASURED.md), one thread.

Everything is deterministic: the same bytes every run. Needs numpy, onnx,
onnxruntime; downloads nothing.
"""

import argparse
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                      QuantType, quant_pre_process, quantize_dynamic,
                                      quantize_static)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from make_models import smooth_images  # noqa: E402  (same image generator as the float fixtures)

MODELS = ["tiny", "mobilenet", "yolo", "mlp", "kws"]
DYNAMIC = {"mlp", "kws"}
# QOperator form: nodes left in float. kws's AveragePool would become
# com.microsoft QLinearAveragePool, which is not among the quantized operators
# Outpost implements (the QDQ forms keep DQ -> AveragePool -> Q, which folds).
QOP_EXCLUDE = {"kws": ["avgpool"]}
# Test sets copied from the float fixture (inputs) with ORT references: set 0 only,
# to keep the committed files small.
TEST_SETS = 1

# Tolerances the conformance command reads from each fixture's tolerance.txt.
REL_L2 = 1e-2
TOLERANCE = """# outpost conformance: how outputs of this int8 fixture are compared
# float outputs (dequantized): relative L2 error ||got - want|| / ||want|| <= rel_l2
# integer outputs: every element within `steps` quantization steps
{note}rel_l2 {rel_l2}
steps 1
"""
ILL_CONDITIONED = """# This fixture is ill-conditioned: onnxruntime's own int8 kernels (ORT_ENABLE_ALL,
# on the machine that made it) differ from its op-by-op reference by relative L2
# {ort:.4f}, because rounding differences of one step in early layers grow through
# the network. The bound is 1.25 x that (the issue's 1e-2 cannot be met by any int8
# runtime here); scripts/make_int8_models.py measures it.
"""


def calibration_inputs(name, n=8):
    """n seeded batch-1 feeds drawn like the float fixtures' inputs (different seeds)."""
    rng = np.random.default_rng(3000 + MODELS.index(name))
    if name == "mobilenet":
        return [{"input": smooth_images(rng, 1, 3, 128, 128)} for _ in range(n)]
    if name == "yolo":
        return [{"images": smooth_images(rng, 1, 3, 160, 160)} for _ in range(n)]
    if name == "tiny":
        out = []
        for _ in range(n):
            img = rng.uniform(0.0, 0.35, (1, 3, 32, 32)).astype(np.float32)
            yy, xx = np.mgrid[0:32, 0:32]
            cy, cx, r = rng.uniform(10, 22), rng.uniform(10, 22), rng.uniform(5, 10)
            blob = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
            img[0, rng.integers(0, 3)][blob] = rng.uniform(0.75, 1.0, blob.sum())
            out.append({"input": img})
        return out
    if name == "mlp":
        # make_models draws features as mu + sigma * N(0,1) with mu, sigma from seed 2003
        r0 = np.random.default_rng(2003)
        mu = r0.uniform(-2, 2, 32)
        sigma = r0.uniform(0.3, 4.0, 32)
        return [{"input": (mu + sigma * rng.standard_normal((1, 32))).astype(np.float32)}
                for _ in range(n)]
    if name == "kws":
        scale = (12.0 / (1.0 + np.arange(10))).astype(np.float32)
        offset = np.array([-20.0] + [0.0] * 9, np.float32)
        out = []
        for _ in range(n):
            t = rng.standard_normal((1, 1, 49 + 4, 10)).astype(np.float32)
            t = (t[:, :, :-4] + t[:, :, 1:-3] + t[:, :, 2:-2] + t[:, :, 3:-1]) / 2
            out.append({"mfcc": (t * scale + offset).astype(np.float32)})
        return out
    raise ValueError(name)


class Reader(CalibrationDataReader):
    def __init__(self, feeds):
        self.feeds = list(feeds)
        self.i = 0

    def get_next(self):
        if self.i >= len(self.feeds):
            return None
        self.i += 1
        return self.feeds[self.i - 1]

    def rewind(self):
        self.i = 0


def run_ort(path, feeds, optimized=False):
    so = ort.SessionOptions()
    so.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimized
                                   else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return [o.name for o in sess.get_outputs()], sess.run(None, feeds)


def read_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t.name, numpy_helper.to_array(t)


def write_tensor(path, arr, name):
    t = numpy_helper.from_array(np.array(arr, order="C"), name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def forms_for(name):
    forms = ["qdq-s8s8-pc", "qdq-u8s8", "qop-u8s8-pc"]
    if name in DYNAMIC:
        forms.append("dyn-u8")
    return forms


def quantize(form, pre, out, calib, exclude):
    extra = {"ActivationSymmetric": False, "WeightSymmetric": True}
    if form == "qdq-s8s8-pc":
        quantize_static(pre, out, Reader(calib), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax, extra_options=extra)
    elif form == "qdq-u8s8":
        quantize_static(pre, out, Reader(calib), quant_format=QuantFormat.QDQ, per_channel=False,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax, extra_options=extra)
    elif form == "qop-u8s8-pc":
        quantize_static(pre, out, Reader(calib), quant_format=QuantFormat.QOperator,
                        per_channel=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
                        nodes_to_exclude=exclude, extra_options=extra)
    elif form == "dyn-u8":
        quantize_dynamic(pre, out, weight_type=QuantType.QUInt8, per_channel=False)
    else:
        raise ValueError(form)


def strip(path):
    """Drops value_info (shape hints) and doc strings: smaller files, same graph."""
    m = onnx.load(path)
    del m.graph.value_info[:]
    for n in m.graph.node:
        n.doc_string = ""
    m.producer_name = "outpost-make_int8_models"
    m.producer_version = "1"
    onnx.save(m, path)
    return m


def build(name, out_root):
    src = os.path.join(ROOT, "models", name)
    calib = calibration_inputs(name)
    infos = []
    with tempfile.TemporaryDirectory() as tmp:
        pre = os.path.join(tmp, "pre.onnx")
        quant_pre_process(os.path.join(src, "model.onnx"), pre, skip_symbolic_shape=False)
        for form in forms_for(name):
            d = os.path.join(out_root, f"{name}-{form}")
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            path = os.path.join(d, "model.onnx")
            quantize(form, pre, path, calib, QOP_EXCLUDE.get(name, []))
            m = strip(path)
            onnx.checker.check_model(m)
            k = 0
            ort_opt = 0.0
            while k < TEST_SETS and os.path.isdir(os.path.join(src, f"test_data_set_{k}")):
                sd_src = os.path.join(src, f"test_data_set_{k}")
                sd = os.path.join(d, f"test_data_set_{k}")
                os.makedirs(sd)
                feeds = {}
                i = 0
                while os.path.exists(os.path.join(sd_src, f"input_{i}.pb")):
                    n, arr = read_tensor(os.path.join(sd_src, f"input_{i}.pb"))
                    feeds[n] = arr
                    write_tensor(os.path.join(sd, f"input_{i}.pb"), arr, n)
                    i += 1
                names, outs = run_ort(path, feeds)
                _, opt = run_ort(path, feeds, optimized=True)
                for j, (n, v) in enumerate(zip(names, outs)):
                    assert np.all(np.isfinite(v)), (name, form, n)
                    write_tensor(os.path.join(sd, f"output_{j}.pb"), v, n)
                    if v.dtype == np.float32:
                        ort_opt = max(ort_opt, float(np.linalg.norm(opt[j] - v) / np.linalg.norm(v)))
                k += 1
            # How far onnxruntime's own int8 path is from the reference bounds what
            # any int8 runtime can be held to.
            rel_l2 = REL_L2
            note = ""
            if ort_opt > REL_L2 / 2:
                rel_l2 = float(f"{max(REL_L2, 1.25 * ort_opt):.2g}")
                note = ILL_CONDITIONED.format(ort=ort_opt)
            with open(os.path.join(d, "tolerance.txt"), "w") as f:
                f.write(TOLERANCE.format(note=note, rel_l2=rel_l2))
            ops = {}
            for n in m.graph.node:
                key = n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}::{n.op_type}"
                ops[key] = ops.get(key, 0) + 1
            infos.append(dict(name=f"{name}-{form}", size=os.path.getsize(path), ort_opt=ort_opt,
                              rel_l2=rel_l2,
                              float_size=os.path.getsize(os.path.join(src, "model.onnx")),
                              nodes=len(m.graph.node), ops=ops, sets=k))
            print(f"{name}-{form}: {os.path.getsize(path) / 1024:.1f} KiB, "
                  f"{len(m.graph.node)} nodes", file=sys.stderr)
    return infos


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", choices=MODELS)
    ap.add_argument("--out", default=os.path.join(ROOT, "models", "int8"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name in a.only or MODELS:
        for info in build(name, a.out):
            ops = ", ".join(f"{k} {v}" for k, v in sorted(info["ops"].items()))
            print(f"| `{info['name']}` | {info['size'] / 1024:.1f} KiB "
                  f"({100 * info['size'] / info['float_size']:.0f}%) | {info['nodes']} | "
                  f"{info['ort_opt']:.4f} | {info['rel_l2']:g} | {ops} |")


if __name__ == "__main__":
    main()
