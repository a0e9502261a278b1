"""Would ``GANSampler(compile=...)`` pay on the CPU? Eager against compiled steps.

``compile=`` compiles the training step on CUDA only: on the CPU, compiled
kernels round differently (the fast paths must not change CPU results), and
this script measured no worthwhile gain. It runs the compiled step on the CPU
anyway, the way the tests do (the CPU added to ``skgan._utils.COMPILE_DEVICES``),
so that the claim can be checked on any machine:

    python benchmarks/compile_cpu.py                      # Adult, inductor
    python benchmarks/compile_cpu.py --dataset adult-numeric --reps 8

One Adult model is fitted for 3 steps to capture a training step's inputs;
then the first compiled call (compilation included) is timed, and runs of
``--steps`` steps, eager and compiled, are interleaved ``--reps`` times in
this one process, so that a drifting machine affects both alike. Prints the
compilation time and each variant's median and minimum milliseconds per step.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import statistics
import time
from pathlib import Path

import pandas as pd
import torch

import skgan._sampler as sampler_module
import skgan._training as training
import skgan._utils as utils
from skgan import GANSampler
from skgan.datasets import ADULT_INTEGER_COLUMNS

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "adult.csv"


def captured_epoch(X):
    """(arguments, keywords) of train_epoch for a default model of X."""
    original = GANSampler._training_config
    captured = {}

    def three_steps(self, n_rows):
        return dataclasses.replace(original(self, n_rows), steps_per_epoch=3)

    def grab(*args, **kwargs):
        captured["call"] = args, kwargs
        return training.train_epoch(*args, **kwargs)

    GANSampler._training_config = three_steps
    sampler_module.train_epoch = grab
    try:
        GANSampler(epochs=1, device="cpu", random_state=0).fit(X)
    finally:
        GANSampler._training_config = original
        sampler_module.train_epoch = training.train_epoch
    return captured["call"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset", choices=("adult", "adult-numeric"), default="adult"
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--reps", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--mode",
        choices=utils.COMPILE_MODES,
        default="default",
        help="torch.compile mode",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    X = pd.read_csv(args.data)
    if args.dataset == "adult-numeric":
        X = X[list(ADULT_INTEGER_COLUMNS)]
    call, kwargs = captured_epoch(X)
    state, table, config, rest = call[:4], call[4], call[5], call[6:]
    utils.COMPILE_DEVICES = ("cuda", "cpu")
    compiled = ("inductor", args.mode)

    def run(options, steps):
        run_config = dataclasses.replace(config, steps_per_epoch=steps, compile=options)
        networks = copy.deepcopy(state)
        torch.manual_seed(0)
        start = time.perf_counter()
        training.train_epoch(*networks, table, run_config, *rest, **kwargs)
        return time.perf_counter() - start

    print(f"{args.dataset}, {args.threads} thread(s), torch {torch.__version__}")
    print(f"first compiled call (compilation + 2 steps): {run(compiled, 2):.1f} s")
    times = {"eager": [], "compiled": []}
    for _ in range(args.reps):
        for name, options in (("eager", None), ("compiled", compiled)):
            times[name].append(run(options, args.steps) / args.steps * 1e3)
    for name, values in times.items():
        print(
            f"{name:9s} ms/step median {statistics.median(values):.2f} "
            f"min {min(values):.2f}  runs {[round(v, 1) for v in values]}"
        )


if __name__ == "__main__":
    main()
