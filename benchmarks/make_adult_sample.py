#!/usr/bin/env python
"""Regenerate ``skgan/datasets/data/adult_sample.csv.gz`` from the full Adult file.

Run from the repository root::

    python benchmarks/make_adult_sample.py                # default --data below
    python benchmarks/make_adult_sample.py --check        # compare, write nothing

The input is the original UCI Adult training file (32,561 rows, a header row
added; ``../shared/data/adult.csv`` next to the repository by default). It is
cleaned with ``skgan.datasets._read_adult_frame`` (spaces after the commas
removed, ``?`` -> missing, integer columns int64, the others str), then
3,000 rows are drawn without replacement, stratified on ``income``:

* each class gets ``round(3000 * class share)`` rows (largest remainders
  settle the total), i.e. 2,278 ``<=50K`` and 722 ``>50K``;
* within a class the rows are ``numpy.random.RandomState(0).choice(class
  rows, k, replace=False)``, the classes taken in sorted order (``<=50K``
  then ``>50K``) from one RandomState;
* the selected rows keep their order in the full file.

The CSV is written with a header, ``\\n`` line ends and an empty field for a
missing value, and gzip-compressed with the timestamp set to 0, so that the
same input gives a byte-identical file.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

import numpy as np

from skgan.datasets import ADULT_FILENAME, ADULT_TARGET, _read_adult_frame

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "adult.csv"
OUTPUT = REPO / "skgan" / "datasets" / "data" / ADULT_FILENAME
N_ROWS = 3000
SEED = 0


def stratified_rows(target, n_rows, seed):
    """Sorted row positions of a stratified sample without replacement."""
    classes, counts = np.unique(target, return_counts=True)
    exact = n_rows * counts / counts.sum()
    sizes = np.floor(exact).astype(int)
    # Largest remainders get the rows that flooring left over.
    for k in np.argsort(sizes - exact)[: n_rows - sizes.sum()]:
        sizes[k] += 1
    rng = np.random.RandomState(seed)
    rows = [
        rng.choice(np.flatnonzero(target == label), size, replace=False)
        for label, size in zip(classes, sizes, strict=True)
    ]
    return np.sort(np.concatenate(rows))


def make_sample(path, n_rows=N_ROWS, seed=SEED):
    """The gzip bytes of the subsample and the sampled frame."""
    full = _read_adult_frame(path)
    rows = stratified_rows(full[ADULT_TARGET].to_numpy(dtype=str), n_rows, seed)
    sample = full.iloc[rows].reset_index(drop=True)
    text = sample.to_csv(index=False, na_rep="", lineterminator="\n")
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0), full, sample


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare with the existing file instead of writing it",
    )
    args = parser.parse_args(argv)
    if not args.data.exists():
        sys.exit(f"error: data file {args.data} not found (pass --data PATH).")
    data, full, sample = make_sample(args.data)
    for name, frame in (("full", full), ("sample", sample)):
        share = (frame[ADULT_TARGET] == ">50K").mean()
        missing = frame.isna().sum()
        missing = ", ".join(f"{c} {n}" for c, n in missing.items() if n)
        print(f"{name}: {len(frame)} rows, >50K {share:.4f}; missing: {missing}")
    if args.check:
        same = args.output.exists() and args.output.read_bytes() == data
        print(f"{args.output}: {'identical' if same else 'DIFFERS'}")
        return 0 if same else 1
    args.output.write_bytes(data)
    print(f"wrote {args.output} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
