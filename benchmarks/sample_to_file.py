#!/usr/bin/env python
"""Streamed sampling: peak memory and rows per second of ``skgan sample -o``.

Run from the repository root::

    python benchmarks/sample_to_file.py                       # 1M, 3M, 10M rows
    python benchmarks/sample_to_file.py --rows 1e6,1e8 --format parquet
    python benchmarks/sample_to_file.py --smoke               # seconds (CI)

Fits one GANSampler on ``skgan.datasets.load_adult()`` (15 columns, income as
``y``; a few epochs: the speed of sampling does not depend on how well the
model is trained), saves it, then for every size runs ``skgan sample MODEL
-n N -o rows.FORMAT --seed 0 --quiet`` in a fresh process and reports its
wall time, rows per second, and peak resident memory (the child's
``ru_maxrss``, which includes the interpreter, torch and the model: flat
across sizes means the rows are not held in memory). Each file is deleted
after it is measured.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time


def measure(model, n_rows, path, threads):
    """(seconds, peak RSS in MiB) of one ``skgan sample`` process."""
    command = [sys.executable, "-m", "skgan", "sample", model, "-n", str(n_rows)]
    command += ["-o", path, "--seed", "0", "--quiet"]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    start = time.perf_counter()
    # A fresh child each time: RUSAGE_CHILDREN's maxrss is the largest child
    # so far, so children are measured in increasing size order.
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1e6,3e6,1e7", help="comma-separated")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (CI)")
    args = parser.parse_args(argv)

    from skgan import GANSampler, save
    from skgan.datasets import load_adult

    sizes = (
        [1_000, 300_000]
        if args.smoke
        else [int(float(r)) for r in args.rows.split(",")]
    )
    X = load_adult()
    y = X.pop("income")
    epochs = 1 if args.smoke else 20
    gan = GANSampler(epochs=epochs, device="cpu", random_state=0).fit(X, y)
    with tempfile.TemporaryDirectory() as folder:
        model = os.path.join(folder, "adult.skgan")
        save(gan, model)
        print(
            f"skgan sample -o rows.{args.format}, {args.threads} thread(s), "
            f"load_adult model ({epochs} epochs)"
        )
        print(
            f"{'rows':>12} {'seconds':>9} {'rows/s':>10} {'peak RSS MiB':>13} "
            f"{'file MiB':>9}"
        )
        for n_rows in sorted(sizes):
            path = os.path.join(folder, f"rows.{args.format}")
            seconds, peak = measure(model, n_rows, path, args.threads)
            size = os.path.getsize(path) / 2**20
            os.remove(path)
            print(
                f"{n_rows:>12,} {seconds:>9.1f} {n_rows / seconds:>10,.0f} "
                f"{peak:>13.0f} {size:>9.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
