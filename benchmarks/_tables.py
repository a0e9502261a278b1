"""The tables of the fidelity suite (``benchmarks/fidelity.py``).

``load_table(name, data=...)`` returns a :class:`Table`: the DataFrame, its
target column, the task and the categorical columns. Every categorical column
(the classification targets included) is an object column of str, numeric
columns are float64 or int64. The generated tables are drawn from a fixed
seed, ``TABLE_SEED``, so they are the same in every run and on every machine
with the same numpy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import datasets as sk_datasets

from skgan.datasets import ADULT_TARGET, _read_adult_frame, load_adult

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "adult.csv"
# Seeds the generated tables; the run's --seeds never change them.
TABLE_SEED = 20261204


@dataclass(frozen=True)
class Table:
    """One table of the suite."""

    name: str
    frame: pd.DataFrame
    target: str
    task: str  # "classification" or "regression"
    categorical: tuple
    source: str

    def describe(self):
        n_rows, n_columns = self.frame.shape
        return (
            f"{n_rows:,} rows x {n_columns} columns ({len(self.categorical)} "
            f"categorical), target {self.target!r} ({self.task}); {self.source}"
        )


def _table(name, frame, target, task, source):
    """Make every non-numeric column (and a class target) object of str."""
    frame = frame.reset_index(drop=True).copy()
    if task == "classification":
        frame[target] = frame[target].astype(str)
    categorical = []
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column].dtype):
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), np.nan)
            categorical.append(column)
    return Table(name, frame, target, task, tuple(categorical), source)


# ------------------------------------------------------------- real tables


def _adult_sample(data):
    frame = load_adult()
    return _table(
        "adult-sample", frame, ADULT_TARGET, "classification", "skgan.datasets"
    )


def _adult(data):
    data = Path(data)
    if not data.exists():
        raise FileNotFoundError(f"Adult data file {data} not found (pass --data PATH).")
    return _table(
        "adult", _read_adult_frame(data), ADULT_TARGET, "classification", str(data)
    )


def _sklearn(name, target, task, data):
    """A bundled scikit-learn table; class codes become their names."""
    bunch = getattr(sk_datasets, f"load_{name}")(as_frame=True)
    frame = bunch.frame.rename(columns={"target": target})
    if task == "classification":
        frame[target] = np.asarray(bunch.target_names, dtype=object)[bunch.target]
    return _table(name, frame, target, task, f"sklearn.datasets.load_{name}")


# -------------------------------------------------------- generated tables


def _mixture(rng):
    """4 separated 2-D Gaussians (unequal weights and spreads) + their label."""
    n = 2_000
    means = np.array([[-6.0, -6.0], [6.0, -6.0], [-6.0, 6.0], [6.0, 6.0]])
    spreads = np.array([0.5, 1.0, 0.8, 1.2])
    component = rng.choice(4, size=n, p=[0.4, 0.3, 0.2, 0.1])
    xy = means[component] + spreads[component, None] * rng.standard_normal((n, 2))
    labels = np.array(["A", "B", "C", "D"], dtype=object)[component]
    frame = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "component": labels})
    return frame, "component", "classification"


def _correlated(rng):
    """4-D Gaussian, corr(x1,x2)=0.8, corr(x3,x4)=0.5, corr(x1,x3)=-0.3."""
    n = 2_000
    correlation = np.eye(4)
    for (i, j), r in {(0, 1): 0.8, (2, 3): 0.5, (0, 2): -0.3}.items():
        correlation[i, j] = correlation[j, i] = r
    z = rng.multivariate_normal(np.zeros(4), correlation, size=n, method="cholesky")
    label = np.where(z @ np.array([1.0, -0.5, 0.8, 0.3]) > 0, "pos", "neg")
    # Different locations and scales, so that no column is already standard.
    x = z * np.array([1.0, 2.0, 0.5, 20.0]) + np.array([0.0, 10.0, -5.0, 100.0])
    frame = pd.DataFrame(x, columns=["x1", "x2", "x3", "x4"])
    frame["label"] = label.astype(object)
    return frame, "label", "classification"


def _function(rng):
    """c = a * b + a exactly, a and b uniform, an independent 3-level column."""
    n = 2_000
    a, b = rng.uniform(0.0, 2.0, n), rng.uniform(-1.0, 1.0, n)
    group = rng.choice(np.array(["u", "v", "w"], dtype=object), n, p=[0.5, 0.3, 0.2])
    frame = pd.DataFrame({"a": a, "b": b, "c": a * b + a, "group": group})
    return frame, "c", "regression"


def _rare_class(rng):
    """3 % 'rare' rows whose numeric columns are shifted; mixed dtypes."""
    n, n_rare = 3_000, 90
    rare = rng.permutation(np.arange(n) < n_rare)
    frame = pd.DataFrame(
        {
            "normal": rng.standard_normal(n) + 1.5 * rare,
            "skewed": rng.lognormal(0.7 * rare, 0.75),
            "count": rng.poisson(np.where(rare, 6.0, 3.0)).astype(np.int64),
            "colour": np.where(
                rare,
                rng.choice(["red", "green", "blue", "grey"], n, p=[0.1, 0.2, 0.3, 0.4]),
                rng.choice(["red", "green", "blue", "grey"], n, p=[0.4, 0.3, 0.2, 0.1]),
            ),
            "flag": rng.choice(["yes", "no"], n, p=[0.3, 0.7]),
            "class": np.where(rare, "rare", "common"),
        }
    )
    return frame, "class", "classification"


def _generated(make, name, data):
    frame, target, task = make(np.random.default_rng(TABLE_SEED))
    return _table(name, frame, target, task, f"generated (seed {TABLE_SEED})")


LOADERS = {
    "adult-sample": _adult_sample,
    "adult": _adult,
    "breast_cancer": functools.partial(
        _sklearn, "breast_cancer", "diagnosis", "classification"
    ),
    "wine": functools.partial(_sklearn, "wine", "cultivar", "classification"),
    "iris": functools.partial(_sklearn, "iris", "species", "classification"),
    "diabetes": functools.partial(_sklearn, "diabetes", "progression", "regression"),
    "mixture": functools.partial(_generated, _mixture, "mixture"),
    "correlated": functools.partial(_generated, _correlated, "correlated"),
    "function": functools.partial(_generated, _function, "function"),
    "rare-class": functools.partial(_generated, _rare_class, "rare-class"),
}
TABLES = tuple(LOADERS)
# The full Adult file takes long; it runs only when asked for.
DEFAULT_TABLES = tuple(name for name in TABLES if name != "adult")


def load_table(name, data=DEFAULT_DATA):
    """The :class:`Table` called ``name`` (``data``: the full Adult file)."""
    return LOADERS[name](data)
