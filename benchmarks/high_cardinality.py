#!/usr/bin/env python
"""Peak memory of a fit with a high-cardinality categorical column.

Run from the repository root::

    python benchmarks/high_cardinality.py                 # 100,000 rows, 10,000 levels
    python benchmarks/high_cardinality.py --rows 20000 --levels 2000 --epochs 1

The table has ``--rows`` rows: an ID-like categorical column with
``--levels`` levels (Zipf-distributed, every level present), two numeric
columns and a three-level categorical column. One ``GANSampler`` fit (default
architecture, CPU, ``--threads`` threads) then ``sample(--rows)``. An epoch
at this width takes many minutes on a laptop CPU, so by default the fit
trains only ``--max-steps`` steps (the benchmark caps the steps of its one
epoch; the encoder, the training table, the networks and the optimizers are
the real ones, and the peak memory of training is reached in the first
step); ``--max-steps 0`` trains a full epoch. Seconds per step are printed
with the extrapolated epoch time. Printed: the encoded width, what the training table
takes in skgan's compact form (one float per continuous scalar, one integer
per softmax span) against a dense float32 one-hot table, the model's
parameter count, the process's peak resident memory (``ru_maxrss``) before
and after, and the seconds taken.

Run it in a fresh process: ``ru_maxrss`` is a high-water mark.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np


def peak_mib() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def make_table(n_rows, n_levels, seed):
    import pandas as pd

    rng = np.random.RandomState(seed)
    weights = 1.0 / np.arange(1, n_levels + 1)
    ids = rng.choice(n_levels, n_rows - n_levels, p=weights / weights.sum())
    ids = rng.permutation(np.r_[np.arange(n_levels), ids])  # every level present
    return pd.DataFrame(
        {
            "id": pd.Series([f"L{i:05d}" for i in ids], dtype=object),
            "amount": rng.lognormal(3, 1, n_rows),
            "score": rng.normal(size=n_rows),
            "group": rng.choice(["a", "b", "c"], n_rows),
        }
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--levels", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument(
        "--max-steps", type=int, default=10, help="steps per epoch (0: all)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import torch

    from skgan import GANSampler

    torch.set_num_threads(args.threads)
    full_steps = []
    if args.max_steps:
        import dataclasses

        original = GANSampler._training_config

        def capped(self, n_rows):  # benchmark only: fewer steps per epoch
            config = original(self, n_rows)
            full_steps.append(config.steps_per_epoch)
            steps = min(config.steps_per_epoch, args.max_steps)
            return dataclasses.replace(config, steps_per_epoch=steps)

        GANSampler._training_config = capped
    table = make_table(args.rows, args.levels, args.seed)
    before = peak_mib()
    gan = GANSampler(
        epochs=args.epochs, device="cpu", random_state=args.seed, n_jobs=args.threads
    )
    start = time.perf_counter()
    gan.fit(table)
    fit_s = time.perf_counter() - start
    after_fit = peak_mib()
    start = time.perf_counter()
    out = gan.sample(args.rows)
    sample_s = time.perf_counter() - start
    after_sample = peak_mib()

    width = gan.encoder_.layout_.width
    cond = sum(gan.encoder_.category_sizes_)
    spans = len(gan.encoder_.softmax_spans_)
    scalars = len(gan.encoder_.scalar_positions_)
    compact_mib = args.rows * (scalars * 4 + spans * 4) / 2**20
    dense_mib = args.rows * width * 4 / 2**20
    params = sum(
        p.numel() for m in (gan.generator_, gan.discriminator_) for p in m.parameters()
    )
    assert out["id"].isin(table["id"]).all()
    print(
        f"rows {args.rows:,}, id levels {args.levels:,}, epochs {args.epochs}, "
        f"threads {args.threads}, torch {torch.__version__}"
    )
    print(f"encoded width {width:,} (condition vector {cond:,})")
    print(
        f"training table: compact {compact_mib:,.1f} MiB vs dense one-hot "
        f"{dense_mib:,.1f} MiB"
    )
    print(
        f"parameters (generator + discriminator): {params / 1e6:,.1f} M "
        f"({params * 4 / 2**20:,.0f} MiB as float32; Adam keeps two more copies)"
    )
    print(
        f"peak RSS: {before:,.0f} MiB with the data loaded, {after_fit:,.0f} MiB "
        f"after fit, {after_sample:,.0f} MiB after sample"
    )
    seconds = [entry["seconds"] for entry in gan.history_]
    if full_steps:
        steps = min(full_steps[0], args.max_steps)
        per_step = sum(seconds) / (steps * len(seconds))
        print(
            f"trained {steps} of the {full_steps[0]} steps of each epoch: "
            f"{per_step:.2f} s per step, about {per_step * full_steps[0]:,.0f} s "
            "for a full epoch"
        )
    print(
        f"fit {fit_s:,.1f} s in all (training {sum(seconds):,.1f} s), sample "
        f"{sample_s:,.1f} s; distinct ids generated {out['id'].nunique():,}"
    )


if __name__ == "__main__":
    main()
