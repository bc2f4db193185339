#!/usr/bin/env bash
# The demo: builds Outpost and runs the example model the repository ships
# (models/tiny: a small image classifier made by scripts/make_models.py).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --minimal
swift build -c release --product outpost >&2
outpost=.build/release/outpost
echo "== outpost inspect models/tiny"
"$outpost" inspect models/tiny
echo
echo "== outpost run models/tiny --input input=models/tiny/input.npy"
"$outpost" run models/tiny --input input=models/tiny/input.npy
echo
echo "== outpost bench models/tiny --threads 1 --iterations 200"
"$outpost" bench models/tiny --threads 1 --warmup 20 --iterations 200
