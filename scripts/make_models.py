#!/usr/bin/env python3
"""Builds Outpost's example / fixture float32 ONNX models and their reference data.

    python3 scripts/make_models.py [--out models] [--only NAME ...]

Every model is written with onnx.helper (opset 17, ir_version 8) to
`models/<name>/model.onnx`, with reference data in the ONNX backend-test layout
`models/<name>/test_data_set_K/{input,output}_I.pb` (TensorProto files). The
reference outputs are computed by onnxruntime with ORT_DISABLE_ALL (op-by-op,
the ONNX spec behaviour) on one thread.

Weights are random but sensible: He-initialised convolutions, and every
BatchNormalization carries running statistics *measured* on a seeded calibration
batch (then perturbed a little, as after real training), so activations stay in a
realistic range all the way down and Conv+BN folding is exercised with
non-trivial mean/var/scale/bias. Everything is seeded: re-running the script
produces byte-identical files.

Needs only numpy, onnx and onnxruntime. No downloads, no torch.
"""

import argparse
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8


# --------------------------------------------------------------------------- builder

class GraphBuilder:
    """Accumulates nodes and initializers; knows how to calibrate its BN layers."""

    def __init__(self, name, seed):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes = []
        self.inits = {}          # name -> np.ndarray (insertion ordered)
        self.counts = {}
        self.bns = []            # (input value name, channels, param names, perturbation)
        self.inputs = []
        self.outputs = []
        self.calib_scales = []   # (value name, weight name, bias name, target std)

    # names ---------------------------------------------------------------
    def uniq(self, prefix):
        n = self.counts.get(prefix, 0)
        self.counts[prefix] = n + 1
        return f"{prefix}_{n}" if n else prefix

    def const(self, name, arr):
        if name in self.inits:
            assert np.array_equal(self.inits[name], arr), name
            return name
        self.inits[name] = np.array(arr, order="C", copy=True)
        return name

    def node(self, op, inputs, n_out=1, name=None, **attrs):
        name = self.uniq(name or op.lower())
        outs = [f"{name}_out{i}" if n_out > 1 else f"{name}_out" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs if n_out > 1 else outs[0]

    # layers --------------------------------------------------------------
    def he(self, shape, fan_in, gain=2.0):
        return (self.rng.standard_normal(shape) * np.sqrt(gain / fan_in)).astype(np.float32)

    def conv(self, x, cin, cout, k, stride=1, pads=None, group=1, bias=False, name="conv",
             dilation=1):
        kh, kw = (k, k) if isinstance(k, int) else k
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        if pads is None:
            ph, pw = dilation * (kh - 1) // 2, dilation * (kw - 1) // 2
            pads = [ph, pw, ph, pw]
        name = self.uniq(name)
        fan_in = (cin // group) * kh * kw
        w = self.const(f"{name}.weight", self.he((cout, cin // group, kh, kw), fan_in))
        ins = [x, w]
        if bias:
            ins.append(self.const(f"{name}.bias",
                                  (self.rng.standard_normal(cout) * 0.05).astype(np.float32)))
        attrs = dict(kernel_shape=[kh, kw], strides=[sh, sw], pads=list(pads),
                     group=group)
        if dilation != 1:
            attrs["dilations"] = [dilation, dilation]
        out = f"{name}_out"
        self.nodes.append(helper.make_node("Conv", ins, [out], name=name, **attrs))
        return out

    def bn(self, x, c, name="bn"):
        name = self.uniq(name)
        r = self.rng
        gamma = r.uniform(0.6, 1.4, c).astype(np.float32)
        beta = (r.standard_normal(c) * 0.2).astype(np.float32)
        names = [self.const(f"{name}.weight", gamma), self.const(f"{name}.bias", beta),
                 self.const(f"{name}.running_mean", np.zeros(c, np.float32)),
                 self.const(f"{name}.running_var", np.ones(c, np.float32))]
        # Deterministic "train/test mismatch" applied on top of measured statistics.
        perturb = (r.standard_normal(c).astype(np.float32) * 0.1,
                   r.uniform(0.8, 1.25, c).astype(np.float32))
        self.bns.append((x, c, names, perturb))
        out = f"{name}_out"
        self.nodes.append(helper.make_node("BatchNormalization", [x] + names, [out],
                                           name=name, epsilon=1e-5, momentum=0.9))
        return out

    def relu6(self, x):
        lo = self.const("const.zero", np.array(0.0, np.float32))
        hi = self.const("const.six", np.array(6.0, np.float32))
        return self.node("Clip", [x, lo, hi], name="relu6")

    def act(self, x, kind):
        if kind is None:
            return x
        if kind == "relu":
            return self.node("Relu", [x])
        if kind == "relu6":
            return self.relu6(x)
        if kind == "leaky":
            return self.node("LeakyRelu", [x], alpha=0.1)
        if kind == "silu":
            s = self.node("Sigmoid", [x], name="silu_sigmoid")
            return self.node("Mul", [x, s], name="silu_mul")
        raise ValueError(kind)

    def cba(self, x, cin, cout, k, stride=1, group=1, act="relu", pads=None, name="conv"):
        """Conv (no bias) + BatchNormalization + activation, as exported from PyTorch."""
        y = self.conv(x, cin, cout, k, stride, pads=pads, group=group, name=name)
        y = self.bn(y, cout, name=name + "_bn")
        return self.act(y, act)

    def gemm(self, x, cin, cout, name="fc", trans_b=True, calibrate_std=None):
        name = self.uniq(name)
        w = self.he((cout, cin) if trans_b else (cin, cout), cin, gain=1.0)
        wn = self.const(f"{name}.weight", w)
        bn = self.const(f"{name}.bias", (self.rng.standard_normal(cout) * 0.05).astype(np.float32))
        out = f"{name}_out"
        self.nodes.append(helper.make_node("Gemm", [x, wn, bn], [out], name=name,
                                           alpha=1.0, beta=1.0, transB=1 if trans_b else 0))
        if calibrate_std:
            self.calib_scales.append((out, wn, bn, calibrate_std))
        return out

    def i64(self, name, values):
        return self.const(name, np.array(values, np.int64))

    def f32(self, name, values):
        return self.const(name, np.array(values, np.float32))

    # model ---------------------------------------------------------------
    def model(self, extra_outputs=(), doc=""):
        g = helper.make_graph(
            self.nodes, self.name, self.inputs,
            self.outputs + [helper.make_tensor_value_info(n, TensorProto.FLOAT, None)
                            for n in extra_outputs],
            initializer=[numpy_helper.from_array(a, n) for n, a in self.inits.items()])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="outpost-make_models", producer_version="1",
                              doc_string=doc)
        m.ir_version = IR_VERSION
        return m

    def calibrate(self, feeds):
        """Measures BN input statistics (and classifier logit spread) on `feeds`."""
        # Each pass settles at least one more BN layer (its upstream BNs are already
        # settled), so iterate until nothing moves; bounded by the BN depth.
        taps = [x for x, *_ in self.bns]
        for _ in range(len(self.bns) + 1):
            vals = run_ort(self.model(taps), feeds, taps)
            moved = 0.0
            for (x, c, names, (dmean, vscale)), v in zip(self.bns, vals):
                axes = (0,) + tuple(range(2, v.ndim))
                mean = v.mean(axis=axes, dtype=np.float64)
                var = v.var(axis=axes, dtype=np.float64) + 1e-3
                new_mean = (mean + dmean * np.sqrt(var)).astype(np.float32)
                new_var = (var * vscale).astype(np.float32)
                old_var = self.inits[names[3]]
                moved = max(moved, float(np.max(np.abs(np.log(new_var / old_var)))))
                self.inits[names[2]] = new_mean
                self.inits[names[3]] = new_var
            if moved < 1e-3:
                break
        for out, wn, bn, target in self.calib_scales:
            (v,) = run_ort(self.model([out]), feeds, [out])
            s = np.float32(target / max(float(v.std()), 1e-6))
            self.inits[wn] = (self.inits[wn] * s).astype(np.float32)
            self.inits[bn] = (self.inits[bn] * s).astype(np.float32)


def run_ort(model, feeds, output_names=None):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    sess = ort.InferenceSession(model.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    return sess.run(output_names, feeds)


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def smooth_images(rng, n, c, h, w, block=8):
    """Image-like inputs: blocky low-frequency structure plus fine noise, ~N(0,1)."""
    low = rng.standard_normal((n, c, h // block + 1, w // block + 1))
    up = np.kron(low, np.ones((1, 1, block, block)))[:, :, :h, :w]
    return (0.8 * up + 0.6 * rng.standard_normal((n, c, h, w))).astype(np.float32)


# --------------------------------------------------------------------------- models

def build_mobilenet():
    """MobileNetV2, width 0.5, 128x128 input, last conv 1024 channels, 100 classes."""
    b = GraphBuilder("mobilenet_v2_050_128", seed=1001)
    b.inputs = [vi("input", ["N", 3, 128, 128])]
    classes = 100

    def ch(v, width=0.5, divisor=8):
        v = v * width
        new = max(divisor, int(v + divisor / 2) // divisor * divisor)
        if new < 0.9 * v:
            new += divisor
        return new

    cin = ch(32)
    x = b.cba("input", 3, cin, 3, stride=2, act="relu6", name="features.0")
    # (expansion t, channels c, repeats n, stride s) -- the MobileNetV2 table
    table = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
             (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    idx = 1
    for t, c, n, s in table:
        cout = ch(c)
        for i in range(n):
            stride = s if i == 0 else 1
            pre = f"features.{idx}"
            hidden = cin * t
            y = x
            if t != 1:
                y = b.cba(y, cin, hidden, 1, act="relu6", name=pre + ".expand")
            y = b.cba(y, hidden, hidden, 3, stride=stride, group=hidden, act="relu6",
                      name=pre + ".dw")
            y = b.cba(y, hidden, cout, 1, act=None, name=pre + ".project")
            if stride == 1 and cin == cout:
                y = b.node("Add", [x, y], name=pre + ".add")
            x, cin = y, cout
            idx += 1
    last = 1024
    x = b.cba(x, cin, last, 1, act="relu6", name=f"features.{idx}")
    x = b.node("GlobalAveragePool", [x], name="pool")
    x = b.node("Reshape", [x, b.i64("flatten.shape", [0, -1])], name="flatten")
    x = b.gemm(x, last, classes, name="classifier", calibrate_std=2.5)
    y = b.node("Softmax", [x], name="softmax", axis=-1)
    b.nodes[-1].output[0] = "probabilities"
    b.outputs = [vi("probabilities", ["N", classes])]

    rng = np.random.default_rng(2001)
    calib = {"input": smooth_images(rng, 8, 3, 128, 128)}
    b.calibrate(calib)
    sets = [{"input": smooth_images(rng, 1, 3, 128, 128)},
            {"input": smooth_images(rng, 2, 3, 128, 128)}]
    doc = ("MobileNetV2-style classifier (width 0.5, 128x128, 100 classes): Conv+BN+Clip(0,6), "
           "inverted residual blocks with depthwise 3x3 convs and Add skips, GlobalAveragePool, "
           "Reshape, Gemm, Softmax. Random weights (seeded), calibrated BN statistics.")
    return b, sets, doc


def build_yolo():
    """Small YOLOv5/v8-flavoured detector at 1x3x160x160, 20 classes, 3 anchors per scale."""
    b = GraphBuilder("yolo_tiny_160", seed=1002)
    H = W = 160
    nc, na = 20, 3
    b.inputs = [vi("images", [1, 3, H, W])]

    def c2f(x, c, name):
        """C2f-like block: 1x1, channel split (Slice), bottleneck with residual, Concat, 1x1."""
        y = b.cba(x, c, c, 1, act="silu", name=name + ".cv1")
        half = c // 2
        ax = b.i64("const.axis1", [1])
        a = b.node("Slice", [y, b.i64(f"{name}.s0", [0]), b.i64(f"{name}.e0", [half]), ax],
                   name=name + ".slice_a")
        bb = b.node("Slice", [y, b.i64(f"{name}.s1", [half]), b.i64(f"{name}.e1", [c]), ax],
                    name=name + ".slice_b")
        z = b.cba(bb, half, half, 3, act="silu", name=name + ".m.cv1")
        z = b.cba(z, half, half, 3, act="silu", name=name + ".m.cv2")
        z = b.node("Add", [bb, z], name=name + ".m.add")
        cat = b.node("Concat", [a, bb, z], name=name + ".cat", axis=1)
        return b.cba(cat, 3 * half, c, 1, act="silu", name=name + ".cv2")

    # backbone
    x = b.cba("images", 3, 16, 3, act="leaky", name="stem")                   # 160
    x = b.node("MaxPool", [x], name="stem.pool", kernel_shape=[2, 2], strides=[2, 2])  # 80
    x = b.cba(x, 16, 32, 3, act="leaky", name="b1")
    x = b.node("MaxPool", [x], name="b1.pool", kernel_shape=[2, 2], strides=[2, 2])    # 40
    x = b.cba(x, 32, 48, 3, stride=2, act="silu", name="b2.down")             # 20
    p3 = c2f(x, 48, "b2.c2f")
    x = b.cba(p3, 48, 96, 3, stride=2, act="silu", name="b3.down")            # 10
    p4 = c2f(x, 96, "b3.c2f")
    x = b.cba(p4, 96, 128, 3, stride=2, act="silu", name="b4.down")           # 5
    # SPPF
    y = b.cba(x, 128, 64, 1, act="silu", name="sppf.cv1")
    m1 = b.node("MaxPool", [y], name="sppf.m", kernel_shape=[5, 5], strides=[1, 1],
                pads=[2, 2, 2, 2])
    m2 = b.node("MaxPool", [m1], name="sppf.m", kernel_shape=[5, 5], strides=[1, 1],
                pads=[2, 2, 2, 2])
    m3 = b.node("MaxPool", [m2], name="sppf.m", kernel_shape=[5, 5], strides=[1, 1],
                pads=[2, 2, 2, 2])
    y = b.node("Concat", [y, m1, m2, m3], name="sppf.cat", axis=1)
    p5 = b.cba(y, 256, 128, 1, act="silu", name="sppf.cv2")

    # neck (FPN, top-down)
    scales = b.f32("const.up2", [1.0, 1.0, 2.0, 2.0])

    def up(v):
        return b.node("Resize", [v, "", scales], name="up", mode="nearest",
                      coordinate_transformation_mode="asymmetric", nearest_mode="floor")

    t5 = b.cba(p5, 128, 64, 1, act="silu", name="neck.lat5")
    n4 = b.node("Concat", [up(t5), p4], name="neck.cat4", axis=1)             # 64+96
    n4 = b.cba(n4, 160, 64, 1, act="silu", name="neck.n4.reduce")
    n4 = b.cba(n4, 64, 96, 3, act="silu", name="neck.n4")
    t4 = b.cba(n4, 96, 48, 1, act="silu", name="neck.lat4")
    n3 = b.node("Concat", [up(t4), p3], name="neck.cat3", axis=1)             # 48+48
    n3 = b.cba(n3, 96, 64, 3, act="silu", name="neck.n3")

    # heads + YOLOv5-style decode
    anchors = {8: [(10, 13), (16, 30), (33, 23)], 16: [(30, 61), (62, 45), (59, 119)],
               32: [(116, 90), (156, 198), (373, 326)]}
    no = 5 + nc
    boxes, scores = [], []
    for feat, c, stride in [(n3, 64, 8), (n4, 96, 16), (p5, 128, 32)]:
        h, w = H // stride, W // stride
        name = f"head.p{stride}"
        y = b.conv(feat, c, na * no, 1, bias=True, name=name)
        b.inits[f"{name}.weight"] *= np.float32(0.3)   # calmer logits: few confident cells
        bias = b.inits[f"{name}.bias"].reshape(na, no)
        bias[:, 4] += -3.0   # objectness prior, as in YOLO heads
        y = b.node("Reshape", [y, b.i64(f"{name}.shape5", [1, na, no, h, w])],
                   name=name + ".reshape")
        y = b.node("Transpose", [y], name=name + ".transpose", perm=[0, 1, 3, 4, 2])
        y = b.node("Sigmoid", [y], name=name + ".sigmoid")
        xy, wh, obj, cls = b.node("Split", [y, b.i64("const.split_xywh_obj_cls", [2, 2, 1, nc])],
                                  n_out=4, name=name + ".split", axis=-1)
        gy, gx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        grid = (np.stack([gx, gy], -1).reshape(1, 1, h, w, 2) - 0.5).astype(np.float32)
        agrid = np.array(anchors[stride], np.float32).reshape(1, na, 1, 1, 2)
        two = b.f32("const.two", 2.0)
        xy = b.node("Mul", [xy, two], name=name + ".xy_mul")
        xy = b.node("Add", [xy, b.const(f"{name}.grid", grid)], name=name + ".xy_add")
        xy = b.node("Mul", [xy, b.f32(f"{name}.stride", float(stride))], name=name + ".xy_scale")
        wh = b.node("Mul", [wh, two], name=name + ".wh_mul")
        wh = b.node("Pow", [wh, two], name=name + ".wh_pow")
        wh = b.node("Mul", [wh, b.const(f"{name}.anchor_grid", agrid)], name=name + ".wh_scale")
        box = b.node("Concat", [xy, wh], name=name + ".box", axis=-1)
        boxes.append(b.node("Reshape", [box, b.i64("const.shape_boxes", [1, -1, 4])],
                            name=name + ".box_flat"))
        sc = b.node("Mul", [cls, obj], name=name + ".score")
        scores.append(b.node("Reshape", [sc, b.i64("const.shape_scores", [1, -1, nc])],
                             name=name + ".score_flat"))
    b.node("Concat", boxes, name="boxes", axis=1)
    b.nodes[-1].output[0] = "boxes"
    b.node("Concat", scores, name="scores", axis=1)
    b.nodes[-1].output[0] = "scores"
    n = na * sum((H // s) * (W // s) for s in (8, 16, 32))
    b.outputs = [vi("boxes", [1, n, 4]), vi("scores", [1, n, nc])]

    rng = np.random.default_rng(2002)
    b.calibrate({"images": smooth_images(rng, 1, 3, H, W)})
    sets = [{"images": smooth_images(rng, 1, 3, H, W)}]
    doc = ("Small YOLO-style detector (160x160, 20 classes, 3 anchors x 3 scales): Conv+BN+"
           "LeakyRelu/SiLU backbone with MaxPool and stride-2 downsampling, C2f-like blocks "
           "(Slice, residual Add, Concat), SPPF, FPN neck (Resize nearest x2 + Concat), 1x1 heads "
           "and YOLOv5 decode (Reshape, Transpose, Sigmoid, Split, Mul/Add/Pow). Outputs boxes "
           "(cx, cy, w, h in pixels) and scores (objectness x class).")
    return b, sets, doc


def build_mlp():
    """Tabular MLP: [N,32] -> 10 classes."""
    b = GraphBuilder("tabular_mlp", seed=1003)
    b.inputs = [vi("input", ["N", 32])]
    x = b.gemm("input", 32, 128, name="fc1")
    ln_scale = b.const("ln1.weight", b.rng.uniform(0.7, 1.3, 128).astype(np.float32))
    ln_bias = b.const("ln1.bias", (b.rng.standard_normal(128) * 0.1).astype(np.float32))
    x = b.node("LayerNormalization", [x, ln_scale, ln_bias], name="ln1", axis=-1, epsilon=1e-5)
    x = b.node("Relu", [x])
    w2 = b.const("fc2.weight", b.he((128, 64), 128))
    x = b.node("MatMul", [x, w2], name="fc2.matmul")
    x = b.node("Add", [x, b.const("fc2.bias", (b.rng.standard_normal(64) * 0.05)
                                   .astype(np.float32))], name="fc2.add")
    x = b.bn(x, 64, name="bn2")
    h = b.node("Relu", [x])
    y = b.gemm(h, 64, 64, name="fc3", trans_b=False)
    y = b.node("Relu", [y])
    x = b.node("Add", [h, y], name="residual")
    x = b.gemm(x, 64, 10, name="head", calibrate_std=2.5)
    b.node("Softmax", [x], name="softmax", axis=-1)
    b.nodes[-1].output[0] = "probabilities"
    b.outputs = [vi("probabilities", ["N", 10])]

    rng = np.random.default_rng(2003)
    mu = rng.uniform(-2, 2, 32)
    sigma = rng.uniform(0.3, 4.0, 32)

    def rows(n):
        return (mu + sigma * rng.standard_normal((n, 32))).astype(np.float32)

    b.calibrate({"input": rows(256)})
    sets = [{"input": rows(1)}, {"input": rows(8)}]
    doc = ("Tabular MLP on 32 features, 10 classes: Gemm, LayerNormalization, Relu, MatMul+Add, "
           "BatchNormalization (2-D), residual Add, Gemm, Softmax.")
    return b, sets, doc


def build_kws():
    """DS-CNN (small) keyword spotter on 49x10 MFCC frames, 12 classes."""
    b = GraphBuilder("ds_cnn_kws", seed=1004)
    b.inputs = [vi("mfcc", [1, 1, 49, 10])]
    c = 64
    # TF 'SAME' padding for a 10x4 kernel at stride 2 is asymmetric: 4/5 rows, 1/2 cols.
    x = b.cba("mfcc", 1, c, (10, 4), stride=2, pads=[4, 1, 5, 2], act="relu", name="conv1")
    for i in range(4):
        x = b.cba(x, c, c, 3, group=c, act="relu", name=f"ds{i}.dw")
        x = b.cba(x, c, c, 1, act="relu", name=f"ds{i}.pw")
    x = b.node("AveragePool", [x], name="avgpool", kernel_shape=[25, 5], strides=[1, 1])
    x = b.node("Flatten", [x], name="flatten", axis=1)
    x = b.gemm(x, c, 12, name="fc", calibrate_std=2.5)
    b.node("Softmax", [x], name="softmax", axis=-1)
    b.nodes[-1].output[0] = "probabilities"
    b.outputs = [vi("probabilities", [1, 12])]

    rng = np.random.default_rng(2004)
    scale = (12.0 / (1.0 + np.arange(10))).astype(np.float32)
    offset = np.array([-20.0] + [0.0] * 9, np.float32)

    def mfcc():
        t = rng.standard_normal((1, 1, 49 + 4, 10)).astype(np.float32)
        t = (t[:, :, :-4] + t[:, :, 1:-3] + t[:, :, 2:-2] + t[:, :, 3:-1]) / 2  # smooth in time
        return (t * scale + offset).astype(np.float32)

    b.calibrate({"mfcc": mfcc()})
    sets = [{"mfcc": mfcc()}]
    doc = ("DS-CNN-S keyword spotter on [1,1,49,10] MFCC features, 12 classes: Conv 10x4 stride 2 "
           "with asymmetric padding, 4 depthwise-separable blocks (Conv+BN+Relu), AveragePool "
           "25x5, Flatten, Gemm, Softmax.")
    return b, sets, doc


TINY_LABELS = ["red", "green", "blue"]


def build_tiny():
    """The README demo: a few-KB CNN on 1x3x32x32 that tells the dominant colour."""
    b = GraphBuilder("tiny_colour", seed=1005)
    b.inputs = [vi("input", [1, 3, 32, 32])]
    r = b.rng
    # conv1: channels 0..2 are box filters over one colour each; 3..7 random features.
    w1 = (r.standard_normal((8, 3, 3, 3)) * 0.02).astype(np.float32)
    w1[3:] = b.he((5, 3, 3, 3), 27)
    for k in range(3):
        w1[k, k] += 1.0 / 9.0
    x = b.node("Conv", ["input", b.const("conv1.weight", w1),
                        b.const("conv1.bias", np.zeros(8, np.float32))],
               name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    x = b.node("Relu", [x])
    x = b.node("MaxPool", [x], name="pool1", kernel_shape=[2, 2], strides=[2, 2])
    # conv2: channels 0..2 = "excess colour" (own colour minus half of the others).
    w2 = (r.standard_normal((16, 8, 3, 3)) * 0.02).astype(np.float32)
    w2[3:] = b.he((13, 8, 3, 3), 72) * 0.5
    for k in range(3):
        for j in range(3):
            w2[k, j] += (1.0 if j == k else -0.5) / 9.0
    x = b.node("Conv", [x, b.const("conv2.weight", w2),
                        b.const("conv2.bias", np.zeros(16, np.float32))],
               name="conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    x = b.node("Relu", [x])
    x = b.node("MaxPool", [x], name="pool2", kernel_shape=[2, 2], strides=[2, 2])
    x = b.node("GlobalAveragePool", [x], name="gap")
    x = b.node("Flatten", [x], name="flatten", axis=1)
    wf = (r.standard_normal((3, 16)) * 0.05).astype(np.float32)
    for k in range(3):
        wf[k, k] = 12.0
    x = b.node("Gemm", [x, b.const("fc.weight", wf), b.const("fc.bias", np.zeros(3, np.float32))],
               name="fc", transB=1)
    b.node("Softmax", [x], name="softmax", axis=-1)
    b.nodes[-1].output[0] = "probabilities"
    b.outputs = [vi("probabilities", [1, 3])]

    rng = np.random.default_rng(2005)
    img = rng.uniform(0.0, 0.35, (1, 3, 32, 32)).astype(np.float32)
    yy, xx = np.mgrid[:32, :32]
    blob = ((yy - 14) ** 2 + (xx - 18) ** 2) < 11 ** 2          # a red disc
    img[0, 0][blob] = rng.uniform(0.75, 1.0, blob.sum())
    sets = [{"input": img}]
    doc = ("Demo model (a few KB): Conv+Relu+MaxPool x2, GlobalAveragePool, Flatten, Gemm, "
           "Softmax on a 1x3x32x32 RGB image in [0,1]; outputs probabilities of the dominant "
           "colour: " + ", ".join(TINY_LABELS) + ". Hand-set colour filters plus random features.")
    return b, sets, doc


MODELS = {"mobilenet": build_mobilenet, "yolo": build_yolo, "mlp": build_mlp,
          "kws": build_kws, "tiny": build_tiny}


# --------------------------------------------------------------------------- output

def write_tensor(path, arr, name):
    t = numpy_helper.from_array(np.array(arr, order="C"), name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def param_count(model):
    return sum(int(np.prod(t.dims)) for t in model.graph.initializer
               if t.data_type == TensorProto.FLOAT)


def count_macs(model):
    """Multiply-accumulates of Conv/Gemm/MatMul at batch 1 (from ONNX shape inference)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for v in m.graph.input:
        for d in v.type.tensor_type.shape.dim:
            if d.dim_param:
                d.dim_value = 1
    m = onnx.shape_inference.infer_shapes(m, strict_mode=True)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(m.graph.value_info) + list(m.graph.input) + list(m.graph.output)}
    for t in m.graph.initializer:
        shapes[t.name] = list(t.dims)
    macs = 0
    for n in m.graph.node:
        out = shapes.get(n.output[0])
        if n.op_type == "Conv":
            w = shapes[n.input[1]]
            macs += int(np.prod(out)) * int(np.prod(w[1:]))
        elif n.op_type in ("Gemm", "MatMul"):
            a = shapes[n.input[0]]
            trans_a = any(at.name == "transA" and at.i for at in n.attribute)
            k = a[-2] if trans_a else a[-1]
            macs += int(np.prod(out)) * k
    return macs


def shape_str(v):
    dims = v.type.tensor_type.shape.dim
    return "[" + ",".join(d.dim_param or str(d.dim_value) for d in dims) + "]"


def write_model(out_dir, name):
    b, sets, doc = MODELS[name]()
    model = b.model(doc=doc)
    onnx.checker.check_model(model, full_check=True)
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):          # drop stale test sets
        if f.startswith("test_data_set_"):
            for g in os.listdir(os.path.join(d, f)):
                os.remove(os.path.join(d, f, g))
            os.rmdir(os.path.join(d, f))
    path = os.path.join(d, "model.onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    out_names = [o.name for o in model.graph.output]
    in_names = [i.name for i in model.graph.input]
    for k, feeds in enumerate(sets):
        outs = run_ort(model, feeds, out_names)
        sd = os.path.join(d, f"test_data_set_{k}")
        os.makedirs(sd)
        for i, n in enumerate(in_names):
            write_tensor(os.path.join(sd, f"input_{i}.pb"), feeds[n], n)
        for i, (n, v) in enumerate(zip(out_names, outs)):
            assert np.all(np.isfinite(v)), (name, n)
            write_tensor(os.path.join(sd, f"output_{i}.pb"), v, n)
    if name == "tiny":
        np.save(os.path.join(d, "input.npy"), sets[0]["input"])
        with open(os.path.join(d, "labels.txt"), "w") as f:
            f.write("\n".join(TINY_LABELS) + "\n")
    ops = sorted({n.op_type for n in model.graph.node})
    info = dict(name=name, doc=doc, size=os.path.getsize(path), params=param_count(model),
                macs=count_macs(model),
                nodes=len(model.graph.node), ops=ops, sets=len(sets),
                inputs=[(i.name, shape_str(i)) for i in model.graph.input],
                outputs=[(o.name, shape_str(o)) for o in model.graph.output],
                first_out=run_summary(outs))
    if name == "tiny":
        info["tiny_expected"] = ", ".join(f"{l} {p:.3f}" for l, p in zip(TINY_LABELS, outs[0][0]))
    return info


def run_summary(outs):
    v = outs[0]
    return f"max {float(v.max()):.4g}, mean {float(v.mean()):.4g}"


README_HEAD = """# Example and fixture models

Float32 ONNX models (opset 17, ir_version 8) built by `scripts/make_models.py` with
`onnx.helper`: realistic structure, random but sensible weights (seeded He init;
BatchNormalization statistics measured on a seeded calibration batch, then
perturbed, so Conv+BN folding sees non-trivial mean/var/scale/bias). They are test
fixtures and benchmark workloads, not trained models (except `tiny`, whose
hand-set filters really do detect the dominant colour).

Regenerate (deterministic: the same bytes every time; needs numpy, onnx,
onnxruntime, nothing is downloaded):

    python3 scripts/make_models.py            # all models
    python3 scripts/make_models.py --only yolo

Layout (the ONNX backend-test layout):

    models/<name>/model.onnx
    models/<name>/test_data_set_<k>/input_<i>.pb    TensorProto, name = graph input name
    models/<name>/test_data_set_<k>/output_<i>.pb   TensorProto, name = graph output name

Reference outputs come from onnxruntime with `ORT_DISABLE_ALL` (op-by-op, the ONNX
spec behaviour), one thread. Models with a symbolic batch dimension `N` have a
second test set with batch > 1. `models/tiny/input.npy` is the same image as
`tiny/test_data_set_0/input_0.pb` for `outpost run models/tiny/model.onnx --input
input=models/tiny/input.npy`; `models/tiny/labels.txt` names its three classes
(the image is a red disc on a dark background: expected probabilities
{tiny_expected}).

Tolerance: `onnx.reference.ReferenceEvaluator` and onnxruntime with `ORT_ENABLE_ALL`
both agree with these outputs within 3e-5 of each output's largest magnitude
(yolo `boxes` reach ~550 pixels, so a pure absolute tolerance is the wrong test);
a float32 runtime should pass `|got - want| <= 1e-4 * max|want| + 1e-3 * |want|`
comfortably, whatever its summation order or Conv+BN folding.

MMACs counts the multiply-accumulates of Conv, Gemm and MatMul (FLOPs = 2 x MACs),
useful to turn a latency into GFLOPS.

| model | file size | float params | MMACs (batch 1) | nodes | inputs | outputs | test sets |
|---|---:|---:|---:|---:|---|---|---:|
"""


def write_readme(out_dir, infos):
    tiny = next((i for i in infos if i["name"] == "tiny"), None)
    lines = [README_HEAD.replace("{tiny_expected}", tiny["tiny_expected"] if tiny else "see "
                                 "tiny/test_data_set_0/output_0.pb")]
    for i in infos:
        ins = ", ".join(f"`{n}` {s}" for n, s in i["inputs"])
        outs = ", ".join(f"`{n}` {s}" for n, s in i["outputs"])
        lines.append(f"| `{i['name']}` | {i['size'] / 1024:.1f} KiB | {i['params']:,} | "
                     f"{i['macs'] / 1e6:.2f} | {i['nodes']} | {ins} | {outs} | {i['sets']} |\n")
    lines.append("\n## Models\n")
    for i in infos:
        lines.append(f"\n### {i['name']}\n\n{i['doc']}\n\nOperators: "
                     + ", ".join(i["ops"]) + ".\n")
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--out", default=os.path.join(root, "models"))
    ap.add_argument("--only", nargs="*", choices=list(MODELS))
    args = ap.parse_args()
    names = args.only or list(MODELS)
    infos = []
    for name in names:
        info = write_model(args.out, name)
        infos.append(info)
        print(f"{name:10s} {info['size'] / 1024:8.1f} KiB  {info['params']:9,} params  "
              f"{info['macs'] / 1e6:7.2f} MMAC  {info['nodes']:4d} nodes  out0: {info['first_out']}", file=sys.stderr)
    if not args.only:
        write_readme(args.out, infos)


if __name__ == "__main__":
    main()
