"""From the user's container to per-column arrays, and back.

This module is the only place that knows about pandas dtypes and numpy
object arrays. :func:`describe_columns` decides, once at ``fit``, what each
column is (continuous or categorical) and how to give it back;
:meth:`ColumnSet.extract` turns a container into a float block (continuous
columns, NaN where missing) and an integer block (category codes);
:meth:`ColumnSet.restore` turns those blocks back into the container the
user gave, with the same column names, order and dtypes.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import (
    is_bool_dtype,
    is_integer_dtype,
    is_numeric_dtype,
)

from ._validation import is_dataframe


@dataclass
class ColumnInfo:
    """What one input column is and how to restore it."""

    name: object
    kind: str  # "continuous" or "categorical"
    dtype: object  # numpy or pandas dtype of the column on output
    integer: bool = False  # continuous values are rounded to integers
    decimals: int | None = None  # float values are rounded to this many decimals
    time_unit: str | None = None  # "M8[unit]" / "m8[unit]" numpy dtype of a time column
    time_offset: int = 0  # time columns: int value = offset + step * encoded value
    time_step: int = 1
    tz: object = None  # time zone of a tz-aware datetime column
    categories: np.ndarray | None = None  # object array of the observed levels
    has_missing: bool = False
    missing_value: object = None  # how a missing entry is written on output
    _lookup: dict | None = field(default=None, repr=False)

    @property
    def n_levels(self) -> int:
        """Categories, plus one level for "missing" when the column had any."""
        return len(self.categories) + int(self.has_missing)

    def code_of(self, value):
        """The code of one category value, or None when it was never seen."""
        if _is_missing(value):
            return len(self.categories) if self.has_missing else None
        one = np.empty(1, dtype=object)
        one[0] = value
        code = int(self._codes_of(one)[0])
        return None if code < 0 else code

    def _codes_of(self, values: np.ndarray) -> np.ndarray:
        fast = _string_codes(self.categories, values)
        if fast is not None:
            return fast
        if self._lookup is None:
            self._lookup = {_key(v): i for i, v in enumerate(self.categories)}
        lookup = self._lookup
        return np.fromiter(
            (lookup.get(_key(v), -1) for v in values), dtype=np.int64, count=len(values)
        )


class ColumnSet:
    """The columns of a fitted table and the container they came in."""

    def __init__(self, infos, container, array_dtype=None, index=None):
        self.infos = infos
        self.container = container  # "frame" or "array"
        self.array_dtype = array_dtype
        self.index = index  # the DataFrame's column labels
        self.continuous = [i for i, c in enumerate(infos) if c.kind == "continuous"]
        self.categorical = [i for i, c in enumerate(infos) if c.kind == "categorical"]

    # ------------------------------------------------------------- extract

    def extract(self, X):
        """Float block (n, n_continuous) and code block (n, n_categorical).

        Missing continuous values are NaN; a missing category gets the code
        ``len(categories)``. Unseen categories and infinite values are
        ValueErrors that name the column.
        """
        n = X.shape[0]
        values = np.empty((n, len(self.continuous)), dtype=np.float64)
        codes = np.empty((n, len(self.categorical)), dtype=np.int64)
        for j, i in enumerate(self.continuous):
            values[:, j] = _continuous_values(_column(X, i), self.infos[i])
        for j, i in enumerate(self.categorical):
            codes[:, j] = _category_codes(_column(X, i), self.infos[i])
        return values, codes

    # ------------------------------------------------------------- restore

    def restore(self, values: np.ndarray, codes: np.ndarray):
        """Blocks (as :meth:`extract` returns them) back into the container."""
        columns = [None] * len(self.infos)
        for j, i in enumerate(self.continuous):
            columns[i] = _restore_continuous(values[:, j], self.infos[i])
        for j, i in enumerate(self.categorical):
            columns[i] = _restore_categorical(codes[:, j], self.infos[i])
        if self.container == "frame":
            return _to_frame(columns, self.infos, self.index)
        out = np.empty((values.shape[0], len(self.infos)), dtype=object)
        for i, column in enumerate(columns):
            out[:, i] = column
        if self.array_dtype.kind == "O":
            for i in self.continuous:
                if self.infos[i].integer:  # Python ints, as they came in
                    out[:, i] = [v if np.isnan(v) else int(v) for v in out[:, i]]
            return out
        if self.array_dtype.kind in "US":
            return out.astype(str).astype(self.array_dtype)
        return out.astype(self.array_dtype)


# --------------------------------------------------------------- describe


def describe_columns(X, categorical_features="from_dtype") -> ColumnSet:
    """Decide the kind of every column of a validated container and fit it.

    ``X`` is a DataFrame or a 2-D ndarray (numeric, bool, string or object).
    """
    frame = is_dataframe(X)
    n_columns = X.shape[1]
    names = list(X.columns) if frame else list(range(n_columns))
    chosen = _chosen_categorical(categorical_features, names, frame, n_columns)
    infos = []
    for i, name in enumerate(names):
        column = _column(X, i)
        kind = _kind(column, i, name, frame, chosen, categorical_features)
        info = ColumnInfo(name=name, kind=kind, dtype=column.dtype)
        if kind == "continuous":
            _fit_continuous(column, info)
        else:
            _fit_categorical(column, info)
            _warn_if_identifier(info, X.shape[0])
        infos.append(info)
    if frame:
        return ColumnSet(infos, "frame", index=X.columns)
    return ColumnSet(infos, "array", array_dtype=X.dtype)


def unusual_columns(X) -> dict:
    """Columns that many scikit-learn estimators cannot take, by what they hold.

    Returns ``{"object/string columns": names, "category columns": names,
    "datetime/timedelta columns": names, "columns with missing values":
    names}`` without the empty groups: names for a DataFrame, positions for
    an array. Object columns that hold only numbers are not listed as text
    (estimators convert them), but are listed when they have missing values.
    """
    frame = is_dataframe(X)
    names = list(X.columns) if frame else list(range(X.shape[1]))
    missing = np.asarray(pd.DataFrame(X).isna().any(axis=0))
    text, category, time = [], [], []
    for i, name in enumerate(names):
        column = _column(X, i)
        dtype = column.dtype
        kind = getattr(dtype, "kind", "O")
        if getattr(dtype, "name", "") == "category":
            category.append(name)
        elif _is_time_dtype(dtype):
            time.append(name)
        elif kind in "US" or (kind == "O" and not _object_is_numeric(column)):
            text.append(name)
    groups = {
        "object/string columns": text,
        "category columns": category,
        "datetime/timedelta columns": time,
        "columns with missing values": [
            n for n, m in zip(names, missing, strict=True) if m
        ],
    }
    return {group: names for group, names in groups.items() if names}


class Target(ColumnInfo):
    """Class labels: a categorical column that remembers its container."""

    series_name: object = None
    is_series: bool = False

    def codes(self, y) -> np.ndarray:
        return _category_codes(y, self)

    def restore_labels(self, codes: np.ndarray):
        labels = _restore_categorical(codes, self)
        if self.is_series:
            return _series(labels, self).rename(self.series_name)
        if isinstance(self.dtype, np.dtype) and self.dtype.kind != "O":
            return labels.astype(self.dtype)
        return labels


def _warn_if_identifier(info: ColumnInfo, n_rows: int):
    levels = len(info.categories)
    if levels > 50 and levels > n_rows / 2:
        warnings.warn(
            f"Column {info.name!r} has {levels:,} distinct values in {n_rows:,} "
            "rows: it looks like an identifier or free text. Each value becomes "
            "a category the model must learn from about one row, and widens the "
            "networks by one input per value. Consider dropping the column.",
            UserWarning,
            # The caller of GANSampler.fit (through sklearn's fit wrapper,
            # GANSampler.fit, TableEncoder.fit_transform and .fit, and
            # describe_columns).
            stacklevel=7,
        )


def describe_target(y) -> Target:
    """A class-label vector as one categorical column (levels = classes)."""
    info = Target(name="y", kind="categorical", dtype=y.dtype)
    info.is_series = hasattr(y, "iloc")
    info.series_name = getattr(y, "name", None)
    _fit_categorical(y, info)
    return info


def _chosen_categorical(categorical_features, names, frame, n_columns):
    """The set of column positions the user marked categorical (or None)."""
    if categorical_features is None or (
        isinstance(categorical_features, str) and categorical_features == "from_dtype"
    ):
        return None
    values = np.asarray(categorical_features)
    if values.ndim != 1:
        raise ValueError(
            "categorical_features must be 'from_dtype', None, or a 1-D list of "
            f"column indices, names or booleans. Got {categorical_features!r}."
        )
    if values.dtype.kind == "b":
        if len(values) != n_columns:
            raise ValueError(
                f"categorical_features as a boolean mask must have one entry per "
                f"column: X has {n_columns} columns, the mask has {len(values)}."
            )
        return set(np.flatnonzero(values).tolist())
    chosen = set()
    for item in categorical_features:
        if isinstance(item, numbers.Integral) and not isinstance(item, bool):
            if not -n_columns <= item < n_columns:
                raise ValueError(
                    f"categorical_features holds index {item}, but X has only "
                    f"{n_columns} columns (valid: 0 to {n_columns - 1})."
                )
            chosen.add(int(item) % n_columns)
        elif isinstance(item, str):
            if not frame or item not in names:
                valid = names if frame else "none: X has no column names"
                raise ValueError(
                    f"categorical_features names column {item!r}, which X does "
                    f"not have. Valid names: {valid}."
                )
            chosen.add(names.index(item))
        else:
            raise ValueError(
                "categorical_features must hold column indices, names or "
                f"booleans; got {item!r} ({type(item).__name__})."
            )
    return chosen


def _kind(column, position, name, frame, chosen, categorical_features) -> str:
    dtype = column.dtype
    numeric = _is_numeric_dtype(dtype)
    if chosen is not None:
        if position in chosen:
            return "categorical"
        if numeric or _is_time_dtype(dtype) or _object_is_numeric(column):
            return "continuous"
        raise ValueError(
            f"Column {name!r} is not numeric, so it must be categorical, but "
            "categorical_features does not list it. Add it to "
            "categorical_features or use categorical_features='from_dtype'."
        )
    if _is_bool_dtype(dtype) or getattr(dtype, "name", "") == "category":
        categorical = True
    elif numeric or _is_time_dtype(dtype):
        categorical = False
    elif getattr(dtype, "kind", "O") == "O" and not frame:
        # Object ndarrays: numbers (as check_dtype_object feeds) stay numbers.
        if any(
            isinstance(v, numbers.Complex) and not isinstance(v, numbers.Real)
            for v in np.asarray(column, dtype=object)
        ):
            raise ValueError(f"Complex data not supported: column {name!r}.")
        categorical = not _object_is_numeric(column)
    else:  # object and string columns of a DataFrame, string ndarrays
        categorical = True
    if categorical and categorical_features is None:
        raise ValueError(
            f"Column {name!r} is not numeric ({dtype}) but categorical_features="
            "None treats every column as continuous. Use "
            "categorical_features='from_dtype' or list the column."
        )
    return "categorical" if categorical else "continuous"


# --------------------------------------------------------- continuous columns


def _fit_continuous(column, info: ColumnInfo):
    dtype = column.dtype
    if _is_time_dtype(dtype):
        ints, missing, unit, tz = _time_ints(column)
        info.time_unit, info.tz = unit, tz
        present = ints[~missing]
        if len(present):
            offset = int(present.min())
            step = int(np.gcd.reduce(present - offset)) if len(present) > 1 else 1
            info.time_offset, info.time_step = offset, max(step, 1)
        info.has_missing = bool(missing.any())
        return
    values = _continuous_values(column, info, check=False)
    info.has_missing = bool(np.isnan(values).any())
    if _is_integer_dtype(dtype):
        info.integer = True
    elif getattr(dtype, "kind", "") == "O":
        present = [v for v in column if not _is_missing(v)]
        info.integer = bool(present) and all(
            isinstance(v, numbers.Integral) for v in present
        )


def _continuous_values(column, info: ColumnInfo, check: bool = True) -> np.ndarray:
    """A float64 copy of a continuous column, NaN where missing."""
    if info.time_unit is not None:
        ints, missing, _, _ = _time_ints(column)
        values = (ints - info.time_offset) / info.time_step
        values[missing] = np.nan
        return values
    dtype = column.dtype
    if not isinstance(dtype, np.dtype):  # pandas extension dtypes: Int64, Float64
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    elif dtype.kind == "O":
        values = np.array(
            [np.nan if _is_missing(v) else _as_float(v, info.name) for v in column],
            dtype=np.float64,
        )
    else:
        values = np.array(column, dtype=np.float64)  # a copy, never a view
    if check and np.isinf(values).any():
        raise ValueError(
            f"Column {info.name!r} contains infinity, which GANSampler cannot "
            "model. Replace it (for example by NaN, which is modelled as "
            "missing) or drop the rows."
        )
    return values


def _as_float(value, name) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"Column {name!r} is continuous but holds {value!r} "
            f"({type(value).__name__}). List it in categorical_features."
        )
    return float(value)


def _restore_continuous(values: np.ndarray, info: ColumnInfo):
    missing = np.isnan(values)
    if info.time_unit is not None:
        ints = np.rint(np.where(missing, 0.0, values)).astype(np.int64)
        ints = ints * info.time_step + info.time_offset
        out = ints.view(info.time_unit)
        out[missing] = np.array("NaT", dtype=info.time_unit)
        return out
    if info.decimals is not None:
        values = np.round(values, info.decimals)
    if info.integer:
        values = np.rint(values)
        bounds = _integer_bounds(info.dtype)
        if bounds is not None:
            # float64 does not hold every large integer: float(2**63 - 1) is
            # 2**63, which would overflow int64 (to its minimum) when cast.
            values = np.clip(values, *bounds)
    return values


def decimals_of(values: np.ndarray, most: int = 15) -> int | None:
    """The fewest decimals (at most ``most``) that hold every finite value.

    ``round(v, d) == v`` for every value: 2 for money written with cents, 0
    for a float column of whole numbers. None when no ``d <= most`` does
    (values that are not written with few decimals, such as measurements
    converted between units) or when the column has no finite value.
    """
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return None
    # The first rows rule out most columns at once; then all the rows.
    head = finite[:1000]
    for d in range(most + 1):
        if np.array_equal(np.round(head, d), head) and np.array_equal(
            np.round(finite, d), finite
        ):
            return d
    return None


def _integer_bounds(dtype):
    """The floats nearest the ends of an integer dtype's range that convert
    to it without overflow, or None (object columns: Python ints)."""
    dtype = getattr(dtype, "numpy_dtype", dtype)  # pandas' Int64 and the like
    if not isinstance(dtype, np.dtype) or dtype.kind not in "iu":
        return None
    limits = np.iinfo(dtype)
    low, high = float(limits.min), float(limits.max)
    if high > limits.max:  # rounded up: the float below is the largest in range
        high = float(np.nextafter(high, -np.inf))
    return low, high


# -------------------------------------------------------- categorical columns


def _fit_categorical(column, info: ColumnInfo):
    dtype = column.dtype
    missing = _missing_mask(column)
    info.has_missing = bool(missing.any())
    if info.has_missing:
        info.missing_value = _missing_value(column, missing)
    present = np.asarray(column, dtype=object)[~missing]
    if getattr(dtype, "name", "") == "category":
        observed = set(_key(v) for v in present)
        kept = [c for c in dtype.categories if _key(c) in observed]
        info.categories = np.empty(len(kept), dtype=object)
        info.categories[:] = kept
        return
    info.categories = _levels(present)


def _all_strings(values: np.ndarray) -> bool:
    """Whether an object array holds only ``str`` (checked in C by pandas)."""
    if values.dtype != object or len(values) == 0:
        return False
    return pd.api.types.infer_dtype(values, skipna=False) == "string"


def _string_codes(categories, values: np.ndarray):
    """Codes of string ``values`` among string ``categories`` (-1: unseen).

    pandas' hash table does in C what the Python dict loop does, with the
    same result for strings; None when either side is not all strings, and
    the dict loop runs.
    """
    if not (_all_strings(values) and _all_strings(categories)):
        return None
    return pd.Index(categories, dtype=object).get_indexer(values).astype(np.int64)


def _levels(present: np.ndarray) -> np.ndarray:
    """Distinct values, sorted when they are mutually comparable."""
    if _all_strings(present):
        # Distinct strings by hashing in C, then sorted like the loop below.
        distinct = sorted(pd.unique(present))
        levels = np.empty(len(distinct), dtype=object)
        levels[:] = distinct
        return levels
    seen = {}
    for value in present:
        seen.setdefault(_key(value), value)
    levels = np.empty(len(seen), dtype=object)
    levels[:] = list(seen.values())
    try:
        order = sorted(range(len(levels)), key=lambda i: levels[i])
    except TypeError:
        return levels
    return levels[order]


def lookup_codes(column, info: ColumnInfo):
    """``(codes, missing, values)``: each value's position among the levels,
    -1 where missing or never seen, the missing mask and the object values."""
    missing = _missing_mask(column)
    values = np.asarray(column, dtype=object)
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[~missing] = info._codes_of(values[~missing])
    return codes, missing, values


def _category_codes(column, info: ColumnInfo) -> np.ndarray:
    codes, missing, values = lookup_codes(column, info)
    codes[missing] = len(info.categories)
    unseen = ~missing & (codes == -1)
    if missing.any() and not info.has_missing:
        unseen |= missing
    if unseen.any():
        bad = list(dict.fromkeys(_key(v) for v in values[unseen]))[:10]
        shown = [None if isinstance(b, tuple) else b for b in bad]
        raise ValueError(
            f"Column {info.name!r} has categories never seen in the first fit: "
            f"{shown}. Known categories: {preview_levels(info)}."
        )
    return codes


def _restore_categorical(codes: np.ndarray, info: ColumnInfo) -> np.ndarray:
    table = np.empty(info.n_levels, dtype=object)
    table[: len(info.categories)] = info.categories
    if info.has_missing:
        table[-1] = info.missing_value
    return table[codes]


def preview_levels(info: ColumnInfo, limit: int = 20) -> str:
    """The first ``limit`` categories of a column, for error messages."""
    shown = [repr(v) for v in info.categories[:limit]]
    if info.has_missing:
        shown.append("None (missing)")
    more = len(info.categories) - limit
    return "[" + ", ".join(shown) + (f", ... ({more} more)" if more > 0 else "") + "]"


# ------------------------------------------------------------ output frames


def _to_frame(columns, infos, index):
    data = {}
    for i, (values, info) in enumerate(zip(columns, infos, strict=True)):
        data[i] = _series(values, info)
    frame = pd.DataFrame(data)
    frame.columns = index
    return frame


def _series(values, info: ColumnInfo):
    dtype = info.dtype
    if info.time_unit is not None:
        series = pd.Series(values)
        if info.tz is not None:
            series = series.dt.tz_localize("UTC").dt.tz_convert(info.tz)
        return series.astype(dtype)
    if info.kind == "continuous":
        return pd.Series(values).astype(dtype)
    if getattr(dtype, "name", "") == "category":
        return pd.Series(pd.Categorical(values, dtype=dtype))
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        return pd.Series(values, dtype=object)
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return pd.Series(values.astype(bool))
    # Extension dtypes (boolean, string, ...): missing entries are None here
    # and become the dtype's own NA.
    return pd.Series(values, dtype=object).astype(dtype)


# ----------------------------------------------------------------- helpers


def _column(X, i):
    """Column ``i`` of a DataFrame (a Series) or a 2-D ndarray (1-D array)."""
    if is_dataframe(X):
        return X.iloc[:, i]
    return X[:, i]


def _key(value):
    """A hashable stand-in for a category value (dicts and lists are allowed)."""
    try:
        hash(value)
    except TypeError:
        return (type(value).__name__, repr(value))
    # NaN-like values are handled as "missing" before this point.
    return value


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    name = type(value).__name__
    return name in ("NAType", "NaTType")


def _missing_mask(column) -> np.ndarray:
    if hasattr(column, "isna"):
        return np.asarray(column.isna(), dtype=bool)
    array = np.asarray(column)
    if array.dtype.kind == "f":
        return np.isnan(array)
    if array.dtype.kind in "mM":
        return np.isnat(array)
    if array.dtype.kind == "O":
        return np.fromiter((_is_missing(v) for v in array), bool, count=len(array))
    return np.zeros(len(array), dtype=bool)


def _missing_value(column, missing):
    """The first missing entry as it appears in the data (None, nan, NA...)."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        return np.asarray(column, dtype=object)[np.flatnonzero(missing)[0]]
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return np.nan
    return None  # category, string, boolean, ...: the dtype's own NA


def _time_ints(column):
    """(int64 values in the column's unit, missing mask, numpy dtype, tz)."""
    tz = getattr(column.dtype, "tz", None)
    if hasattr(column, "dt") and tz is not None:
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    array = np.asarray(column)
    missing = np.isnat(array)
    unit = np.datetime_data(array.dtype)[0]
    time_dtype = f"{array.dtype.kind}8[{unit}]"
    return array.view(np.int64).copy(), missing, time_dtype, tz


def _is_numeric_dtype(dtype) -> bool:
    if isinstance(dtype, np.dtype):
        return dtype.kind in "iuf"
    return is_numeric_dtype(dtype) and not is_bool_dtype(dtype)


def _is_integer_dtype(dtype) -> bool:
    if isinstance(dtype, np.dtype):
        return dtype.kind in "iu"
    return is_integer_dtype(dtype)


def _is_bool_dtype(dtype) -> bool:
    if isinstance(dtype, np.dtype):
        return dtype.kind == "b"
    return is_bool_dtype(dtype)


def _is_time_dtype(dtype) -> bool:
    # numpy datetime64/timedelta64, and pandas' tz-aware DatetimeTZDtype.
    return getattr(dtype, "kind", None) in ("m", "M")


def _object_is_numeric(column) -> bool:
    if getattr(column.dtype, "kind", "") != "O":
        return False
    return all(
        _is_missing(v)
        or (isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_))
        for v in np.asarray(column, dtype=object)
    )
