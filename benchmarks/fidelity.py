#!/usr/bin/env python
"""Fidelity suite: skgan's GANSampler, its variants, ctgan and a Gaussian copula.

Run from the repository root::

    python benchmarks/fidelity.py --smoke                 # seconds (CI)
    python benchmarks/fidelity.py --jobs 16 --json suite.json
    python benchmarks/fidelity.py --tables iris,wine --seeds 0 --epochs 5
    python benchmarks/fidelity.py --jobs 16 --skgan-variant lr='{"generator_lr": 1e-3}'
    python benchmarks/fidelity.py --tables adult --data PATH --seeds 0

Tables (``--tables``, comma-separated; default all but ``adult``; defined in
``benchmarks/_tables.py``). Categorical columns, class targets included, are
object columns of str; the rest are float64 or int64.

* ``adult-sample``: ``skgan.datasets.load_adult()``, 3,000 rows of UCI Adult
  (6 integer, 9 categorical columns with NaN), target ``income``.
* ``adult``: the full Adult file (``--data``, default
  ``../shared/data/adult.csv``, 32,561 rows), read like ``load_adult``.
  Opt-in: slow.
* ``breast_cancer`` (569 rows, 30 numeric columns, target ``diagnosis``),
  ``wine`` (178 x 13, ``cultivar``), ``iris`` (150 x 4, ``species``): the
  bundled scikit-learn tables (``load_*(as_frame=True)``), classification,
  the class codes replaced by their names. ``diabetes`` (442 x 10, target
  ``progression``): regression.
* Generated from a fixed seed (``TABLE_SEED``; the run's seeds do not change
  them), tables with a known structure:

  - ``mixture``: 2,000 rows, columns x, y from 4 well separated 2-D
    Gaussians (weights 0.4/0.3/0.2/0.1, spreads 0.5-1.2, centres 12 apart)
    and ``component`` (A-D) saying which: the target. Tests modes.
  - ``correlated``: 2,000 rows of a 4-D Gaussian with corr(x1, x2) = 0.8,
    corr(x3, x4) = 0.5, corr(x1, x3) = -0.3 (other locations and scales per
    column), target ``label`` = the sign of a fixed linear combination
    (pos/neg). Tests correlations.
  - ``function``: 2,000 rows, a ~ U(0, 2), b ~ U(-1, 1), c = a * b + a
    exactly, and an independent 3-level ``group``; regression target ``c``
    (R^2 near 1 on real rows). Tests an exact relation between columns.
  - ``rare-class``: 3,000 rows, 90 (3 %) of class ``rare`` whose numeric
    columns (normal, lognormal, an int64 Poisson count) are shifted and whose
    ``colour`` frequencies are reversed, plus an independent ``flag``;
    target ``class``. Tests a small class.

``--rows N`` first draws a subsample of N rows (stratified for
classification; tables of N rows or fewer are kept whole).

Split. Per table, 80 % train / 20 % test, stratified on the target for
classification, ``random_state=0``: the same for every method and seed.

Methods (``--methods``, comma-separated; default ``skgan,ctgan,copula``):

* ``skgan``: ``GANSampler(device="cpu", random_state=seed, n_jobs=threads)``,
  otherwise its defaults (``--epochs E`` adds ``epochs=E``). On a
  classification table it is the class-conditional model the augmenters
  use: ``fit(X, y)`` with the target as ``y``, and ``sample(len(train),
  return_y=True)`` (the labels generated with the rows); on a regression
  table ``fit`` on the whole training DataFrame and ``sample(len(train))``.
* ``skgan:NAME`` for every ``--skgan-variant NAME=JSON``: the same with the
  JSON object's GANSampler parameters merged over those (lists become
  tuples), e.g. ``--skgan-variant big='{"batch_size": 4000}'``. Parameter
  names and values are checked before anything runs.
* ``ctgan`` (optional; Business Source License, only imported here, skipped
  with a note where it is not installed): ``CTGAN(verbose=False,
  enable_gpu=False)`` (plus ``epochs=E`` with ``--epochs``), seeded with
  ``set_random_state(seed)``, the categorical columns as
  ``discrete_columns``; NaN in them becomes the category ``"?"`` for ctgan
  only and is mapped back after ``sample``.
* ``copula``: the Gaussian-copula baseline defined below (numpy, scipy,
  pandas), seeded with ``seed``.
* ``real-train`` (always): the real training rows scored as if synthetic,
  the reference an ideal generator would get.

Seeds (``--seeds``, default ``0,1,2``). Every (table, method, seed) is one
cell: one fit, one sample of as many rows as the training table, scored with
``skgan.metrics`` (``random_state=seed`` where they take one):

* ``detect_auc``: ``detection_auc(test, synthetic)``, 5-fold ROC AUC of a
  gradient-boosting classifier (0.5 = indistinguishable, 1 = separable).
* ``shapes``, ``trends``: ``column_shapes`` and ``column_pair_trends`` of
  test vs synthetic (1 = same marginals / pairwise relations).
* ``ml``: ``ml_efficacy``: a gradient-boosting model of the target trained
  on the synthetic rows, scored on the real test rows: macro F1 for
  classification, R^2 for regression (it can be negative). The same model
  trained on the real training rows is the ``ml`` of the ``real-train`` row
  (and ``ml_real`` of every cell in the JSON).
* ``cls_recall``, ``cls_gap`` (classification tables): rows asked for
  class by class, as many per class as the training table has (skgan
  ``sample(n, y=c)``; ctgan ``sample(n, condition_column=target,
  condition_value=c)``; the copula: the class's rows of its joint samples,
  its exact conditional), scored with ``class_fidelity(train, rows, test,
  target)``: ``cls_recall`` is ``min_recall_ratio``, the worst class's
  recall of a classifier trained on real rows on that class's synthetic
  rows over its recall on the real test rows (1: as recognisable as real
  rows; below 1: the rows look like another class); ``cls_gap`` is
  ``shapes_gap``, the most frequent class's column shapes minus the
  rarest's. The ``real-train`` row scores the training rows, which the
  classifier has seen (its recall ratio is above 1; its gap is the
  sampling noise of the class sizes). Per-class values are in the JSON.
  ``ml_cls``: the ``ml`` model trained on those rows instead (labels at
  the training frequencies, each row generated for its label).
* ``dcr_ratio``, ``copies``: ``distance_to_closest_record(synthetic,
  train, test)``: median distance of synthetic rows to their closest
  training row over that of the test rows (below 1: closer to the training
  rows than unseen real rows are; about 1 is ideal), and the share of exact
  copies of training rows (``real-train`` row: the test rows' own).
* ``fit_s``, ``sample_s``: wall seconds of ``fit`` and ``sample`` (every
  process first fits a tiny GANSampler, untimed, so that torch's one-time
  start-up is not in the first cell's ``fit_s``); ``iters``: epochs trained
  (``n_iter_``; ctgan: its ``epochs``). The JSON also has ``best_epoch``:
  with ``early_stopping``, the epoch whose networks skgan kept (else None).

Synthetic tables are brought to the training table's columns and dtypes
before scoring (``conform``: integers rounded); a note names any method
whose output needed more.

How to read the output. Per table, one row per method: mean ± standard
deviation over the seeds (a single seed: the value). Then a summary, one row
per method: the mean over tables of the per-table means (``ml`` mixes macro
F1 and R^2), and ``auc<=cop+.1``: on how many tables the method's mean
detection AUC is at most the copula's + 0.10. With variants, an A/B table:
variant minus ``skgan``, paired by table and seed (mean ± sd over seeds),
``fit x`` the ratio of mean fit seconds, and per variant the mean over
tables and on how many tables the variant is better (lower detect_auc,
higher shapes/trends/ml). Differences within about one sd are noise.

Threads and processes. Each cell runs under ``--threads N`` (default 1):
``torch.set_num_threads``, threadpoolctl limits for numpy and
scikit-learn (the metrics included) and skgan's ``n_jobs``. ``--jobs J``
(default 1: in this process, one cell after the other) runs the cells in J
worker processes (``spawn``, a fresh process per cell where Python >= 3.11);
use J x N <= the number of cores. Fit seconds of parallel cells include the
contention between them. ``--json PATH`` saves every cell's raw values,
the settings and the machine and software description; it is rewritten as
cells finish (``"complete": false`` until the end), so an interrupted sweep
keeps what it did.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import multiprocessing
import os
import platform
import re
import subprocess
import sys
import time
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from _tables import DEFAULT_DATA, DEFAULT_TABLES, REPO, TABLES, load_table
from scipy import stats
from sklearn.model_selection import train_test_split

from skgan import metrics

METHODS = ("skgan", "ctgan", "copula")
REFERENCE = "real-train"
TEST_SIZE = 0.2
SPLIT_SEED = 0
# The category of a missing value in the copula.
MISSING = "<missing>"
# GANSampler parameters that the suite sets for every cell.
MANAGED = ("random_state", "n_jobs")
SMOKE = {"tables": "iris,correlated", "rows": 300, "seeds": "0", "epochs": 1}


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


def ctgan_version():
    try:
        import ctgan
    except ImportError:
        return None
    return getattr(ctgan, "__version__", "unknown")


def git_revision():
    try:
        done = subprocess.run(
            ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def environment(args):
    """The machine and software, for the header and the JSON file."""
    import sklearn
    import torch

    import skgan

    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "skgan": skgan.__version__,
        "skgan_git": git_revision(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "ctgan": ctgan_version(),
        "threads": args.threads,
        "jobs": args.jobs,
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }


@cache
def prepare(name, data, rows):
    """The table and its training and test rows (cached in each process)."""
    table = load_table(name, data)

    def split(frame, **size):
        target = frame[table.target] if table.task == "classification" else None
        parts = train_test_split(
            frame, **size, stratify=target, random_state=SPLIT_SEED
        )
        return [part.reset_index(drop=True) for part in parts]

    frame = table.frame
    if rows and rows < len(frame):
        frame = split(frame, train_size=rows)[0]
    train, test = split(frame, test_size=TEST_SIZE)
    return table, train, test


# ---------------------------------------------------------------- methods


@cache
def warm_up(device):
    """Pay torch's one-time start-up costs in this process outside the timing."""
    from skgan import GANSampler

    frame = pd.DataFrame({"x": np.linspace(0.0, 1.0, 64), "k": ["a", "b"] * 32})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GANSampler(epochs=1, device=device, n_jobs=1, random_state=0)
        model.fit(frame).sample(8)


class SkganModel:
    """GANSampler; on a classification table, ``fit(X, y)`` with the target as y.

    That is the class-conditional model the augmenters use: ``sample(n)``
    generates the labels with the rows, ``sample_class(n, c)`` is
    ``sample(n, y=c)``.
    """

    def __init__(self, params, seed, threads, table):
        from skgan import GANSampler

        warm_up(params.get("device", "cpu"))
        self.model = GANSampler(
            **{"device": "cpu", **params, "random_state": seed, "n_jobs": threads}
        )
        self.target = table.target if table.task == "classification" else None

    @property
    def n_iter_(self):
        return self.model.n_iter_

    @property
    def best_epoch_(self):
        return self.model.best_epoch_

    def fit(self, train):
        if self.target is None:
            self.model.fit(train)
        else:
            self.model.fit(train.drop(columns=self.target), train[self.target])
        self.columns = list(train.columns)
        return self

    def sample(self, n_samples):
        if self.target is None:
            return self.model.sample(n_samples)
        X, y = self.model.sample(n_samples, return_y=True)
        return X.assign(**{self.target: y})[self.columns]

    def sample_class(self, n_samples, label):
        rows = self.model.sample(n_samples, y=label)
        return rows.assign(**{self.target: label})[self.columns]


def make_copula(params, seed, threads, table):
    return GaussianCopula(random_state=seed)


class CTGANModel:
    """ctgan behind fit/sample; NaN in categorical columns as "?" (ctgan only)."""

    def __init__(self, params, seed, threads, table):
        from ctgan import CTGAN

        self.model = CTGAN(verbose=False, enable_gpu=False, **params)
        if hasattr(self.model, "set_random_state"):
            self.model.set_random_state(seed)
        self.discrete = list(table.categorical)
        self.target = table.target
        self.n_iter_ = getattr(self.model, "_epochs", None)

    def fit(self, train):
        filled = train.copy()
        if self.discrete:
            filled[self.discrete] = filled[self.discrete].fillna("?")
        self.model.fit(filled, discrete_columns=self.discrete)
        return self

    def sample(self, n_samples, condition=None):
        if condition is None:
            synthetic = self.model.sample(n_samples)
        else:
            column, value = condition
            synthetic = self.model.sample(
                n_samples, condition_column=column, condition_value=value
            )
        for column in self.discrete:
            values = synthetic[column].astype(object)
            synthetic[column] = values.where(values != "?", np.nan)
        return synthetic

    def sample_class(self, n_samples, label):
        return self.model.sample(n_samples, (self.target, label))


FACTORIES = {"skgan": SkganModel, "ctgan": CTGANModel, "copula": make_copula}


def sample_classes(model, train, target):
    """Rows of every class, as many as ``train`` has, asked for class by class.

    Through the model's ``sample_class(n, label)`` where it has one (skgan:
    ``sample(n, y=label)``; ctgan: its conditional sampling); otherwise (the
    copula) the class's rows of joint samples: its exact conditional.
    """
    counts = train[target].value_counts()
    parts = []
    for label, n in counts.items():
        if hasattr(model, "sample_class"):
            parts.append(model.sample_class(int(n), label))
            continue
        rows, kept = [], 0
        for _ in range(200):
            batch = model.sample(len(train))
            batch = batch[batch[target] == label]
            rows.append(batch)
            kept += len(batch)
            if kept >= n:
                break
        parts.append(pd.concat(rows).iloc[: int(n)])
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------- scoring


def class_score(per_class, train, test, table, seed):
    """``class_fidelity`` of rows asked for class by class, and the label
    model trained on them (classification)."""
    if table.task != "classification":
        return {"class_recall": None, "class_shapes_gap": None, "ml_by_class": None}
    result = metrics.class_fidelity(
        train, per_class, test, table.target, random_state=seed
    )
    efficacy = metrics.ml_efficacy(
        train, per_class, test, table.target, task=table.task, random_state=seed
    )
    return {
        "ml_by_class": efficacy.synthetic["f1_macro"],
        "class_recall": result.min_recall_ratio,
        "class_shapes_gap": result.shapes_gap,
        "class_details": {
            str(label): {
                "n_real": result.n_real[label],
                "n_synthetic": result.n_synthetic[label],
                "recall_real": result.recall_real[label],
                "recall_synthetic": result.recall_synthetic[label],
                "column_shapes": result.column_shapes[label],
            }
            for label in result.classes
        },
    }


def score(synthetic, train, test, table, seed, reference=False):
    """All metrics of one synthetic table, as a flat dict plus details."""
    start = time.perf_counter()
    shapes = metrics.column_shapes(test, synthetic)
    trends = metrics.column_pair_trends(test, synthetic)
    detection = metrics.detection_auc(test, synthetic, random_state=seed)
    efficacy = metrics.ml_efficacy(
        train, synthetic, test, table.target, task=table.task, random_state=seed
    )
    # The reference row's DCR is that of the test rows: the hold-out reference.
    dcr = metrics.distance_to_closest_record(
        test if reference else synthetic, train, test
    )
    ml_metric = "f1_macro" if table.task == "classification" else "r2"
    return {
        "column_shapes": shapes.score,
        "column_pair_trends": trends.score,
        "detection_auc": detection.auc,
        "ml_metric": ml_metric,
        "ml": efficacy.synthetic[ml_metric],
        "ml_real": efficacy.real[ml_metric],
        "dcr_median": dcr.quantiles["synthetic"][0.5],
        "dcr_median_holdout": dcr.quantiles["holdout"][0.5],
        "dcr_median_ratio": None if reference else dcr.median_ratio,
        "exact_copy_rate": dcr.exact_copy_rate,
        "holdout_exact_copy_rate": dcr.holdout_exact_copy_rate,
        "metrics_s": time.perf_counter() - start,
        "details": {
            "column_scores": shapes.column_scores,
            "detection_fold_aucs": [float(a) for a in detection.fold_aucs],
            "ml_efficacy": {"synthetic": efficacy.synthetic, "real": efficacy.real},
            "dcr_quantiles": {
                name: {str(q): v for q, v in values.items()}
                for name, values in dcr.quantiles.items()
            },
        },
    }


def run_cell(cell):
    """Fit, sample and score one (table, method, seed): a JSON-able dict.

    Runs in this process or in a worker; an exception is recorded in the
    result (``"error"``) so that the other cells go on.
    """
    table, train, test = prepare(cell["table"], Path(cell["data"]), cell["rows"])
    result = dict(cell, fit_s=None, sample_s=None, iters=None, conformed=[])
    with limit_threads(cell["threads"]), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if cell["kind"] == REFERENCE:
                result.update(score(train, train, test, table, cell["seed"], True))
                result.update(class_score(train, train, test, table, cell["seed"]))
            else:
                model = FACTORIES[cell["kind"]](
                    cell["params"], cell["seed"], cell["threads"], table
                )
                start = time.perf_counter()
                model.fit(train)
                result["fit_s"] = time.perf_counter() - start
                start = time.perf_counter()
                synthetic = model.sample(len(train))
                result["sample_s"] = time.perf_counter() - start
                iters = getattr(model, "n_iter_", None)
                result["iters"] = None if iters is None else int(iters)
                # With early stopping, the epoch whose networks were kept.
                result["best_epoch"] = getattr(model, "best_epoch_", None)
                synthetic, result["conformed"] = conform(
                    synthetic, train.columns, dict(train.dtypes)
                )
                result.update(score(synthetic, train, test, table, cell["seed"]))
                if table.task == "classification":
                    start = time.perf_counter()
                    per_class = sample_classes(model, train, table.target)
                    result["class_sample_s"] = time.perf_counter() - start
                    per_class, _ = conform(per_class, train.columns, dict(train.dtypes))
                else:
                    per_class = None
                result.update(class_score(per_class, train, test, table, cell["seed"]))
        except Exception as error:  # reported; the sweep goes on
            result["error"] = f"{type(error).__name__}: {error}"
            result["traceback"] = traceback.format_exc()
    result["warnings"] = sorted(
        {f"{w.category.__name__}: {str(w.message)[:300]}" for w in caught}
    )
    return result


def run_cells(cells, jobs, on_result):
    """Run every cell, in this process or in ``jobs`` worker processes."""
    if jobs == 1:
        for cell in cells:
            on_result(run_cell(cell))
        return
    # One fresh process per cell (Python >= 3.11): no state, thread pool or
    # memory high-water mark carries over from one cell to the next.
    fresh = {"max_tasks_per_child": 1} if sys.version_info >= (3, 11) else {}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, **fresh) as pool:
        futures = {pool.submit(run_cell, cell): cell for cell in cells}
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as error:  # the worker itself died
                result = dict(futures[future], error=f"worker: {error!r}")
            on_result(result)


# ------------------------------------------------------------------ tables

# (key of a cell, header, decimals, direction: +1 higher is better, -1 lower)
COLUMNS = (
    ("iters", "iters", 0, None),
    ("fit_s", "fit_s", 1, None),
    ("sample_s", "sample_s", 2, None),
    ("column_shapes", "shapes", 3, 1),
    ("column_pair_trends", "trends", 3, 1),
    ("detection_auc", "detect_auc", 3, -1),
    ("ml", "ml", 3, 1),
    ("ml_by_class", "ml_cls", 3, 1),
    ("class_recall", "cls_recall", 3, 1),
    ("class_shapes_gap", "cls_gap", 3, -1),
    ("dcr_median_ratio", "dcr_ratio", 3, None),
    ("exact_copy_rate", "copies", 3, None),
)
AB_COLUMNS = [c for c in COLUMNS if c[0] not in ("iters", "fit_s", "sample_s")]


def mean_sd(values):
    """(mean, sample sd or None, n) of the values that are not None."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else None
    return float(np.mean(values)), sd, len(values)


def fmt(stat, decimals, spread=True):
    if stat is None:
        return "-"
    mean, sd, _ = stat
    text = f"{mean:.{decimals}f}"
    if spread and sd is not None and decimals:
        text += f"±{sd:.{decimals}f}"
    return text


def render(header, rows, n_left=1):
    """A plain-text table: the first n_left columns left-aligned."""
    lines = [header] + rows
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for line in lines:
        cells = [
            cell.ljust(w) if i < n_left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
    out.insert(1, "-" * max(len(line) for line in out))
    return "\n".join(out)


def aggregate(results):
    """(table, method) -> {key: (mean, sd, n)} over the seeds that ran."""
    groups = {}
    for cell in results:
        if "error" not in cell:
            groups.setdefault((cell["table"], cell["method"]), []).append(cell)
    return {
        group: {
            "seeds": len(cells),
            **{key: mean_sd([c[key] for c in cells]) for key, *_ in COLUMNS},
        }
        for group, cells in groups.items()
    }


def table_report(name, methods, stats_):
    header = ["method", "seeds"] + [h for _, h, _, _ in COLUMNS]
    rows = [
        [method, str(stats_[name, method]["seeds"])]
        + [fmt(stats_[name, method][k], d, k != "iters") for k, _, d, _ in COLUMNS]
        for method in methods
        if (name, method) in stats_
    ]
    return render(header, rows, 2)


def summary_report(tables, methods, stats_):
    """Mean over tables of the per-table means, and the copula AUC count."""
    header = ["method", "tables"] + [h for _, h, _, _ in COLUMNS] + ["auc<=cop+.1"]
    rows = []
    for method in methods:
        names = [t for t in tables if (t, method) in stats_]
        if not names:
            continue
        row = [method, str(len(names))]
        for key, _, decimals, _ in COLUMNS:
            means = [stats_[t, method][key] for t in names]
            row.append(fmt(mean_sd([m[0] for m in means if m]), decimals, False))
        row.append(copula_count(names, method, stats_))
        rows.append(row)
    return render(header, rows, 1)


def copula_count(names, method, stats_):
    if method in (REFERENCE, "copula"):
        return "-"
    pairs = [
        (stats_[t, method]["detection_auc"], stats_[t, "copula"]["detection_auc"])
        for t in names
        if (t, "copula") in stats_
    ]
    pairs = [(a, c) for a, c in pairs if a and c]
    if not pairs:
        return "-"
    return f"{sum(a[0] <= c[0] + 0.10 for a, c in pairs)}/{len(pairs)}"


def ab_report(results, tables, variants, base="skgan"):
    """Each variant minus the base, paired by table and seed."""
    by_cell = {
        (c["table"], c["method"], c["seed"]): c for c in results if "error" not in c
    }
    header = ["variant", "table"] + [f"d_{h}" for _, h, _, _ in AB_COLUMNS]
    header.append("fit x")
    rows = []
    for variant in variants:
        per_table = []
        for name in tables:
            seeds = sorted(
                s
                for t, m, s in by_cell
                if t == name and m == variant and (name, base, s) in by_cell
            )
            if not seeds:
                continue
            pairs = [(by_cell[name, variant, s], by_cell[name, base, s]) for s in seeds]
            diffs = {
                key: mean_sd(
                    [
                        None if v[key] is None or b[key] is None else v[key] - b[key]
                        for v, b in pairs
                    ]
                )
                for key, *_ in AB_COLUMNS
            }
            fit = [
                np.mean([cell["fit_s"] for cell in pair])
                for pair in zip(*pairs, strict=True)
            ]
            per_table.append(diffs)
            rows.append(
                [variant, name]
                + [fmt(diffs[k], d) for k, _, d, _ in AB_COLUMNS]
                + [f"{fit[0] / fit[1]:.2f}"]
            )
        if not per_table:
            continue
        means, wins = [], []
        for key, _, decimals, direction in AB_COLUMNS:
            values = [d[key][0] for d in per_table if d[key]]
            means.append(fmt(mean_sd(values), decimals, False))
            better = sum(direction * v > 0 for v in values) if direction else None
            wins.append("-" if better is None else f"{better}/{len(values)}")
        rows.append([variant, "mean of tables"] + means + [""])
        rows.append([variant, "better on"] + wins + [""])
    return render(header, rows, 2) if rows else None


# ------------------------------------------------------------------- main


def int_list(text, option, parser):
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        parser.error(f"{option} takes integers separated by commas; got {text!r}")
    if not values:
        parser.error(f"{option} is empty")
    return values


def parse_variant(text, base, parser):
    """``NAME=JSON`` -> (name, GANSampler parameters), checked now."""
    from skgan import GANSampler

    name, sep, spec = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        parser.error(
            f"--skgan-variant takes NAME=JSON with a NAME of letters, digits, "
            f"'_', '.' or '-'; got {text!r}"
        )
    try:
        params = json.loads(spec)
    except json.JSONDecodeError as error:
        parser.error(f"--skgan-variant {name}: {spec!r} is not JSON ({error})")
    if not isinstance(params, dict):
        parser.error(f"--skgan-variant {name}: a JSON object is needed; got {spec!r}")
    managed = sorted(set(params) & set(MANAGED))
    if managed:
        parser.error(
            f"--skgan-variant {name}: {managed} are set by the suite for every "
            "cell (--seeds, --threads), not by a variant"
        )
    allowed = sorted(GANSampler().get_params())
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        parser.error(
            f"--skgan-variant {name}: {unknown} are not GANSampler parameters; "
            f"choose from {allowed}"
        )
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    params = {**base, **params}
    try:
        GANSampler(**params)._validate_params()
    except (ValueError, TypeError) as error:
        parser.error(f"--skgan-variant {name}: {error}")
    return f"skgan:{name}", params


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tables",
        default=",".join(DEFAULT_TABLES),
        help=f"comma-separated, from {','.join(TABLES)} (default: all but adult)",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="adult.csv")
    parser.add_argument("--rows", type=int, default=0, help="subsample tables first")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument(
        "--skgan-variant",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="GANSampler parameters over the defaults, run as method skgan:NAME "
        "(repeatable)",
    )
    parser.add_argument(
        "--epochs", type=int, help="skgan (and ctgan) epochs (default: theirs)"
    )
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--threads", type=int, default=1, help="per cell")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--json", type=Path, help="also save every cell here")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="iris and correlated (300 rows), seed 0, 1 epoch, skgan+copula",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.tables, args.rows = SMOKE["tables"], SMOKE["rows"]
        args.seeds, args.epochs = SMOKE["seeds"], SMOKE["epochs"]
        args.methods = "skgan,copula"
    args.tables = [t.strip() for t in args.tables.split(",") if t.strip()]
    chosen = [m.strip() for m in args.methods.split(",") if m.strip()]
    for option, values, known in (
        ("--tables", args.tables, TABLES),
        ("--methods", chosen, METHODS),
    ):
        unknown = sorted(set(values) - set(known))
        if unknown or not values:
            parser.error(f"{option}: unknown {unknown}; choose from {list(known)}")
    args.seeds = int_list(args.seeds, "--seeds", parser)
    if min(args.threads, args.jobs, 1 if args.epochs is None else args.epochs) < 1:
        parser.error("--epochs, --threads and --jobs must be >= 1")
    base = {} if args.epochs is None else {"epochs": args.epochs}
    variants = dict(parse_variant(text, base, parser) for text in args.skgan_variant)
    if len(variants) < len(args.skgan_variant):
        parser.error("--skgan-variant: two variants have the same NAME")
    # (method, kind, parameters), in the order of the printed tables.
    args.methods = [(REFERENCE, REFERENCE, {})]
    if "skgan" in chosen:
        args.methods.append(("skgan", "skgan", base))
    args.methods += [(name, "skgan", params) for name, params in variants.items()]
    if "ctgan" in chosen:
        args.methods.append(("ctgan", "ctgan", base))
    if "copula" in chosen:
        args.methods.append(("copula", "copula", {}))
    args.variants = list(variants)
    return args


def main(argv=None):
    args = parse_args(argv)
    wall_start = time.perf_counter()
    notes = []
    if ctgan_version() is None and any(m == "ctgan" for m, _, _ in args.methods):
        args.methods = [m for m in args.methods if m[0] != "ctgan"]
        notes.append(
            "ctgan skipped: not importable here (optional; BSL-licensed, see "
            "benchmarks/README.md to install it in a separate environment)."
        )
    try:
        splits = {name: prepare(name, args.data, args.rows) for name in args.tables}
    except FileNotFoundError as error:
        sys.exit(f"error: {error}")
    env = environment(args)
    methods = [name for name, _, _ in args.methods]

    print("skgan fidelity suite")
    print(f"  date      {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"  machine   {env['machine']}, {env['cpus']} logical CPUs")
    print(
        f"  software  python {env['python']}, skgan {env['skgan']} "
        f"({env['skgan_git'] or 'no git'}), torch {env['torch']}, pandas "
        f"{env['pandas']}, scikit-learn {env['scikit-learn']}, ctgan "
        f"{env['ctgan'] or 'not installed'}"
    )
    print(
        f"  threads   {args.threads} per cell (torch, BLAS/OpenMP, skgan n_jobs) x "
        f"{args.jobs} job(s); OMP_NUM_THREADS={env['OMP_NUM_THREADS'] or 'unset'}"
    )
    for name, (table, train, test) in splits.items():
        print(f"  table     {name}: {table.describe()}")
        print(f"            train {len(train)}, test {len(test)} rows")
    for name, kind, params in args.methods[1:]:
        settings = json.dumps(params) if params else "defaults"
        print(f"  method    {name}: {kind}, {settings}")
    print(f"  seeds     {','.join(map(str, args.seeds))}; split seed {SPLIT_SEED}")
    print(f"  load avg  {load_average()} (start)")
    for note in notes:
        print(f"  note      {note}")
    sys.stdout.flush()

    # Largest tables first, so that parallel workers finish together.
    order = sorted(args.tables, key=lambda name: -len(splits[name][1]))
    cells = [
        {
            "table": name,
            "method": method,
            "kind": kind,
            "params": params,
            "seed": seed,
            "threads": args.threads,
            "data": str(args.data),
            "rows": args.rows,
        }
        for name in order
        for seed in args.seeds
        for method, kind, params in args.methods
    ]
    results = []

    def payload(complete):
        return {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "argv": sys.argv[1:] if argv is None else list(argv),
            "complete": complete,
            "machine": env,
            "tables": {
                name: {
                    "description": table.describe(),
                    "target": table.target,
                    "task": table.task,
                    "categorical": list(table.categorical),
                    "n_train": len(train),
                    "n_test": len(test),
                }
                for name, (table, train, test) in splits.items()
            },
            "split": {"test_size": TEST_SIZE, "random_state": SPLIT_SEED},
            "rows": args.rows,
            "seeds": args.seeds,
            "methods": {name: params for name, _, params in args.methods},
            "notes": notes,
            "wall_s": time.perf_counter() - wall_start,
            "cells": results,
        }

    def on_result(result):
        results.append(result)
        if "error" in result:
            done = f"ERROR {result['error']}"
        else:
            fit = "-" if result["fit_s"] is None else f"{result['fit_s']:.1f} s"
            done = (
                f"fit {fit}, detect_auc {result['detection_auc']:.3f}, "
                f"ml {result['ml']:.3f}"
            )
        print(
            f"  [{len(results)}/{len(cells)}] {result['table']} {result['method']} "
            f"seed {result['seed']}: {done}",
            flush=True,
        )
        if args.json:
            args.json.write_text(json.dumps(payload(False), default=str) + "\n")

    run_cells(cells, args.jobs, on_result)
    wall_s = time.perf_counter() - wall_start
    results.sort(
        key=lambda c: (
            args.tables.index(c["table"]),
            methods.index(c["method"]),
            c["seed"],
        )
    )
    stats_ = aggregate(results)

    for name, (table, train, _) in splits.items():
        metric = "macro F1" if table.task == "classification" else "R^2"
        print(f"\n{name}: train {len(train)}, target {table.target!r}, ml = {metric}")
        print(table_report(name, methods, stats_))
    print(f"\nsummary: mean over tables of the per-table means ({len(splits)} tables)")
    print(summary_report(args.tables, methods, stats_))
    ab = ab_report(results, args.tables, args.variants) if "skgan" in methods else None
    if ab:
        print("\nA/B: variant - skgan, paired by table and seed (mean±sd over seeds)")
        print(ab)
    print(
        "\nmean±sd over seeds. shapes/trends: 1 = same as the test rows; detect_auc: "
        "0.5 = indistinguishable;\nml: target model trained on the rows, scored on "
        "the test rows (real-train: train-on-real reference); ml_cls: the same "
        "model trained on rows sampled class by class;\ncls_recall: worst "
        "class's recall on rows sampled for it / on real rows (1: carries its "
        "class); cls_gap: commonest class's shapes - rarest's;\ndcr_ratio: median "
        "distance to the closest training row / the test rows' (about 1 is "
        "ideal); copies: exact copies\nof training rows (real-train: the test "
        "rows'); iters: epochs trained; auc<=cop+.1: tables where the mean "
        "detect_auc\nis at most the copula's + 0.10."
    )
    if ab:
        print(
            "A/B: d_ = variant - skgan (detect_auc: lower is better); fit x = mean "
            "fit seconds / skgan's;\nbetter on: tables where the variant's mean is "
            "better (within about one sd: noise)."
        )
    notes.extend(cell_notes(results))
    for note in notes:
        print(f"note: {note}")
    print(f"load avg {load_average()} (end); wall time {wall_s:.1f} s")

    if args.json:
        final = payload(True)
        final["summary"] = [
            {
                "table": table,
                "method": method,
                "seeds": values.pop("seeds"),
                **{
                    key: None
                    if stat is None
                    else dict(zip(("mean", "sd", "n"), stat, strict=True))
                    for key, stat in values.items()
                },
            }
            for (table, method), values in stats_.items()
        ]
        args.json.write_text(json.dumps(final, indent=1, default=str) + "\n")
        print(f"saved {args.json}")
    return 1 if any("error" in cell for cell in results) else 0


def cell_notes(results):
    """Errors, conformed outputs and warnings, one line per message and seeds."""
    seeds = {}
    for cell in results:
        messages = [f"ERROR {cell['error']}"] if "error" in cell else []
        if cell.get("conformed"):
            messages.append(f"output conformed: {'; '.join(cell['conformed'])}")
        messages += cell.get("warnings", [])
        for message in messages:
            key = (cell["table"], cell["method"], message)
            seeds.setdefault(key, []).append(str(cell["seed"]))
    return [
        f"{table} {method} (seed {','.join(s)}): {message}"
        for (table, method, message), s in seeds.items()
    ]


if __name__ == "__main__":
    sys.exit(main())
