#!/usr/bin/env python3
"""One onnxruntime measurement, run in its own process so its peak RSS is its own.

    ort_bench.py MODEL --threads N --warmup W --iterations K [--seed S]

Prints ONE JSON object: load_ms (InferenceSession creation, ORT_ENABLE_ALL),
median_ms / p90_ms / min_ms / mean_ms over K timed runs after W warm-up runs,
peak_rss_kb (ru_maxrss at the end) and base_rss_kb (ru_maxrss after importing
numpy + onnxruntime, before the session exists: the interpreter's own share).
Inputs are seeded random normals; symbolic dimensions are 1.
"""

import argparse
import json
import resource
import sys
import time

import numpy as np
import onnxruntime as ort

DTYPES = {
    "tensor(float)": np.float32, "tensor(double)": np.float64,
    "tensor(float16)": np.float16, "tensor(int64)": np.int64, "tensor(int32)": np.int32,
    "tensor(int8)": np.int8, "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_,
}


def make_inputs(sess, seed):
    rng = np.random.default_rng(seed)
    feeds = {}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) and d > 0 else 1 for d in i.shape]
        dt = DTYPES.get(i.type)
        if dt is None:
            raise SystemExit(f"unsupported input type {i.type} for {i.name}")
        if np.issubdtype(dt, np.floating):
            feeds[i.name] = rng.standard_normal(shape).astype(dt)
        elif dt == np.bool_:
            feeds[i.name] = rng.integers(0, 2, shape).astype(dt)
        else:
            feeds[i.name] = rng.integers(0, 8, shape).astype(dt)
    return feeds


def percentile(sorted_ms, q):
    # nearest-rank percentile, the same rule as a simple sorted-array index
    k = max(0, min(len(sorted_ms) - 1, int(np.ceil(q / 100.0 * len(sorted_ms))) - 1))
    return sorted_ms[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    t0 = time.perf_counter()
    sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    load_ms = (time.perf_counter() - t0) * 1e3

    feeds = make_inputs(sess, a.seed)
    for _ in range(a.warmup):
        sess.run(None, feeds)
    times = []
    for _ in range(max(1, a.iterations)):
        t0 = time.perf_counter_ns()
        sess.run(None, feeds)
        times.append((time.perf_counter_ns() - t0) / 1e6)
    times.sort()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump(dict(runtime="onnxruntime", version=ort.__version__, threads=a.threads,
                   warmup=a.warmup, iterations=len(times), load_ms=load_ms,
                   median_ms=float(np.median(times)), p90_ms=percentile(times, 90),
                   min_ms=times[0], mean_ms=float(np.mean(times)),
                   peak_rss_kb=int(peak), base_rss_kb=int(base_rss)), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
