"""Train on a 1M-row Adult-shaped table on the CPU: time and peak memory.

The rows of UCI Adult (``shared/data/adult.csv``, 32,561 rows, 6 integer and
9 categorical columns) are drawn with replacement up to ``--rows`` (default
1,000,000), so the table has Adult's columns, dtypes and category counts at
30 times its length. One process measures, one after the other:

* loading and building the table (its own size is printed);
* ``GANSampler(epochs=1, ...).fit`` with the default architecture, its
  epoch capped at ``--max-steps`` steps (0: the whole epoch, 2,000 steps of
  500 rows), reporting seconds per step;
* ``sample(--sample)`` rows;
* peak RSS after each phase (``resource.getrusage``: the high-water mark
  of the whole process, so each figure includes the phases before it).

The cap on steps uses the same private hook as ``speed.py`` (benchmark
only): it shortens the epoch and changes nothing else.

Usage::

    python benchmarks/scale_adult.py                 # 1M rows, 200 steps
    python benchmarks/scale_adult.py --max-steps 0   # a whole epoch
    python benchmarks/scale_adult.py --rows 100000 --threads 2
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import time
from pathlib import Path


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None):
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", default=str(here.parent.parent / "shared" / "data" / "adult.csv")
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--max-steps", type=int, default=200)
    parser.add_argument("--sample", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import numpy as np
    import pandas as pd
    import torch

    from skgan import GANSampler

    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    adult = pd.read_csv(args.data)
    rows = np.random.RandomState(args.seed).randint(0, len(adult), args.rows)
    X = adult.iloc[rows].reset_index(drop=True)
    table_mib = X.memory_usage(deep=True).sum() / 2**20
    print(
        f"table      {len(X):,} rows x {X.shape[1]} columns (Adult drawn with "
        f"replacement), {table_mib:,.0f} MiB by pandas' deep memory_usage (which "
        "counts a string shared by many rows once per row); built in "
        f"{time.perf_counter() - start:.1f} s; peak RSS {peak_mib():,.0f} MiB"
    )

    steps = []
    original = GANSampler._training_config

    def capped(self, n_rows):
        config = original(self, n_rows)
        steps.append(config.steps_per_epoch)
        if args.max_steps:
            config = dataclasses.replace(
                config, steps_per_epoch=min(config.steps_per_epoch, args.max_steps)
            )
        return config

    GANSampler._training_config = capped
    gan = GANSampler(epochs=1, device="cpu", random_state=args.seed)
    start = time.perf_counter()
    gan.fit(X)
    fit_seconds = time.perf_counter() - start
    epoch = gan.history_[-1]["seconds"]
    done = min(steps[-1], args.max_steps) if args.max_steps else steps[-1]
    print(
        f"fit        {fit_seconds:.1f} s in all: {done:,} of the epoch's "
        f"{steps[-1]:,} steps in {epoch:.1f} s ({1000 * epoch / done:.1f} ms / "
        f"step, so {steps[-1] * epoch / done:.0f} s for a whole epoch), the "
        f"rest encoding and set-up; peak RSS {peak_mib():,.0f} MiB"
    )
    start = time.perf_counter()
    synthetic = gan.sample(args.sample, random_state=args.seed)
    seconds = time.perf_counter() - start
    print(
        f"sample     {len(synthetic):,} rows in {seconds:.1f} s "
        f"({len(synthetic) / seconds:,.0f} rows/s); peak RSS {peak_mib():,.0f} MiB"
    )
    same = list(synthetic.columns) == list(X.columns) and all(
        synthetic.dtypes == X.dtypes
    )
    print(f"check      same columns and dtypes as the table: {same}")


if __name__ == "__main__":
    main()
