#!/usr/bin/env python3
"""Reference values for OutpostDrift's statistics, computed once with numpy/scipy.

Writes Tests/OutpostDriftTests/Fixtures/drift_reference.json: per case, the raw
reference and window samples, and what numpy/scipy say the baseline (quantile
edges, counts, smoothed proportions) and the statistics (PSI, Jensen-Shannon
distance base 2, binned KS) are. The Swift tests rebuild everything from the
samples and compare. Deterministic (seeded); rerun only if the definitions change:

    python3 scripts/make_drift_fixtures.py
"""
import json
import os

import numpy as np
from scipy.spatial.distance import jensenshannon

ALPHA = 0.5   # additive smoothing pseudo-count per bin (DriftBaseline.defaultSmoothing)
BINS = 10


def edges_for(ref, categorical_classes=None):
    if categorical_classes is not None:
        return [c + 0.5 for c in range(categorical_classes - 1)]
    qs = np.quantile(np.asarray(ref, dtype=np.float64), [k / BINS for k in range(1, BINS)])  # method='linear'
    edges = []
    for e in qs:
        if not edges or e > edges[-1]:
            edges.append(float(e))
    return edges


def counts_for(values, edges):
    # bin = number of edges <= value: (-inf, e0), [e0, e1), ..., [e_last, +inf)
    idx = np.searchsorted(np.asarray(edges), np.asarray(values, dtype=np.float64), side="right")
    return np.bincount(idx, minlength=len(edges) + 1).astype(np.int64)


def smoothed(counts):
    c = counts.astype(np.float64)
    return (c + ALPHA) / (c.sum() + ALPHA * len(c))


def case(name, ref, win, classes=None):
    edges = edges_for(ref, classes)
    rc, wc = counts_for(ref, edges), counts_for(win, edges)
    p, q = smoothed(rc), smoothed(wc)
    psi = float(np.sum((q - p) * np.log(q / p)))
    js = float(jensenshannon(p, q, base=2))
    ks = float(np.max(np.abs(np.cumsum(rc) / rc.sum() - np.cumsum(wc) / wc.sum())))
    return {
        "name": name,
        "categorical_classes": classes,
        "reference": [float(x) for x in ref],
        "window": [float(x) for x in win],
        "edges": edges,
        "reference_counts": rc.tolist(),
        "window_counts": wc.tolist(),
        "reference_proportions": p.tolist(),
        "window_proportions": q.tolist(),
        "psi": psi,
        "js": js,
        "ks": ks,
    }


def main():
    rng = np.random.default_rng(20261128)
    cases = [
        case("normal_same", rng.normal(0, 1, 1000), rng.normal(0, 1, 200)),
        case("normal_shift_0.5", rng.normal(0, 1, 1000), rng.normal(0.5, 1, 200)),
        case("normal_scale_2", rng.normal(0, 1, 1000), rng.normal(0, 2, 200)),
        case("exponential_vs_lognormal", rng.exponential(1.0, 800), rng.lognormal(0, 0.6, 150)),
        # many ties: quantile edges collapse and are deduplicated
        case("discrete_ties", rng.integers(0, 4, 500).astype(np.float64), rng.integers(1, 5, 120).astype(np.float64)),
        case("classes_10", rng.integers(0, 10, 600).astype(np.float64),
             rng.choice(10, 150, p=[0.3] + [0.7 / 9] * 9).astype(np.float64), classes=10),
        # values exactly on edges and an empty window bin
        case("float32_pixels", np.round(rng.uniform(0, 1, 400), 2), np.round(rng.uniform(0.5, 1, 100), 2)),
    ]
    out = os.path.join(os.path.dirname(__file__), "..", "Tests", "OutpostDriftTests", "Fixtures", "drift_reference.json")
    with open(out, "w") as f:
        json.dump({"smoothing": ALPHA, "bins": BINS, "cases": cases}, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {out}")
    for c in cases:
        print(f"{c['name']:28s} edges {len(c['edges']):2d}  psi {c['psi']:.6f}  js {c['js']:.6f}  ks {c['ks']:.6f}")


if __name__ == "__main__":
    main()
