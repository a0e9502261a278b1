"""Fidelity, utility and privacy metrics for real versus synthetic tables.

Every function takes tables as pandas DataFrames or 2-D array-likes with the
same columns. A column is *categorical* when its dtype is object, string,
category or bool and *continuous* when it is numeric, unless
``categorical_features`` says otherwise. For an ndarray the dtype of the whole
array decides: a numeric array has only continuous columns, an object, string
or bool array only categorical ones.

* Fidelity: :func:`column_shapes`, :func:`column_pair_trends`,
  :func:`detection_auc`.
* Utility: :func:`ml_efficacy`, and per class :func:`class_fidelity`
  (do rows generated for a class carry that class?).
* Privacy: :func:`distance_to_closest_record`.
* All of them at once: :func:`quality_report`.

matplotlib is needed only for :meth:`QualityReport.plot`.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype, is_string_dtype
from scipy.stats import ks_2samp
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.metrics import accuracy_score, f1_score, r2_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state

from ._validation import is_dataframe

__all__ = [
    "ClassFidelityResult",
    "ColumnPairTrendsResult",
    "ColumnShapesResult",
    "DCRResult",
    "DetectionResult",
    "MLEfficacyResult",
    "QualityReport",
    "class_fidelity",
    "column_pair_trends",
    "column_shapes",
    "detection_auc",
    "distance_to_closest_record",
    "ml_efficacy",
    "quality_report",
]

# Continuous columns are cut into this many quantile bins of the real data
# when paired with a categorical column.
N_BINS = 10
# HistGradientBoosting accepts at most max_bins (255) categories per
# categorical feature; columns with more go in as ordinal codes.
_MAX_HGB_CATEGORIES = 255
DCR_QUANTILES = (0.05, 0.5, 0.95)


# --------------------------------------------------------------------------
# Result objects
# --------------------------------------------------------------------------


@dataclass
class ColumnShapesResult:
    """Per-column similarity of the marginal distributions.

    Attributes
    ----------
    score : float
        Mean of ``column_scores``, in [0, 1]; 1 means identical marginals.
    column_scores : dict
        Column label -> score in [0, 1].
    column_metrics : dict
        Column label -> ``"KS"`` (continuous column, 1 - Kolmogorov-Smirnov
        statistic) or ``"TVD"`` (categorical column, 1 - total variation
        distance).
    """

    score: float
    column_scores: dict
    column_metrics: dict


@dataclass
class ColumnPairTrendsResult:
    """Per-pair similarity of the relations between two columns.

    Attributes
    ----------
    score : float
        Mean of ``pair_scores``, in [0, 1]; 1 means identical trends.
    pair_scores : dict
        ``(label_a, label_b)`` -> score in [0, 1].
    pair_metrics : dict
        ``(label_a, label_b)`` -> ``"correlation"`` (two continuous columns)
        or ``"contingency"`` (at least one categorical column).
    """

    score: float
    pair_scores: dict
    pair_metrics: dict


@dataclass
class DetectionResult:
    """Classifier two-sample test of real against synthetic rows.

    Attributes
    ----------
    auc : float
        Mean cross-validated ROC AUC. 0.5 means the classifier cannot tell
        the rows apart, 1.0 that it separates them perfectly.
    fold_aucs : ndarray of shape (n_splits,)
        ROC AUC of each fold.
    n_samples : int
        Rows per class after balancing (the size of the smaller table).
    """

    auc: float
    fold_aucs: np.ndarray
    n_samples: int

    @property
    def score(self):
        """Detection score ``1 - 2 * max(auc - 0.5, 0)`` in [0, 1]; 1 is best."""
        return float(1.0 - 2.0 * max(self.auc - 0.5, 0.0))


@dataclass(repr=False)
class MLEfficacyResult:
    """Scores on real test rows of a model trained on synthetic vs real rows.

    Attributes
    ----------
    task : {"classification", "regression"}
        The learning task.
    target : str or int
        The target column.
    synthetic : dict
        Metric name -> score of the model trained on the synthetic table.
    real : dict
        Metric name -> score of the model trained on the real training table.
    """

    task: str
    target: object
    synthetic: dict
    real: dict

    def __str__(self):
        lines = [
            f"ML efficacy ({self.task}, target {self.target!r})",
            f"{'metric':<10} {'synthetic':>10} {'real':>10}",
        ]
        for name in self.real:
            lines.append(
                f"{name:<10} {self.synthetic[name]:>10.4f} {self.real[name]:>10.4f}"
            )
        return "\n".join(lines)

    __repr__ = __str__


@dataclass(repr=False)
class ClassFidelityResult:
    """Per class: do the synthetic rows of a class look like that class?

    Attributes
    ----------
    target : str or int
        The class column.
    classes : list
        The classes of the real training rows, most frequent first.
    n_real : dict
        Class -> number of real test rows of that class.
    n_synthetic : dict
        Class -> number of synthetic rows of that class.
    recall_real : dict
        Class -> recall on the real test rows of that class of a classifier
        trained on the real training rows: how often it recognises them.
    recall_synthetic : dict
        Class -> the same classifier's recall on the synthetic rows of that
        class (NaN for a class without synthetic rows).
    column_shapes : dict
        Class -> :func:`column_shapes` score of the synthetic rows of that
        class against the real test rows of that class, over the feature
        columns (NaN for a class without rows in either).
    """

    target: object
    classes: list
    n_real: dict
    n_synthetic: dict
    recall_real: dict
    recall_synthetic: dict
    column_shapes: dict

    @property
    def recall_ratio(self):
        """Class -> ``recall_synthetic / recall_real`` (NaN where undefined).

        1 means the classifier recognises synthetic rows of the class as
        often as real ones; a class whose synthetic rows look like another
        class scores near 0.
        """
        return {
            c: (
                self.recall_synthetic[c] / self.recall_real[c]
                if self.recall_real[c] > 0
                else float("nan")
            )
            for c in self.classes
        }

    @property
    def min_recall_ratio(self):
        """The worst class's ``recall_ratio`` (NaN when none is defined)."""
        ratios = [r for r in self.recall_ratio.values() if not np.isnan(r)]
        return float(min(ratios)) if ratios else float("nan")

    @property
    def shapes_gap(self):
        """Most frequent class's ``column_shapes`` minus the least frequent's.

        Positive when the rarest class's rows are reproduced worse than the
        commonest class's. Read it next to the same gap of real rows (fewer
        rows give lower shapes by sampling noise alone).
        """
        return float(
            self.column_shapes[self.classes[0]] - self.column_shapes[self.classes[-1]]
        )

    def to_frame(self):
        """One row per class: counts, recalls, their ratio and shapes."""
        ratio = self.recall_ratio
        return pd.DataFrame(
            {
                "n_real": self.n_real,
                "n_synthetic": self.n_synthetic,
                "recall_real": self.recall_real,
                "recall_synthetic": self.recall_synthetic,
                "recall_ratio": ratio,
                "column_shapes": self.column_shapes,
            },
            index=pd.Index(self.classes, name=self.target),
        ).loc[self.classes]

    def __str__(self):
        return (
            f"Class fidelity (target {self.target!r})\n"
            f"{self.to_frame().to_string(float_format=lambda v: f'{v:.3f}')}"
        )

    __repr__ = __str__


@dataclass
class DCRResult:
    """Distances to the closest training record.

    Attributes
    ----------
    synthetic_distances : ndarray of shape (n_synthetic,)
        Distance of each synthetic row to its nearest real training row.
    holdout_distances : ndarray of shape (n_holdout,)
        Distance of each real hold-out row to its nearest real training
        row: the reference for rows the model never saw.
    exact_copy_rate : float
        Share of synthetic rows identical to some training row.
    holdout_exact_copy_rate : float
        Share of hold-out rows identical to some training row (duplicates
        that occur naturally in the data).
    quantiles : dict
        ``{"synthetic": {q: value}, "holdout": {q: value}}`` for the
        quantiles ``q`` in (0.05, 0.5, 0.95) of the two distance arrays.
    """

    synthetic_distances: np.ndarray = field(repr=False)
    holdout_distances: np.ndarray = field(repr=False)
    exact_copy_rate: float
    holdout_exact_copy_rate: float
    quantiles: dict

    @property
    def median_ratio(self):
        """Median synthetic distance over median hold-out distance.

        Below 1, synthetic rows sit closer to the training rows than unseen
        real rows do: a sign of memorisation.
        """
        synthetic = self.quantiles["synthetic"][0.5]
        holdout = self.quantiles["holdout"][0.5]
        if holdout == 0:
            return 1.0 if synthetic == 0 else float("inf")
        return float(synthetic / holdout)


@dataclass(repr=False)
class QualityReport:
    """The results of :func:`quality_report`.

    Printing the report shows one table with a row per summary value and how
    to read it.

    Attributes
    ----------
    column_shapes : ColumnShapesResult
        Marginal distributions.
    column_pair_trends : ColumnPairTrendsResult or None
        Pairwise relations; None for a table with one column.
    detection : DetectionResult
        Classifier two-sample test.
    ml_efficacy : MLEfficacyResult or None
        Train on synthetic, test on real; None without ``target`` and
        ``real_holdout``.
    privacy : DCRResult or None
        Distance to closest record; None without ``real_holdout``.
    """

    column_shapes: ColumnShapesResult
    column_pair_trends: ColumnPairTrendsResult | None
    detection: DetectionResult
    ml_efficacy: MLEfficacyResult | None = None
    privacy: DCRResult | None = None

    def _rows(self):
        rows = [("column_shapes", self.column_shapes.score, "1 = same marginals")]
        if self.column_pair_trends is not None:
            rows.append(
                (
                    "column_pair_trends",
                    self.column_pair_trends.score,
                    "1 = same pairwise trends",
                )
            )
        rows.append(
            ("detection_auc", self.detection.auc, "0.5 = indistinguishable, 1 = apart")
        )
        if self.ml_efficacy is not None:
            for name in self.ml_efficacy.real:
                rows.append(
                    (
                        f"ml_{name}_synthetic",
                        self.ml_efficacy.synthetic[name],
                        "trained on synthetic, tested on real",
                    )
                )
                rows.append(
                    (
                        f"ml_{name}_real",
                        self.ml_efficacy.real[name],
                        "trained on real (reference)",
                    )
                )
        if self.privacy is not None:
            rows += [
                (
                    "dcr_median_synthetic",
                    self.privacy.quantiles["synthetic"][0.5],
                    "should not be below the hold-out's",
                ),
                (
                    "dcr_median_holdout",
                    self.privacy.quantiles["holdout"][0.5],
                    "unseen real rows (reference)",
                ),
                (
                    "exact_copy_rate",
                    self.privacy.exact_copy_rate,
                    "synthetic rows copied from training",
                ),
                (
                    "holdout_exact_copy_rate",
                    self.privacy.holdout_exact_copy_rate,
                    "natural duplicates (reference)",
                ),
            ]
        return [(name, float(value), reading) for name, value, reading in rows]

    def to_dict(self):
        """Return the summary values as a flat dict.

        Returns
        -------
        summary : dict
            Metric name -> value, in the order of the printed table.
        """
        return {name: value for name, value, _ in self._rows()}

    def to_frame(self):
        """Return the summary as a pandas DataFrame.

        Returns
        -------
        frame : pandas.DataFrame
            Columns ``metric``, ``value`` and ``reading``, one row per value.
        """
        return pd.DataFrame(self._rows(), columns=["metric", "value", "reading"])

    def plot(self, ax=None):
        """Draw the summary values as a horizontal bar chart.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created when None.

        Returns
        -------
        ax : matplotlib.axes.Axes
            The axes with the chart.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError(
                "QualityReport.plot needs matplotlib; install it with "
                "'pip install matplotlib'."
            ) from exc
        rows = self._rows()
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1))
        names = [name for name, _, _ in rows]
        values = [value for _, value, _ in rows]
        positions = np.arange(len(rows))
        ax.barh(positions, values, color="tab:blue")
        ax.set_yticks(positions, labels=names)
        ax.invert_yaxis()
        for position, value in zip(positions, values, strict=True):
            ax.annotate(
                f"{value:.3f}",
                (value, position),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
            )
        ax.set_xlabel("value")
        ax.set_title("Synthetic data quality")
        return ax

    def __str__(self):
        rows = self._rows()
        width = max(len(name) for name, _, _ in rows)
        lines = ["Synthetic data quality report"]
        lines.append(f"{'metric':<{width}}  {'value':>8}  reading")
        lines.append("-" * (width + 2 + 8 + 2 + 36))
        for name, value, reading in rows:
            lines.append(f"{name:<{width}}  {value:>8.4f}  {reading}")
        return "\n".join(lines)

    __repr__ = __str__


# --------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------


class _Missing:
    """The category of a missing value (None, NaN, pd.NA) in a categorical column."""

    def __repr__(self):
        return "nan"


_MISSING = _Missing()


@dataclass
class _Tables:
    """Several tables with the same columns, encoded as float matrices.

    Categorical columns hold integer codes shared by all tables (a missing
    value is a category of its own); continuous columns hold the values,
    NaN where missing.
    """

    labels: list
    categorical: np.ndarray
    n_categories: np.ndarray
    data: list


def _split_columns(X, name):
    """Return (labels or None, list of 1-D columns, list of dtypes)."""
    if is_dataframe(X):
        if X.columns.has_duplicates:
            duplicated = list(X.columns[X.columns.duplicated()])
            raise ValueError(f"{name} has duplicate column names: {duplicated}.")
        if X.shape[1] == 0:
            raise ValueError(f"{name} has no columns.")
        if X.shape[0] == 0:
            raise ValueError(f"{name} is empty: it has 0 rows.")
        columns = [X.iloc[:, j] for j in range(X.shape[1])]
        return list(X.columns), columns, [column.dtype for column in columns]
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D table (n_samples, n_features); "
            f"got an array of shape {array.shape}."
        )
    if array.shape[1] == 0:
        raise ValueError(f"{name} has no columns.")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 rows.")
    return (
        None,
        [array[:, j] for j in range(array.shape[1])],
        [array.dtype] * (array.shape[1]),
    )


def _default_is_categorical(dtype, label):
    """The dtype rule: object/string/category/bool categorical, numbers continuous.

    Datetimes and timedeltas (tz-aware too) are continuous, as nanoseconds.
    """
    kind = getattr(dtype, "kind", None)
    if kind in ("m", "M"):
        return False
    if isinstance(dtype, np.dtype):
        if kind in "iuf":
            return False
        if kind in "bOUS":
            return True
    else:  # pandas extension dtype
        if isinstance(dtype, pd.CategoricalDtype) or is_bool_dtype(dtype):
            return True
        if is_string_dtype(dtype):
            return True
        if is_numeric_dtype(dtype):
            return False
    raise ValueError(
        f"Column {label!r} has dtype {dtype}, which is neither numeric nor "
        "categorical; convert it to numbers or list it in categorical_features."
    )


def _resolve_categorical(categorical_features, labels, dtypes):
    n_columns = len(dtypes)
    display = labels if labels is not None else list(range(n_columns))
    if categorical_features is None:
        return np.array(
            [
                _default_is_categorical(dtype, label)
                for dtype, label in zip(dtypes, display, strict=True)
            ],
            dtype=bool,
        )
    if isinstance(categorical_features, str):
        categorical_features = [categorical_features]
    entries = list(np.asarray(categorical_features, dtype=object).ravel())
    if entries and all(isinstance(entry, bool | np.bool_) for entry in entries):
        if len(entries) != n_columns:
            raise ValueError(
                f"categorical_features is a boolean mask of length {len(entries)}, "
                f"but the tables have {n_columns} columns."
            )
        return np.array(entries, dtype=bool)
    mask = np.zeros(n_columns, dtype=bool)
    for entry in entries:
        if isinstance(entry, numbers.Integral) and not isinstance(entry, bool):
            # Negative indices count from the end, as in GANSampler.
            if not -n_columns <= entry < n_columns:
                raise ValueError(
                    f"categorical_features index {entry} is out of range for "
                    f"tables with {n_columns} columns."
                )
            mask[int(entry) % n_columns] = True
        elif isinstance(entry, str):
            if labels is None:
                raise ValueError(
                    f"categorical_features names a column ({entry!r}), but the "
                    "tables are arrays without column names; pass indices."
                )
            if entry not in labels:
                raise ValueError(
                    f"categorical_features names an unknown column {entry!r}; "
                    f"the columns are {list(labels)}."
                )
            mask[labels.index(entry)] = True
        else:
            raise ValueError(
                "categorical_features must be column names, column indices or a "
                f"boolean mask; got the entry {entry!r}."
            )
    return mask


def _missing_mask(values):
    return np.asarray(pd.isna(values), dtype=bool)


def _to_object(column):
    if hasattr(column, "to_numpy"):
        values = column.to_numpy(dtype=object)
    else:
        values = np.asarray(column).astype(object)
    values = values.copy()
    values[_missing_mask(values)] = _MISSING
    return values


def _time_values(column):
    """A datetime or timedelta column as float nanoseconds (NaN for NaT).

    Datetimes count from the epoch, in UTC for tz-aware ones; None for
    other columns.
    """
    kind = getattr(getattr(column, "dtype", None), "kind", None)
    if kind not in ("m", "M"):
        return None
    unit = "timedelta64[ns]" if kind == "m" else "datetime64[ns]"
    if hasattr(column, "to_numpy"):
        times = column.to_numpy(dtype=unit)
    else:
        times = np.asarray(column).astype(unit)
    values = times.view(np.int64).astype(float)
    values[np.isnat(times)] = np.nan
    return values


def _to_float(column, label, name):
    times = _time_values(column)
    if times is not None:
        return times
    try:
        if hasattr(column, "to_numpy"):
            values = column.to_numpy(dtype=float, na_value=np.nan)
        else:
            column = np.asarray(column)
            if column.dtype.kind == "O":
                column = column.copy()
                column[_missing_mask(column)] = np.nan
            values = column.astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Column {label!r} is treated as continuous, but {name} holds "
            "non-numeric values in it; list it in categorical_features."
        ) from exc
    if np.isinf(values).any():
        raise ValueError(
            f"Column {label!r} of {name} holds infinite values; continuous "
            "columns must be finite (NaN is handled per metric)."
        )
    return values


def _prepare(tables, categorical_features):
    """Validate and encode ``[(name, table), ...]``; the first is the reference."""
    ref_name, ref_table = tables[0]
    ref_labels, ref_columns, ref_dtypes = _split_columns(ref_table, ref_name)
    n_columns = len(ref_columns)
    split = [(ref_name, ref_columns)]
    for name, table in tables[1:]:
        labels, columns, _ = _split_columns(table, name)
        if ref_labels is not None and labels is not None:
            missing = [label for label in ref_labels if label not in labels]
            extra = [label for label in labels if label not in ref_labels]
            if missing or extra:
                raise ValueError(
                    f"{name} and {ref_name} have different columns: missing from "
                    f"{name}: {missing}; not in {ref_name}: {extra}."
                )
            columns = [columns[labels.index(label)] for label in ref_labels]
        elif len(columns) != n_columns:
            raise ValueError(
                f"{name} has {len(columns)} columns (features), but {ref_name} "
                f"has {n_columns}."
            )
        split.append((name, columns))
    categorical = _resolve_categorical(categorical_features, ref_labels, ref_dtypes)
    labels = ref_labels if ref_labels is not None else list(range(n_columns))

    encoded = [np.empty((len(columns[0]), n_columns)) for _, columns in split]
    n_categories = np.zeros(n_columns, dtype=int)
    for j, label in enumerate(labels):
        if categorical[j]:
            codes = {}
            for matrix, (_, columns) in zip(encoded, split, strict=True):
                matrix[:, j] = [
                    codes.setdefault(value, len(codes))
                    for value in _to_object(columns[j])
                ]
            n_categories[j] = len(codes)
        else:
            for matrix, (name, columns) in zip(encoded, split, strict=True):
                matrix[:, j] = _to_float(columns[j], label, name)
    return _Tables(labels, categorical, n_categories, encoded)


def _check_no_nan(tables, names, metric):
    for matrix, name in zip(tables.data, names, strict=True):
        counts = np.isnan(matrix).sum(axis=0)
        for j in np.flatnonzero(counts):
            raise ValueError(
                f"{metric} does not support NaN: column {tables.labels[j]!r} of "
                f"{name} holds {counts[j]} NaN; impute or drop them first."
            )


def _tvd(codes_a, codes_b, n_codes):
    """Total variation distance between the frequencies of two code arrays."""
    freq_a = np.bincount(codes_a.astype(np.intp), minlength=n_codes) / len(codes_a)
    freq_b = np.bincount(codes_b.astype(np.intp), minlength=n_codes) / len(codes_b)
    return 0.5 * float(np.abs(freq_a - freq_b).sum())


def _pearson(x, y):
    """Pearson correlation, taken as 0 when a column is constant."""
    x = x - x.mean()
    y = y - y.mean()
    # Divided by their largest magnitudes first, the sums of squares can
    # neither overflow (values near 1e155) nor underflow (near 1e-160).
    x_size, y_size = np.abs(x).max(), np.abs(y).max()
    if x_size == 0 or y_size == 0:
        return 0.0
    x, y = x / x_size, y / y_size
    denominator = np.sqrt((x @ x) * (y @ y))
    return float(np.clip((x @ y) / denominator, -1.0, 1.0))


def _quantile_edges(reference):
    """Inner edges of the quantile bins of ``reference`` (ties merged)."""
    inner = np.linspace(0, 1, N_BINS + 1)[1:-1]
    return np.unique(np.quantile(reference, inner))


def _seed(rng):
    return int(rng.randint(np.iinfo(np.int32).max))


def _leaf_size(n_rows):
    """HistGradientBoosting's ``min_samples_leaf`` for ``n_rows`` training rows.

    Its default, 20, allows no split below 40 rows: every prediction is then
    the same, and a detection AUC reads 0.5 ("indistinguishable") however
    different the tables. Small tables get smaller leaves; from 400 rows on
    it is the default.
    """
    return int(min(20, max(1, n_rows // 20)))


def _hgb_categorical(tables, columns):
    mask = tables.categorical[columns] & (
        tables.n_categories[columns] <= _MAX_HGB_CATEGORIES
    )
    return mask if mask.any() else None


# --------------------------------------------------------------------------
# Fidelity
# --------------------------------------------------------------------------


def column_shapes(real, synthetic, *, categorical_features=None):
    """Compare the marginal distribution of each column.

    A continuous column scores ``1 - KS``, with ``KS`` the two-sample
    Kolmogorov-Smirnov statistic (the largest gap between the two empirical
    distribution functions). A categorical column scores ``1 - TVD``, with
    ``TVD`` the total variation distance between the category frequencies,
    ``0.5 * sum(|p_real - p_synthetic|)``. Both lie in [0, 1]; 1 means
    identical marginals, 0 disjoint ones.

    Parameters
    ----------
    real : DataFrame or array-like of shape (n_real, n_features)
        The real table.
    synthetic : DataFrame or array-like of shape (n_synthetic, n_features)
        The synthetic table, with the same columns.
    categorical_features : list of str or int, or array-like of bool, default=None
        Columns to treat as categorical, by name, by index or as a boolean
        mask; the others are continuous. None applies the dtype rule: object,
        string, category and bool columns are categorical; numbers,
        datetimes and timedeltas (as nanoseconds) are continuous.

    Returns
    -------
    result : ColumnShapesResult
        Per-column scores and their mean (``result.score``).

    Notes
    -----
    NaN in a continuous column is dropped column by column before the KS
    statistic is computed. A missing value in a categorical column is a
    category of its own.

    Examples
    --------
    >>> import numpy as np
    >>> from skgan.metrics import column_shapes
    >>> rng = np.random.RandomState(0)
    >>> real, synthetic = rng.normal(size=(200, 3)), rng.normal(size=(150, 3))
    >>> result = column_shapes(real, synthetic)
    >>> sorted(result.column_scores)
    [0, 1, 2]
    >>> 0.0 <= result.score <= 1.0
    True
    """
    tables = _prepare([("real", real), ("synthetic", synthetic)], categorical_features)
    real_data, synthetic_data = tables.data
    scores, metrics = {}, {}
    for j, label in enumerate(tables.labels):
        real_column, synthetic_column = real_data[:, j], synthetic_data[:, j]
        if tables.categorical[j]:
            scores[label] = 1.0 - _tvd(
                real_column, synthetic_column, tables.n_categories[j]
            )
            metrics[label] = "TVD"
            continue
        real_column = real_column[~np.isnan(real_column)]
        synthetic_column = synthetic_column[~np.isnan(synthetic_column)]
        for values, name in ((real_column, "real"), (synthetic_column, "synthetic")):
            if values.size == 0:
                raise ValueError(f"Column {label!r} of {name} holds only NaN.")
        scores[label] = 1.0 - float(ks_2samp(real_column, synthetic_column).statistic)
        metrics[label] = "KS"
    return ColumnShapesResult(float(np.mean(list(scores.values()))), scores, metrics)


def column_pair_trends(real, synthetic, *, categorical_features=None):
    """Compare how each pair of columns varies together.

    * Two continuous columns score ``1 - |corr_real - corr_synthetic| / 2``
      with Pearson correlations; a constant column has correlation 0.
    * Two categorical columns score ``1 - TVD`` of their joint contingency
      tables (frequencies of each pair of categories).
    * A continuous and a categorical column: the continuous one is cut into
      ten quantile bins of the real data (fewer where quantiles coincide) and
      scored as a categorical pair.

    Every score lies in [0, 1]; 1 means the same trend.

    Parameters
    ----------
    real : DataFrame or array-like of shape (n_real, n_features)
        The real table, with at least two columns.
    synthetic : DataFrame or array-like of shape (n_synthetic, n_features)
        The synthetic table, with the same columns.
    categorical_features : list of str or int, or array-like of bool, default=None
        Columns to treat as categorical; see :func:`column_shapes`.

    Returns
    -------
    result : ColumnPairTrendsResult
        Per-pair scores and their mean (``result.score``).

    Notes
    -----
    Rows with NaN in either continuous column of a pair are dropped for that
    pair. A missing value in a categorical column is a category of its own.

    Examples
    --------
    >>> import numpy as np
    >>> from skgan.metrics import column_pair_trends
    >>> rng = np.random.RandomState(0)
    >>> real, synthetic = rng.normal(size=(200, 3)), rng.normal(size=(150, 3))
    >>> result = column_pair_trends(real, synthetic)
    >>> sorted(result.pair_scores)
    [(0, 1), (0, 2), (1, 2)]
    >>> 0.0 <= result.score <= 1.0
    True
    """
    tables = _prepare([("real", real), ("synthetic", synthetic)], categorical_features)
    n_columns = len(tables.labels)
    if n_columns < 2:
        raise ValueError(
            f"column_pair_trends needs at least 2 columns; the tables have {n_columns}."
        )
    real_data, synthetic_data = tables.data
    scores, metrics = {}, {}
    for a in range(n_columns):
        for b in range(a + 1, n_columns):
            pair = (tables.labels[a], tables.labels[b])
            real_pair = _complete_rows(real_data[:, [a, b]], pair, "real")
            synthetic_pair = _complete_rows(
                synthetic_data[:, [a, b]], pair, "synthetic"
            )
            if not tables.categorical[a] and not tables.categorical[b]:
                difference = abs(_pearson(*real_pair.T) - _pearson(*synthetic_pair.T))
                scores[pair] = 1.0 - difference / 2.0
                metrics[pair] = "correlation"
                continue
            real_codes, synthetic_codes, sizes = [], [], []
            for j, column in zip((a, b), (0, 1), strict=True):
                if tables.categorical[j]:
                    real_codes.append(real_pair[:, column].astype(np.intp))
                    synthetic_codes.append(synthetic_pair[:, column].astype(np.intp))
                    sizes.append(tables.n_categories[j])
                else:
                    edges = _quantile_edges(real_pair[:, column])
                    real_codes.append(
                        np.searchsorted(edges, real_pair[:, column], "right")
                    )
                    synthetic_codes.append(
                        np.searchsorted(edges, synthetic_pair[:, column], "right")
                    )
                    sizes.append(len(edges) + 1)
            real_joint = real_codes[0] * sizes[1] + real_codes[1]
            synthetic_joint = synthetic_codes[0] * sizes[1] + synthetic_codes[1]
            scores[pair] = 1.0 - _tvd(real_joint, synthetic_joint, sizes[0] * sizes[1])
            metrics[pair] = "contingency"
    return ColumnPairTrendsResult(
        float(np.mean(list(scores.values()))), scores, metrics
    )


def _complete_rows(pair_data, pair, name):
    complete = pair_data[~np.isnan(pair_data).any(axis=1)]
    if len(complete) == 0:
        raise ValueError(
            f"Columns {pair[0]!r} and {pair[1]!r} of {name} have no row without NaN."
        )
    return complete


def _check_cv(cv, random_state):
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv must be at least 2; got cv={cv}.")
        return StratifiedKFold(
            n_splits=int(cv), shuffle=True, random_state=random_state
        )
    if hasattr(cv, "split"):
        return cv
    raise ValueError(
        f"cv must be an int >= 2 or a cross-validation splitter; got {cv!r}."
    )


def detection_auc(real, synthetic, *, cv=5, random_state=0, categorical_features=None):
    """Classifier two-sample test: can a model tell synthetic rows from real?

    Real rows are labelled 0 and synthetic rows 1, the larger table is
    subsampled to the size of the smaller one, and a
    :class:`~sklearn.ensemble.HistGradientBoostingClassifier` is scored by
    stratified cross-validated ROC AUC. Categorical columns are ordinal-encoded
    and passed to the classifier as categorical features (a column with more
    than 255 categories goes in as its ordinal codes).

    An AUC of 0.5 means the classifier does no better than chance: the
    synthetic rows are indistinguishable from real ones. An AUC near 1 means
    they are easy to tell apart. An AUC well below 0.5 is no better than
    0.5: it arises when synthetic rows are exact copies of real ones (a
    copy of a row and the row itself fall in different folds, and the
    classifier learns the wrong label for each); check the privacy
    measures (:func:`distance_to_closest_record`) then. On small tables the
    classifier's leaves shrink (to ``n // 20`` rows below 400 training
    rows) so that it can still split, but HistGradientBoosting ignores
    categories of under 10 training rows: tables of a few dozen rows give
    rough estimates.

    Parameters
    ----------
    real : DataFrame or array-like of shape (n_real, n_features)
        The real table.
    synthetic : DataFrame or array-like of shape (n_synthetic, n_features)
        The synthetic table, with the same columns.
    cv : int or cross-validation splitter, default=5
        Number of stratified folds, or a splitter whose every test fold holds
        rows of both tables (a ValueError otherwise): the rows are stacked
        real first, so an unshuffled ``KFold`` does not do.
    random_state : int, RandomState instance or None, default=0
        Seeds the subsampling, the fold shuffling and the classifier.
    categorical_features : list of str or int, or array-like of bool, default=None
        Columns to treat as categorical; see :func:`column_shapes`.

    Returns
    -------
    result : DetectionResult
        Mean AUC (``result.auc``), the AUC of each fold and the rows per
        class.

    Notes
    -----
    NaN in continuous columns is passed to the classifier, which handles
    missing values natively.

    Examples
    --------
    >>> import numpy as np
    >>> from skgan.metrics import detection_auc
    >>> rng = np.random.RandomState(0)
    >>> real, synthetic = rng.normal(size=(60, 2)), rng.normal(size=(80, 2))
    >>> result = detection_auc(real, synthetic, cv=2)
    >>> result.n_samples, result.fold_aucs.shape
    (60, (2,))
    >>> 0.0 <= result.auc <= 1.0
    True
    """
    tables = _prepare([("real", real), ("synthetic", synthetic)], categorical_features)
    rng = check_random_state(random_state)
    real_data, synthetic_data = tables.data
    n_samples = min(len(real_data), len(synthetic_data))
    if len(real_data) > n_samples:
        real_data = real_data[rng.choice(len(real_data), n_samples, replace=False)]
    if len(synthetic_data) > n_samples:
        synthetic_data = synthetic_data[
            rng.choice(len(synthetic_data), n_samples, replace=False)
        ]
    splitter = _check_cv(cv, _seed(rng))
    if isinstance(splitter, StratifiedKFold) and splitter.n_splits > n_samples:
        raise ValueError(
            f"cv={splitter.n_splits} folds need at least {splitter.n_splits} rows "
            f"per class; the smaller table has {n_samples}."
        )
    X = np.vstack([real_data, synthetic_data])
    y = np.repeat([0, 1], n_samples)
    folds = list(splitter.split(X, y))
    if any(np.unique(y[test]).size < 2 for _, test in folds):
        raise ValueError(
            "cv gives a test fold that holds rows of one table only, where an "
            "AUC is undefined (the rows are stacked real first, synthetic "
            "second). Use a stratified splitter, or KFold(shuffle=True)."
        )
    classifier = HistGradientBoostingClassifier(
        categorical_features=_hgb_categorical(tables, slice(None)),
        min_samples_leaf=_leaf_size(max(len(train) for train, _ in folds)),
        random_state=_seed(rng),
    )
    fold_aucs = cross_val_score(classifier, X, y, scoring="roc_auc", cv=folds)
    return DetectionResult(float(np.mean(fold_aucs)), fold_aucs, int(n_samples))


# --------------------------------------------------------------------------
# Utility
# --------------------------------------------------------------------------


def _resolve_target(target, table, labels):
    if is_dataframe(table):
        if target in labels:
            return labels.index(target)
        if isinstance(target, numbers.Integral) and not isinstance(target, bool):
            if 0 <= target < len(labels):
                return int(target)
        raise ValueError(
            f"target {target!r} is not a column of real_train; the columns are "
            f"{labels}."
        )
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        if 0 <= target < len(labels):
            return int(target)
        raise ValueError(
            f"target index {target} is out of range for tables with "
            f"{len(labels)} columns."
        )
    raise ValueError(f"target must be a column index for array input; got {target!r}.")


def ml_efficacy(
    real_train,
    synthetic,
    real_test,
    target,
    *,
    task="auto",
    random_state=0,
    categorical_features=None,
):
    """Train on synthetic, test on real, next to train on real, test on real.

    Two :mod:`~sklearn.ensemble` HistGradientBoosting models with the same
    settings are trained to predict ``target`` from the other columns, one on
    ``synthetic`` and one on ``real_train``. Both are scored on ``real_test``:
    macro F1 and accuracy for classification, R² for regression. Synthetic
    data is useful for the task when its score is close to the real one.

    Parameters
    ----------
    real_train : DataFrame or array-like of shape (n_train, n_features)
        Real rows the synthesizer was trained on.
    synthetic : DataFrame or array-like of shape (n_synthetic, n_features)
        Synthetic rows, with the same columns.
    real_test : DataFrame or array-like of shape (n_test, n_features)
        Real rows neither model saw.
    target : str or int
        The column to predict: a column name for DataFrames, a column index
        otherwise.
    task : {"auto", "classification", "regression"}, default="auto"
        "auto" picks classification for a categorical target and regression
        for a continuous one. Pass "classification" for class labels stored
        as numbers.
    random_state : int, RandomState instance or None, default=0
        Seeds both models (they get the same seed).
    categorical_features : list of str or int, or array-like of bool, default=None
        Columns to treat as categorical; see :func:`column_shapes`.

    Returns
    -------
    result : MLEfficacyResult
        ``result.synthetic`` and ``result.real``: metric name -> score, for
        the model trained on the synthetic and on the real training table.

    Notes
    -----
    NaN in continuous feature columns is passed to the models, which handle
    missing values natively; NaN in a continuous target is an error. When a
    training table holds a single class, its model predicts that class (and a
    warning says so).

    Examples
    --------
    >>> import numpy as np
    >>> from skgan.metrics import ml_efficacy
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(150, 3))
    >>> X[:, 2] = X[:, 0] + 0.1 * rng.normal(size=150)
    >>> result = ml_efficacy(X[:50], X[50:100], X[100:], target=2)
    >>> result.task, sorted(result.real)
    ('regression', ['r2'])
    """
    if task not in ("auto", "classification", "regression"):
        raise ValueError(
            f"task must be 'auto', 'classification' or 'regression'; got task={task!r}."
        )
    tables = _prepare(
        [
            ("real_train", real_train),
            ("synthetic", synthetic),
            ("real_test", real_test),
        ],
        categorical_features,
    )
    n_columns = len(tables.labels)
    if n_columns < 2:
        raise ValueError(
            "ml_efficacy needs at least one feature column besides the target; "
            f"the tables have {n_columns} column."
        )
    index = _resolve_target(target, real_train, tables.labels)
    target_is_categorical = bool(tables.categorical[index])
    if task == "auto":
        task = "classification" if target_is_categorical else "regression"
    if task == "regression" and target_is_categorical:
        raise ValueError(
            f"task='regression' needs a continuous target, but {target!r} is "
            "categorical."
        )
    features = np.flatnonzero(np.arange(n_columns) != index)
    names = ("real_train", "synthetic", "real_test")
    for matrix, name in zip(tables.data, names, strict=True):
        n_nan = int(np.isnan(matrix[:, index]).sum())
        if n_nan:
            raise ValueError(f"target {target!r} of {name} holds {n_nan} NaN.")
    train_real, train_synthetic, test = tables.data
    X_test, y_test = test[:, features], test[:, index]
    categorical = _hgb_categorical(tables, features)
    seed = _seed(check_random_state(random_state))

    scores = {}
    for name, train in (("synthetic", train_synthetic), ("real", train_real)):
        X_train, y_train = train[:, features], train[:, index]
        if task == "regression":
            model = HistGradientBoostingRegressor(
                categorical_features=categorical,
                min_samples_leaf=_leaf_size(len(y_train)),
                random_state=seed,
            )
            prediction = model.fit(X_train, y_train).predict(X_test)
            scores[name] = {"r2": float(r2_score(y_test, prediction))}
            continue
        if np.unique(y_train).size < 2:
            warnings.warn(
                f"The {name} training rows hold a single class of {target!r}; "
                "its model predicts that class.",
                UserWarning,
                stacklevel=2,
            )
            model = DummyClassifier(strategy="most_frequent")
        else:
            model = HistGradientBoostingClassifier(
                categorical_features=categorical,
                min_samples_leaf=_leaf_size(len(y_train)),
                random_state=seed,
            )
        prediction = model.fit(X_train, y_train).predict(X_test)
        scores[name] = {
            "f1_macro": float(
                f1_score(y_test, prediction, average="macro", zero_division=0)
            ),
            "accuracy": float(accuracy_score(y_test, prediction)),
        }
    label = tables.labels[index]
    return MLEfficacyResult(task, label, scores["synthetic"], scores["real"])


def class_fidelity(
    real_train,
    synthetic,
    real_test,
    target,
    *,
    random_state=0,
    categorical_features=None,
):
    """Per class: are synthetic rows of a class recognised as that class?

    Augmentation asks a generator for rows of a chosen class (such as
    :meth:`GANSampler.sample` with ``y=c``). Those rows help only when they
    look like that class, not like the others with the class's label. Two
    measures per class ``c``:

    * recall: a HistGradientBoosting classifier is trained on
      ``real_train`` to predict ``target``. Its recall on the synthetic rows
      labelled ``c`` is set against its recall on the real test rows of
      class ``c`` (``recall_ratio``; 1 means as recognisable as real rows).
    * shapes: :func:`column_shapes` of the synthetic class-``c`` rows against
      the real test rows of class ``c``, over the feature columns.

    Parameters
    ----------
    real_train : DataFrame or array-like of shape (n_train, n_features)
        Real rows, the classifier's training rows.
    synthetic : DataFrame or array-like of shape (n_synthetic, n_features)
        Synthetic rows with the same columns, the class in ``target``: for
        instance ``sample(n, y=c)`` for every class, stacked.
    real_test : DataFrame or array-like of shape (n_test, n_features)
        Real rows the classifier (and the synthesizer) did not see.
    target : str or int
        The class column: a column name for DataFrames, an index otherwise.
        It is treated as categorical whatever its dtype.
    random_state : int, RandomState instance or None, default=0
        Seeds the classifier.
    categorical_features : list of str or int, or array-like of bool, default=None
        Columns to treat as categorical; see :func:`column_shapes`.

    Returns
    -------
    result : ClassFidelityResult
        Per-class counts, recalls, ``recall_ratio``, ``column_shapes``, and
        the summaries ``min_recall_ratio`` and ``shapes_gap``.

    Notes
    -----
    A class absent from ``real_test`` has ``recall_real`` NaN, one absent
    from ``synthetic`` has ``recall_synthetic`` NaN; classes are those of
    ``real_train``, and a synthetic row of another class is an error.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skgan.metrics import class_fidelity
    >>> rng = np.random.RandomState(0)
    >>> def table(n, shift):
    ...     label = rng.choice(["a", "b"], n)
    ...     return pd.DataFrame({"x": rng.normal(size=n) + shift * (label == "b"),
    ...                          "label": label})
    >>> real_train, real_test = table(400, 3.0), table(200, 3.0)
    >>> good, bad = table(200, 3.0), table(200, 0.0)  # bad: b looks like a
    >>> result = class_fidelity(real_train, good, real_test, "label")
    >>> bool(result.min_recall_ratio > 0.9)
    True
    >>> bool(class_fidelity(real_train, bad, real_test, "label").min_recall_ratio < 0.3)
    True
    """
    names = ("real_train", "synthetic", "real_test")
    frames = (real_train, synthetic, real_test)
    labels, columns, dtypes = _split_columns(real_train, "real_train")
    n_columns = len(dtypes)
    display = labels if labels is not None else list(range(n_columns))
    index = _resolve_target(target, real_train, display)
    categorical = _resolve_categorical(categorical_features, labels, dtypes)
    categorical[index] = True
    tables = _prepare(list(zip(names, frames, strict=True)), categorical)
    if n_columns < 2:
        raise ValueError(
            "class_fidelity needs at least one feature column besides the "
            f"target; the tables have {n_columns} column."
        )
    train, fake, test = tables.data
    codes = train[:, index].astype(np.intp)
    counts = np.bincount(codes, minlength=tables.n_categories[index])
    order = [int(c) for c in np.argsort(-counts, kind="stable") if counts[c] > 0]
    unknown = np.setdiff1d(np.unique(fake[:, index]), order)
    if unknown.size:
        raise ValueError(
            f"synthetic holds {unknown.size} class(es) of {target!r} that "
            "real_train does not have."
        )
    if len(order) < 2:
        raise ValueError(
            f"class_fidelity needs at least two classes of {target!r} in "
            f"real_train; it has {len(order)}."
        )
    features = np.flatnonzero(np.arange(n_columns) != index)
    classifier = HistGradientBoostingClassifier(
        categorical_features=_hgb_categorical(tables, features),
        min_samples_leaf=_leaf_size(len(train)),
        random_state=_seed(check_random_state(random_state)),
    ).fit(train[:, features], codes)
    # Each class's label as the real_train column holds it (its first row).
    values = _to_object(columns[index])
    _, first = np.unique(codes, return_index=True)
    label_of = {
        int(codes[i]): None if values[i] is _MISSING else values[i] for i in first
    }

    def recall(rows, code):
        if not len(rows):
            return float("nan")
        return float(np.mean(classifier.predict(rows) == code))

    feature_mask = tables.categorical[features]
    classes = [label_of[code] for code in order]
    n_real, n_synthetic, recall_real, recall_synthetic, shapes = {}, {}, {}, {}, {}
    for code, label in zip(order, classes, strict=True):
        real_rows = test[test[:, index] == code][:, features]
        fake_rows = fake[fake[:, index] == code][:, features]
        n_real[label], n_synthetic[label] = len(real_rows), len(fake_rows)
        recall_real[label] = recall(real_rows, code)
        recall_synthetic[label] = recall(fake_rows, code)
        shapes[label] = (
            column_shapes(real_rows, fake_rows, categorical_features=feature_mask).score
            if len(real_rows) and len(fake_rows)
            else float("nan")
        )
    return ClassFidelityResult(
        tables.labels[index],
        classes,
        n_real,
        n_synthetic,
        recall_real,
        recall_synthetic,
        shapes,
    )


# --------------------------------------------------------------------------
# Privacy
# --------------------------------------------------------------------------


def distance_to_closest_record(
    synthetic, real_train, real_holdout, *, categorical_features=None
):
    """Distance of synthetic rows to their closest training row.

    The rows are compared in a scaled representation: continuous columns
    standardised with the mean and standard deviation of ``real_train`` (a
    constant column is only centred), categorical columns one-hot encoded, so
    that two rows differing in one category are ``sqrt(2)`` apart. For every
    synthetic row the Euclidean distance to its nearest ``real_train`` row is
    computed with :class:`~sklearn.neighbors.NearestNeighbors`; the same is
    done for every ``real_holdout`` row as the reference.

    How to read it: synthetic rows should not be closer to the training rows
    than hold-out rows are. A synthetic distance distribution shifted towards
    0 compared with the hold-out one, or an exact-copy rate above the
    hold-out's, indicates memorised training rows.

    Parameters
    ----------
    synthetic : DataFrame or array-like of shape (n_synthetic, n_features)
        Synthetic rows.
    real_train : DataFrame or array-like of shape (n_train, n_features)
        Real rows the synthesizer was trained on.
    real_holdout : DataFrame or array-like of shape (n_holdout, n_features)
        Real rows it did not see, from the same distribution.
    categorical_features : list of str or int, or array-like of bool, default=None
        Columns to treat as categorical; see :func:`column_shapes`.

    Returns
    -------
    result : DCRResult
        Distances of both row sets, exact-copy rates and quantiles of the
        distances (5 %, 50 % and 95 %).

    Notes
    -----
    NaN in continuous columns is not supported (a ValueError names the
    column). A missing value in a categorical column is a category of its own.
    A row is an exact copy when all its values equal those of some training
    row; its distance is then exactly 0.

    Examples
    --------
    >>> import numpy as np
    >>> from skgan.metrics import distance_to_closest_record
    >>> rng = np.random.RandomState(0)
    >>> train, holdout = rng.normal(size=(100, 3)), rng.normal(size=(50, 3))
    >>> result = distance_to_closest_record(train[:20], train, holdout)
    >>> result.synthetic_distances.shape, result.exact_copy_rate
    ((20,), 1.0)
    >>> sorted(result.quantiles["holdout"])
    [0.05, 0.5, 0.95]
    """
    names = ("real_train", "synthetic", "real_holdout")
    tables = _prepare(
        list(zip(names, (real_train, synthetic, real_holdout), strict=True)),
        categorical_features,
    )
    _check_no_nan(tables, names, "distance_to_closest_record")
    train, synthetic_data, holdout = tables.data
    continuous = ~tables.categorical
    # The standard deviation of values divided by their largest magnitude:
    # it cannot overflow or underflow as that of values near 1e155 would.
    size = np.abs(train[:, continuous]).max(axis=0)
    size[size == 0] = 1.0
    mean = (train[:, continuous] / size).mean(axis=0) * size
    scale = (train[:, continuous] / size).std(axis=0) * size
    scale[scale == 0] = 1.0

    def encode(matrix):
        parts = [(matrix[:, continuous] - mean) / scale]
        for j in np.flatnonzero(tables.categorical):
            parts.append(np.eye(tables.n_categories[j])[matrix[:, j].astype(np.intp)])
        return np.hstack(parts)

    neighbors = NearestNeighbors(n_neighbors=1).fit(encode(train))
    # Adding 0.0 turns -0.0 into 0.0 so that equal rows have equal bytes.
    train_rows = {row.tobytes() for row in train + 0.0}

    def closest(matrix):
        distances = neighbors.kneighbors(encode(matrix))[0][:, 0]
        exact = np.array([row.tobytes() in train_rows for row in matrix + 0.0])
        # Floating-point error of the distance computation can leave a copy a
        # hair away from its original; a copy is at distance 0 by definition.
        distances[exact] = 0.0
        return distances, float(exact.mean())

    synthetic_distances, copy_rate = closest(synthetic_data)
    holdout_distances, holdout_copy_rate = closest(holdout)
    quantiles = {
        name: {
            q: float(value)
            for q, value in zip(
                DCR_QUANTILES, np.quantile(distances, DCR_QUANTILES), strict=True
            )
        }
        for name, distances in (
            ("synthetic", synthetic_distances),
            ("holdout", holdout_distances),
        )
    }
    return DCRResult(
        synthetic_distances, holdout_distances, copy_rate, holdout_copy_rate, quantiles
    )


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def quality_report(
    real,
    synthetic,
    *,
    target=None,
    real_holdout=None,
    categorical_features=None,
    random_state=0,
    cv=5,
):
    """Run every applicable metric and collect the results.

    Always computed: :func:`column_shapes`, :func:`column_pair_trends` (for
    two columns or more) and :func:`detection_auc`. With ``real_holdout``:
    :func:`distance_to_closest_record` (``real`` is the training table). With
    ``target`` and ``real_holdout``: :func:`ml_efficacy`, tested on
    ``real_holdout``.

    Parameters
    ----------
    real : DataFrame or array-like of shape (n_real, n_features)
        The real rows the synthesizer was trained on.
    synthetic : DataFrame or array-like of shape (n_synthetic, n_features)
        The synthetic rows, with the same columns.
    target : str or int, default=None
        Column to predict for :func:`ml_efficacy`; needs ``real_holdout``.
    real_holdout : DataFrame or array-like of shape (n_holdout, n_features), \
default=None
        Real rows the synthesizer did not see.
    categorical_features : list of str or int, or array-like of bool, default=None
        Columns to treat as categorical; see :func:`column_shapes`.
    random_state : int, RandomState instance or None, default=0
        Seeds :func:`detection_auc` and :func:`ml_efficacy`.
    cv : int or cross-validation splitter, default=5
        Folds of :func:`detection_auc`.

    Returns
    -------
    report : QualityReport
        The results; print it for a table, or use ``to_dict``, ``to_frame``
        and ``plot``.

    Examples
    --------
    >>> import numpy as np
    >>> from skgan.metrics import quality_report
    >>> rng = np.random.RandomState(0)
    >>> real, synthetic = rng.normal(size=(60, 2)), rng.normal(size=(60, 2))
    >>> report = quality_report(real, synthetic, cv=2)
    >>> list(report.to_dict())
    ['column_shapes', 'column_pair_trends', 'detection_auc']
    >>> print(report)  # doctest: +ELLIPSIS
    Synthetic data quality report
    ...
    """
    if target is not None and real_holdout is None:
        raise ValueError(
            "target needs real_holdout: ml_efficacy tests both models on real "
            "rows that neither saw."
        )
    rng = check_random_state(random_state)
    shapes = column_shapes(real, synthetic, categorical_features=categorical_features)
    trends = None
    if len(shapes.column_scores) >= 2:
        trends = column_pair_trends(
            real, synthetic, categorical_features=categorical_features
        )
    detection = detection_auc(
        real,
        synthetic,
        cv=cv,
        random_state=_seed(rng),
        categorical_features=categorical_features,
    )
    efficacy = privacy = None
    if real_holdout is not None:
        privacy = distance_to_closest_record(
            synthetic, real, real_holdout, categorical_features=categorical_features
        )
        if target is not None:
            efficacy = ml_efficacy(
                real,
                synthetic,
                real_holdout,
                target,
                random_state=_seed(rng),
                categorical_features=categorical_features,
            )
    return QualityReport(shapes, trends, detection, efficacy, privacy)
