#!/usr/bin/env python
"""Synthetic-data fidelity of skgan's GANSampler, ctgan and a Gaussian copula.

Run from the repository root::

    python benchmarks/fidelity.py                          # all methods, 30 epochs
    python benchmarks/fidelity.py --methods ctgan,copula --epochs 30,300
    python benchmarks/fidelity.py --dataset adult-sample   # the bundled 3,000 rows
    python benchmarks/fidelity.py --smoke                  # seconds: 300 rows, 1 epoch
    python benchmarks/fidelity.py --json results.json      # also save the results

Data. UCI Adult, read from ``--data`` (default ``../shared/data/adult.csv``
next to the repository, 32,561 rows) and cleaned like
:func:`skgan.datasets.load_adult`: spaces after the commas removed, ``?`` ->
NaN, six int64 columns, nine object (str) columns, target ``income``.
``--dataset adult-sample`` uses ``skgan.datasets.load_adult()`` instead (3,000
rows). ``--rows N`` first draws a stratified subsample of N rows. The table is
split 70 % train / 30 % test, stratified on ``income``, ``random_state=0``
(the split does not depend on ``--seed``).

Methods (``--methods``, comma-separated; default all):

* ``skgan``: ``GANSampler(epochs=E, random_state=seed, n_jobs=threads,
  device="cpu").fit(train).sample(len(train))``, given the DataFrame with its
  object columns and NaN as they are.
* ``ctgan`` (optional; Business Source License, only imported here and only
  if installed; otherwise skipped with a note): ``CTGAN(epochs=E,
  verbose=False, enable_gpu=False)`` (default networks, batch 500, pac 10),
  seeded with ``set_random_state(seed)``, ``fit(train, discrete_columns=<the
  object columns>)``, ``sample(len(train))``. ctgan is not given NaN in
  categorical columns: for ctgan only, NaN in object columns is replaced by
  the string ``"?"`` before ``fit`` (a category of its own, as in the
  original file) and ``"?"`` is mapped back to NaN after ``sample``. (Adult
  has no NaN in numeric columns.)
* ``copula``: the Gaussian-copula baseline defined below (numpy, scipy and
  pandas only), seeded with ``seed``. It has no epochs and runs once.

Every synthetic table is brought to the training table's columns and dtypes
before it is scored (integer columns rounded, object columns as object); the
output notes any method whose table needed more than that.

Metrics (``skgan.metrics``), with ``random_state=seed`` where they take one:

* ``column_shapes`` and ``column_pair_trends``: test table vs synthetic
  table (1 = same marginals / pairwise trends).
* ``detection_auc``: test vs synthetic, 5-fold ROC AUC of a gradient-boosting
  classifier (0.5 = indistinguishable, 1 = separable). The larger table is
  subsampled to the smaller one's size.
* ``ml_efficacy``: a model predicting ``income`` trained on the synthetic
  table and one trained on the real training table, both scored on the test
  table: macro F1 and accuracy.
* ``distance_to_closest_record``: synthetic rows vs the training rows, with
  the test rows as the hold-out reference: the median distance, its ratio to
  the hold-out median (below 1: closer to the training rows than unseen real
  rows are) and the share of exact copies of training rows.
* ``fit_s`` and ``sample_s``: wall-clock seconds of ``fit`` and of
  ``sample(len(train))`` (including the NaN/"?" mapping for ctgan).

The first row of the table, ``real-train``, scores the real training table
in place of a synthetic one: what an ideal generator would get (its
``ml_f1``/``ml_acc`` are the train-on-real reference; its ``dcr_med`` and
``copies`` are those of the test rows, the hold-out reference).

Threads: ``--threads N`` calls ``torch.set_num_threads(N)``, limits numpy's
and scikit-learn's BLAS/OpenMP pools to N with threadpoolctl (the metrics'
gradient boosting included) and is passed to skgan as ``n_jobs``. ctgan's
``DataTransformer`` also runs a joblib ``Parallel(n_jobs=-1)`` of worker
processes, which no thread setting controls. Use ``OMP_NUM_THREADS=1`` on a
busy machine.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.model_selection import train_test_split

from skgan import metrics
from skgan.datasets import ADULT_TARGET, _read_adult_frame, load_adult

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "adult.csv"
METHODS = ("skgan", "ctgan", "copula")
TEST_SIZE = 0.3
SPLIT_SEED = 0
# The category of a missing value in the copula.
MISSING = "<missing>"


# ------------------------------------------------------------- the copula


class GaussianCopula:
    """Gaussian-copula sampler for a mixed table (the baseline).

    Each column is mapped to normal scores with the distributional transform
    ``u = F(x-) + V (F(x) - F(x-))``, ``V ~ U(0, 1)``, ``z = Phi^-1(u)``:

    * a numeric column uses its empirical CDF (ties, such as the zeros of
      ``capital-gain``, get a uniform jitter over their CDF step); its NaN
      rate is kept as a separate Bernoulli rate and NaN rows get ``z = 0``;
    * a categorical column (missing values are one more category) orders its
      categories by decreasing frequency and uses the CDF over those
      frequencies, with the jitter inside each category's interval.

    The correlation matrix of the normal scores is fitted; sampling draws
    ``z ~ N(0, R)`` and inverts each column: ``Phi(z)`` -> the empirical
    quantile (linear interpolation between the sorted training values) or the
    category whose CDF interval holds it.
    """

    def __init__(self, random_state=0):
        self.random_state = random_state

    def fit(self, frame):
        rng = np.random.default_rng(self.random_state)
        self.columns_, self.dtypes_, self.marginals_ = list(frame.columns), {}, []
        scores = np.zeros((len(frame), frame.shape[1]))
        for j, column in enumerate(self.columns_):
            x = frame[column]
            self.dtypes_[column] = x.dtype
            jitter = rng.uniform(size=len(x))
            if pd.api.types.is_numeric_dtype(x.dtype):
                missing = x.isna().to_numpy()
                values = np.sort(x[~missing].to_numpy(dtype=float))
                low = np.searchsorted(values, x[~missing], "left") / len(values)
                high = np.searchsorted(values, x[~missing], "right") / len(values)
                u = low + jitter[~missing] * (high - low)
                scores[~missing, j] = stats.norm.ppf(np.clip(u, 1e-6, 1 - 1e-6))
                self.marginals_.append(("numeric", values, missing.mean()))
            else:
                labels = pd.Series(np.where(x.isna(), MISSING, x.astype(object)))
                counts = labels.value_counts()
                # Most frequent first, ties by name: the same in every pandas.
                categories = sorted(counts.index, key=lambda c: (-counts[c], str(c)))
                frequencies = counts[categories].to_numpy() / len(x)
                cdf = np.concatenate([[0.0], np.cumsum(frequencies)])
                index = {category: k for k, category in enumerate(categories)}
                codes = labels.map(index).to_numpy()
                u = cdf[codes] + jitter * (cdf[codes + 1] - cdf[codes])
                scores[:, j] = stats.norm.ppf(np.clip(u, 1e-6, 1 - 1e-6))
                self.marginals_.append(("categorical", categories, cdf))
        self.correlation_ = np.corrcoef(scores, rowvar=False)
        self._rng = np.random.default_rng(rng.integers(2**63))
        return self

    def sample(self, n_samples):
        rng = self._rng
        z = rng.multivariate_normal(
            np.zeros(len(self.columns_)), self.correlation_, n_samples, method="eigh"
        )
        u = stats.norm.cdf(z)
        out = {}
        for j, column in enumerate(self.columns_):
            kind, support, extra = self.marginals_[j]
            if kind == "numeric":
                values = np.quantile(support, u[:, j])
                values[rng.uniform(size=n_samples) < extra] = np.nan
                out[column] = values
            else:
                codes = np.searchsorted(extra, u[:, j], "right") - 1
                codes = np.clip(codes, 0, len(support) - 1)
                labels = np.array(support, dtype=object)[codes]
                labels[labels == MISSING] = np.nan
                out[column] = labels
        return conform(pd.DataFrame(out), self.columns_, self.dtypes_)[0]


# ---------------------------------------------------------------- helpers


def conform(synthetic, columns, dtypes):
    """Put ``synthetic`` in the training table's columns and dtypes.

    Returns the frame and a list of what had to change beyond rounding.
    """
    notes = []
    if list(synthetic.columns) != list(columns):
        notes.append(f"columns {list(synthetic.columns)} reordered")
    synthetic = synthetic.reset_index(drop=True)
    out = {}
    for column in columns:
        x, dtype = synthetic[column], dtypes[column]
        if pd.api.types.is_integer_dtype(dtype):
            values = pd.to_numeric(x).to_numpy(dtype=float)
            if x.dtype != dtype and not pd.api.types.is_float_dtype(x.dtype):
                notes.append(f"{column}: {x.dtype} instead of {dtype}")
            out[column] = (
                values if np.isnan(values).any() else np.round(values).astype(dtype)
            )
        elif pd.api.types.is_numeric_dtype(dtype):
            out[column] = pd.to_numeric(x).astype(dtype)
        else:
            if x.dtype != object:
                notes.append(f"{column}: {x.dtype} instead of object")
            values = x.astype(object)
            out[column] = values.where(values.notna(), np.nan)
    return pd.DataFrame(out, columns=list(columns)), notes


@contextlib.contextmanager
def limit_threads(n_threads):
    """torch.set_num_threads plus threadpoolctl limits for numpy/sklearn."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=n_threads):
            yield
    finally:
        torch.set_num_threads(previous)


def load_average():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "n/a"


def load_data(args):
    """The cleaned table and a description of where it came from."""
    if args.dataset == "adult-sample":
        frame, source = load_adult(), "skgan.datasets.load_adult() (3,000 rows)"
    else:
        if not args.data.exists():
            sys.exit(f"error: data file {args.data} not found (pass --data PATH).")
        frame, source = _read_adult_frame(args.data), str(args.data)
    if args.rows and args.rows < len(frame):
        frame, _ = train_test_split(
            frame,
            train_size=args.rows,
            stratify=frame[ADULT_TARGET],
            random_state=SPLIT_SEED,
        )
        frame = frame.sort_index().reset_index(drop=True)
        source += f", stratified subsample of {args.rows} rows"
    return frame, source


def ctgan_version():
    try:
        import ctgan
    except ImportError:
        return None
    return getattr(ctgan, "__version__", "unknown")


# ---------------------------------------------------------------- methods


def run_skgan(train, epochs, seed, threads):
    from skgan import GANSampler

    model = GANSampler(epochs=epochs, random_state=seed, n_jobs=threads, device="cpu")
    start = time.perf_counter()
    model.fit(train)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    synthetic = model.sample(len(train))
    return synthetic, fit_s, time.perf_counter() - start


def run_ctgan(train, epochs, seed, threads):
    from ctgan import CTGAN

    discrete = [c for c in train.columns if train[c].dtype == object]
    model = CTGAN(epochs=epochs, verbose=False, enable_gpu=False)
    if hasattr(model, "set_random_state"):
        model.set_random_state(seed)
    filled = train.copy()
    filled[discrete] = filled[discrete].fillna("?")  # ctgan only; undone below
    start = time.perf_counter()
    model.fit(filled, discrete_columns=discrete)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    synthetic = model.sample(len(train))
    for column in discrete:
        values = synthetic[column].astype(object)
        synthetic[column] = values.where(values != "?", np.nan)
    return synthetic, fit_s, time.perf_counter() - start


def run_copula(train, epochs, seed, threads):
    start = time.perf_counter()
    model = GaussianCopula(random_state=seed).fit(train)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    synthetic = model.sample(len(train))
    return synthetic, fit_s, time.perf_counter() - start


RUNNERS = {"skgan": run_skgan, "ctgan": run_ctgan, "copula": run_copula}


# ---------------------------------------------------------------- scoring


def score(synthetic, train, test, seed, dcr_synthetic=None):
    """All metrics of one synthetic table, as a flat dict plus details."""
    start = time.perf_counter()
    shapes = metrics.column_shapes(test, synthetic)
    trends = metrics.column_pair_trends(test, synthetic)
    detection = metrics.detection_auc(test, synthetic, random_state=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        efficacy = metrics.ml_efficacy(
            train, synthetic, test, ADULT_TARGET, random_state=seed
        )
    dcr = metrics.distance_to_closest_record(
        synthetic if dcr_synthetic is None else dcr_synthetic, train, test
    )
    return {
        "column_shapes": shapes.score,
        "column_pair_trends": trends.score,
        "detection_auc": detection.auc,
        "ml_f1_macro": efficacy.synthetic["f1_macro"],
        "ml_accuracy": efficacy.synthetic["accuracy"],
        "ml_real_f1_macro": efficacy.real["f1_macro"],
        "ml_real_accuracy": efficacy.real["accuracy"],
        "dcr_median": dcr.quantiles["synthetic"][0.5],
        "dcr_median_holdout": dcr.quantiles["holdout"][0.5],
        "dcr_median_ratio": dcr.median_ratio,
        "exact_copy_rate": dcr.exact_copy_rate,
        "holdout_exact_copy_rate": dcr.holdout_exact_copy_rate,
        "metrics_s": time.perf_counter() - start,
        "details": {
            "column_scores": shapes.column_scores,
            "detection_fold_aucs": [float(a) for a in detection.fold_aucs],
            "dcr_quantiles": {
                name: {str(q): v for q, v in values.items()}
                for name, values in dcr.quantiles.items()
            },
            "ml_warnings": [str(w.message) for w in caught],
        },
    }


# ------------------------------------------------------------------ table

COLUMNS = (
    # (header, key, format)
    ("method", "method", "{}"),
    ("epochs", "epochs", "{}"),
    ("fit_s", "fit_s", "{:.1f}"),
    ("sample_s", "sample_s", "{:.2f}"),
    ("shapes", "column_shapes", "{:.4f}"),
    ("trends", "column_pair_trends", "{:.4f}"),
    ("detect_auc", "detection_auc", "{:.4f}"),
    ("ml_f1", "ml_f1_macro", "{:.4f}"),
    ("ml_acc", "ml_accuracy", "{:.4f}"),
    ("dcr_med", "dcr_median", "{:.4f}"),
    ("dcr_ratio", "dcr_median_ratio", "{:.3f}"),
    ("copies", "exact_copy_rate", "{:.4f}"),
)


def format_table(rows):
    cells = [[header for header, _, _ in COLUMNS]]
    for row in rows:
        cells.append(
            [
                "-" if row.get(key) is None else fmt.format(row[key])
                for _, key, fmt in COLUMNS
            ]
        )
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = []
    for k, line in enumerate(cells):
        lines.append(
            "  ".join(
                cell.ljust(w) if i < 2 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            )
        )
        if k == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


# ------------------------------------------------------------------- main


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--dataset", choices=["adult", "adult-sample"], default="adult")
    parser.add_argument("--rows", type=int, default=0, help="stratified subsample")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--epochs", default="30", help="e.g. 30 or 30,300")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also save the results here")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="adult-sample, 300 rows, 1 epoch, copula+skgan: seconds",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.dataset, args.rows, args.epochs = "adult-sample", 300, "1"
        args.methods = "copula,skgan"
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = sorted(set(args.methods) - set(METHODS))
    if unknown:
        parser.error(f"unknown methods {unknown}; choose from {list(METHODS)}")
    try:
        args.epochs = [int(e) for e in args.epochs.split(",")]
    except ValueError:
        parser.error(f"--epochs must be integers separated by commas: {args.epochs}")
    if not args.epochs or min(args.epochs) < 1 or args.threads < 1:
        parser.error("--epochs and --threads must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    wall_start = time.perf_counter()
    frame, source = load_data(args)
    train, test = train_test_split(
        frame,
        test_size=TEST_SIZE,
        stratify=frame[ADULT_TARGET],
        random_state=SPLIT_SEED,
    )
    train, test = train.reset_index(drop=True), test.reset_index(drop=True)
    dtypes = dict(train.dtypes)
    notes = []
    if "ctgan" in args.methods and ctgan_version() is None:
        args.methods.remove("ctgan")
        notes.append(
            "ctgan skipped: not importable here (optional; BSL-licensed, see "
            "benchmarks/README.md to install it in a separate environment)."
        )

    import torch

    print("skgan fidelity benchmark")
    print(f"  date      {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"  machine   {platform.machine()}, {os.cpu_count()} logical CPUs")
    print(
        f"  software  python {platform.python_version()}, torch {torch.__version__}"
        f", pandas {pd.__version__}, ctgan {ctgan_version() or 'not installed'}"
    )
    print(
        f"  threads   {args.threads} (torch, BLAS/OpenMP, skgan n_jobs); "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"
    )
    print(f"  data      {source}: train {len(train)}, test {len(test)} rows")
    print(
        f"  methods   {','.join(args.methods)}; "
        f"epochs {','.join(map(str, args.epochs))}; seed {args.seed}"
    )
    print(f"  load avg  {load_average()} (start)")
    for note in notes:
        print(f"  note      {note}")
    sys.stdout.flush()

    results = []
    with limit_threads(args.threads):
        # The reference row: the real training table scored as if synthetic;
        # its DCR is the test rows' own (the hold-out reference).
        reference = score(train, train, test, args.seed, dcr_synthetic=test)
        reference.update(method="real-train", epochs=None, fit_s=None, sample_s=None)
        reference["dcr_median_ratio"] = None
        results.append(reference)
        for method in args.methods:
            for epochs in [None] if method == "copula" else args.epochs:
                print(f"  running   {method} epochs={epochs} ...", flush=True)
                synthetic, fit_s, sample_s = RUNNERS[method](
                    train, epochs, args.seed, args.threads
                )
                synthetic, changed = conform(synthetic, train.columns, dtypes)
                if changed:
                    notes.append(f"{method} output conformed: {'; '.join(changed)}")
                row = score(synthetic, train, test, args.seed)
                row.update(method=method, epochs=epochs, fit_s=fit_s, sample_s=sample_s)
                results.append(row)
    wall_s = time.perf_counter() - wall_start

    print()
    print(format_table(results))
    print()
    print(
        "shapes/trends: 1 = same as the test table; detect_auc: 0.5 = "
        "indistinguishable;\nml_f1/ml_acc: income model trained on it, tested on "
        "the test table (real-train row = train-on-real reference);\ndcr_med: "
        "median distance to the closest training row (real-train row: test rows), "
        "dcr_ratio = dcr_med / test rows' median; copies: exact copies of "
        "training rows."
    )
    for row in results:
        for message in row["details"]["ml_warnings"]:
            notes.append(f"{row['method']} epochs={row['epochs']}: {message}")
    for note in notes:
        print(f"note: {note}")
    print(f"load avg {load_average()} (end); wall time {wall_s:.1f} s")

    if args.json:
        payload = {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "argv": sys.argv[1:] if argv is None else list(argv),
            "machine": {
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "torch": torch.__version__,
                "pandas": pd.__version__,
                "ctgan": ctgan_version(),
                "threads": args.threads,
                "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
            },
            "data": {"source": source, "n_train": len(train), "n_test": len(test)},
            "split": {"test_size": TEST_SIZE, "random_state": SPLIT_SEED},
            "seed": args.seed,
            "notes": notes,
            "wall_s": wall_s,
            "results": results,
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str) + "\n")
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
