#!/usr/bin/env bash
# The GPU check: the one command a session with a CUDA GPU runs.
#
#   bash benchmarks/gpu_check.sh          # from any directory
#
# Steps, one after the other, each under a header; the output of each (stdout
# and stderr) is also written to a file under ${OUT:-/tmp}, and a failing step
# does not stop the next:
#
#   nvidia_smi        nvidia-smi
#   pytest_cuda       python -m pytest -q -m cuda tests/
#   speed_cuda_fp32   speed.py --device cuda on Adult (numeric and mixed), 3
#                     epochs, float32, skgan (its step replayed as a CUDA
#                     graph) and (where importable) ctgan
#   speed_cuda_eager  speed.py on Adult (mixed), float32, --no-cuda-graph:
#                     the step run eagerly, against the CUDA graph that
#                     speed_cuda_fp32 replays (skgan only)
#   sweep_cuda        speed.py --device cuda, synthetic 10k/100k/1M rows x
#                     10/100 columns, 20 steps per epoch, skgan only
#   fidelity_cuda     fidelity.py on the full Adult table, skgan at its
#                     defaults on cuda (seed 0) and the copula: detection
#                     AUC, label model and fit time
#   distributed_cuda  distributed.py --device cuda --backend gloo: 1 and 2
#                     torchrun processes sharing the GPU (the data-parallel
#                     path on CUDA; NCCL needs one GPU per process)
#   speed_cuda_bf16   speed.py on Adult (mixed) with --precision bf16, skgan
#                     only (ctgan has no bf16; its figures are those of the
#                     float32 run)
#   speed_cuda_compile  the same, float32, with --compile default
#                     (torch.compile's fused kernels; epoch 1 compiles)
#
# The steps that measure issue 17's targets come first, so that a check cut
# short by its deadline still has them.
# Files: NAME.txt for each step, and speed_cuda_fp32.json, speed_cuda_bf16.json,
# speed_cuda_eager.json, speed_cuda_compile.json, fidelity_cuda.json and
# sweep_cuda.json (fifteen in all). The exit status is 1 when a step failed,
# timed out or was skipped. The whole check stops after GPU_CHECK_SECONDS (default
# 510) seconds: each step runs under `timeout` with what is left of that (and
# at most its own cap); speed.py rewrites its JSON after every table, so a
# step stopped part-way still leaves the tables it finished. A summary of the
# steps' exit statuses and times comes last.
#
# Needs a Python with torch (CUDA build), numpy, pandas and scikit-learn:
# $PYTHON, else the first of python, python3 that imports torch. skgan is
# imported from this checkout (PYTHONPATH), no install needed. ctgan is
# measured where it is importable, else --no-ctgan is passed. The Adult file
# is $ADULT_CSV, else ../shared/data/adult.csv, else shared/data/adult.csv
# (inside the checkout); without one the two Adult steps are skipped.

set -u

REPO=$(cd "$(dirname "$0")/.." && pwd) || exit 1
cd "$REPO" || exit 1
OUTDIR=${OUT:-/tmp}
mkdir -p "$OUTDIR" || exit 1
DEADLINE=${GPU_CHECK_SECONDS:-510}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1

PY=${PYTHON:-}
if [ -z "$PY" ]; then
    for candidate in python python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c "import torch" >/dev/null 2>&1; then
            PY=$candidate
            break
        fi
    done
fi
if [ -z "$PY" ]; then
    echo "gpu_check: no python that imports torch (set PYTHON)" >&2
    exit 1
fi

CTGAN_FLAG=""
if ! "$PY" -c "import importlib.util as u, sys; sys.exit(u.find_spec('ctgan') is None)"; then
    CTGAN_FLAG="--no-ctgan"
fi

DATA=""
for candidate in "${ADULT_CSV:-}" "$REPO/../shared/data/adult.csv" \
    "$REPO/shared/data/adult.csv"; do
    if [ -n "$candidate" ] && [ -f "$candidate" ]; then
        DATA=$candidate
        break
    fi
done

SUMMARY=""
PROBLEMS=0

# step NAME CAP TITLE COMMAND...: run COMMAND under a header, for at most CAP
# seconds (0: no cap of its own) and what is left of the check's DEADLINE.
step() {
    local name=$1 cap=$2 title=$3
    shift 3
    local left=$((DEADLINE - SECONDS))
    local limit=$left
    if [ "$cap" -gt 0 ] && [ "$cap" -lt "$left" ]; then
        limit=$cap
    fi
    echo
    echo "=============================================================================="
    echo "== [$name] $title"
    echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC'), limit ${limit} s, log $OUTDIR/$name.txt"
    echo "== \$ $*"
    echo "=============================================================================="
    if [ "$limit" -lt 20 ]; then
        echo "skipped: the check's ${DEADLINE} s are spent"
        SUMMARY+="$(printf '%-16s skipped (no time left)' "$name")"$'\n'
        PROBLEMS=$((PROBLEMS + 1))
        return
    fi
    local start=$SECONDS rc
    if command -v timeout >/dev/null 2>&1; then
        timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$OUTDIR/$name.txt"
    else
        "$@" 2>&1 | tee "$OUTDIR/$name.txt"
    fi
    rc=${PIPESTATUS[0]}
    local status="ok"
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        status="TIMED OUT at ${limit} s"
    elif [ "$rc" -eq 5 ] && [ "$name" = pytest_cuda ]; then
        status="NO TESTS collected (exit 5)"
    elif [ "$rc" -ne 0 ]; then
        status="FAILED (exit status $rc)"
    fi
    if [ "$rc" -ne 0 ]; then
        PROBLEMS=$((PROBLEMS + 1))
    fi
    echo "== [$name] $status after $((SECONDS - start)) s"
    SUMMARY+="$(printf '%-16s %-28s %4d s' "$name" "$status" $((SECONDS - start)))"$'\n'
}

skip() {
    echo
    echo "=============================================================================="
    echo "== [$1] skipped: $2"
    echo "=============================================================================="
    SUMMARY+="$(printf '%-16s skipped (%s)' "$1" "$2")"$'\n'
    PROBLEMS=$((PROBLEMS + 1))
}

echo "skgan GPU check: $REPO"
echo "  python   $PY ($("$PY" -c 'import sys, torch; print(sys.version.split()[0], "torch", torch.__version__, "CUDA", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1))"
echo "  ctgan    ${CTGAN_FLAG:-importable}"
echo "  adult    ${DATA:-not found (set ADULT_CSV)}"
echo "  output   $OUTDIR, at most $DEADLINE s in all"

step nvidia_smi 30 "nvidia-smi" nvidia-smi

step pytest_cuda 150 "the tests marked cuda" "$PY" -m pytest -q -m cuda tests/

if [ -n "$DATA" ]; then
    # shellcheck disable=SC2086  # CTGAN_FLAG is empty or one word
    step speed_cuda_fp32 150 "speed.py on Adult, cuda, float32" \
        "$PY" benchmarks/speed.py --device cuda --dataset adult-numeric,adult \
        --epochs 3 --data "$DATA" $CTGAN_FLAG --json "$OUTDIR/speed_cuda_fp32.json"
    step speed_cuda_eager 75 "speed.py on Adult, cuda, float32, no CUDA graph (skgan only)" \
        "$PY" benchmarks/speed.py --device cuda --dataset adult \
        --epochs 3 --data "$DATA" --no-cuda-graph --no-ctgan \
        --json "$OUTDIR/speed_cuda_eager.json"
else
    skip speed_cuda_fp32 "no adult.csv; set ADULT_CSV"
    skip speed_cuda_eager "no adult.csv; set ADULT_CSV"
fi

step sweep_cuda 120 "speed.py size sweep, cuda, float32, 20 steps per epoch (skgan only)" \
    "$PY" benchmarks/speed.py --device cuda --dataset synthetic \
    --rows 10000,100000,1000000 --columns 10,100 --max-steps 20 --no-ctgan \
    --json "$OUTDIR/sweep_cuda.json"

if [ -n "$DATA" ]; then
    step fidelity_cuda 150 "fidelity.py, full Adult, skgan defaults on cuda (seed 0)" \
        "$PY" benchmarks/fidelity.py --tables adult --data "$DATA" --seeds 0 \
        --methods copula --skgan-variant cuda='{"device": "cuda"}' \
        --json "$OUTDIR/fidelity_cuda.json"
else
    skip fidelity_cuda "no adult.csv; set ADULT_CSV"
fi

step distributed_cuda 60 "distributed.py, cuda, 1 and 2 processes on one GPU (gloo)" \
    "$PY" benchmarks/distributed.py --device cuda --backend gloo --procs 1,2

if [ -n "$DATA" ]; then
    step speed_cuda_bf16 75 "speed.py on Adult, cuda, bf16 (skgan only)" \
        "$PY" benchmarks/speed.py --device cuda --dataset adult \
        --epochs 3 --data "$DATA" --precision bf16 --no-ctgan \
        --json "$OUTDIR/speed_cuda_bf16.json"
    step speed_cuda_compile 105 "speed.py on Adult, cuda, compile default (skgan only)" \
        "$PY" benchmarks/speed.py --device cuda --dataset adult \
        --epochs 3 --data "$DATA" --compile default --no-ctgan \
        --json "$OUTDIR/speed_cuda_compile.json"
else
    skip speed_cuda_bf16 "no adult.csv; set ADULT_CSV"
    skip speed_cuda_compile "no adult.csv; set ADULT_CSV"
fi

echo
echo "=============================================================================="
echo "== summary ($SECONDS s in all; files in $OUTDIR)"
echo "=============================================================================="
printf '%s' "$SUMMARY"
[ "$PROBLEMS" -eq 0 ]
