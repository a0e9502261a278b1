"""Data-dependent checks with messages that say what is wrong and how to fix it."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from pandas.api.types import is_complex_dtype

from ._compat import InvalidParameterError

_SPARSE_FORMATS = ["csr", "csc"]


class EstimatorInputError(ValueError, TypeError):
    """An estimator cannot be fitted on the table it is given.

    A ValueError, and also a TypeError, the type that estimators' own
    conversion errors often have (``float()`` of a string or a dict), so that
    code catching either still catches it.
    """


def is_dataframe(X) -> bool:
    return isinstance(X, pd.DataFrame)


def check_n_samples(n_samples) -> int:
    """``n_samples`` must be an integer >= 1 (bools and floats are rejected).

    The error is an ``InvalidParameterError``, a subclass of both ValueError
    and TypeError, as for scikit-learn's own parameter validation.
    """
    is_int = isinstance(n_samples, numbers.Integral) and not isinstance(
        n_samples, bool | np.bool_
    )
    if not is_int or n_samples < 1:
        raise InvalidParameterError(
            "The 'n_samples' parameter of sample must be an int >= 1. "
            f"Got {n_samples!r} ({type(n_samples).__name__}) instead."
        )
    return int(n_samples)


def check_layer_sizes(name: str, dims) -> tuple:
    """Layer sizes: a tuple (or list) of positive integers, possibly empty."""
    try:
        sizes = tuple(dims)
    except TypeError:
        sizes = None
    if sizes is None or not all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 1
        for d in sizes
    ):
        raise ValueError(
            f"The '{name}' parameter must be a tuple of positive ints, such as "
            f"(256, 256). Got {dims!r} instead."
        )
    return tuple(int(d) for d in sizes)


def check_betas(betas) -> tuple:
    """Adam's betas: two floats in [0, 1)."""
    try:
        values = tuple(float(b) for b in betas)
    except (TypeError, ValueError):
        values = ()
    if len(values) != 2 or not all(0.0 <= b < 1.0 for b in values):
        raise ValueError(
            "The 'betas' parameter must be two floats in [0, 1), such as "
            f"(0.5, 0.9). Got {betas!r} instead."
        )
    return values


def check_frame(frame):
    """What ``validate_data`` would check, for a DataFrame kept as a DataFrame.

    Returns the frame unchanged. Duplicate names, empty frames, complex and
    sparse columns are errors that name the columns. (Infinite values are
    found per column when the table is encoded.)
    """
    duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if duplicated:
        raise ValueError(
            f"X has duplicate column names {duplicated}; give every column a "
            "unique name."
        )
    n_rows, n_columns = frame.shape
    if n_rows < 1:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={frame.shape}) while a "
            "minimum of 1 is required."
        )
    if n_columns < 1:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={frame.shape}) while a "
            "minimum of 1 is required."
        )
    complex_columns = [n for n, d in frame.dtypes.items() if is_complex_dtype(d)]
    if complex_columns:
        raise ValueError(
            f"Complex data not supported: columns {complex_columns} are complex."
        )
    sparse = [n for n, d in frame.dtypes.items() if type(d).__name__ == "SparseDtype"]
    if sparse:
        raise TypeError(
            f"Sparse columns {sparse} are not supported; convert them with "
            "frame.sparse.to_dense()."
        )
    return frame


def check_labels(y, n_rows):
    """Class labels for a class-conditional fit: 1-D, one per row, no NaN.

    Returns ``y`` itself when it is a pandas Series (its name and dtype are
    given back by ``sample``), else a 1-D ndarray.
    """
    if y is None:
        return None
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import column_or_1d

    from ._columns import _missing_mask

    is_series = hasattr(y, "iloc") and getattr(y, "ndim", None) == 1
    values = column_or_1d(y, warn=True)
    if len(values) != n_rows:
        raise ValueError(
            f"y has {len(values)} labels but X has {n_rows} rows; give one label "
            "per row."
        )
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise ValueError(
            "Input y contains NaN or infinity; class labels must be finite "
            "(drop those rows)."
        )
    if values.dtype.kind == "O" and _missing_mask(values).any():
        raise ValueError("y contains missing labels (None or NaN); drop those rows.")
    check_classification_targets(values)
    return y if is_series else values


def validate_table(estimator, X, *, reset, accept_sparse=False):
    """Validate ``X`` for ``estimator`` and keep its container.

    A DataFrame stays a DataFrame (checked by :func:`check_frame`; a frame
    whose columns are all sparse is made dense first when ``accept_sparse``);
    arrays and lists go through ``validate_data`` without a dtype conversion,
    so string and object columns survive. Sets ``n_features_in_`` and
    ``feature_names_in_`` when ``reset``, and checks them otherwise.
    """
    from scipy.sparse import issparse
    from sklearn.utils.validation import validate_data

    if is_dataframe(X):
        if (
            accept_sparse
            and X.shape[1]
            and all(type(d).__name__ == "SparseDtype" for d in X.dtypes)
        ):
            X = X.sparse.to_dense()
        X = check_frame(X)
        validate_data(estimator, X, reset=reset, skip_check_array=True)
        return X
    if not hasattr(X, "dtype") and not issparse(X):
        # Lists: mixed numbers and strings must not all become strings.
        probe = np.asarray(X)
        if probe.dtype.kind in "US" and probe.ndim == 2:
            X = np.array(X, dtype=object)
    kind = getattr(getattr(X, "dtype", None), "kind", "f")
    return validate_data(
        estimator,
        X,
        reset=reset,
        dtype=None,
        accept_sparse=_SPARSE_FORMATS if accept_sparse else False,
        ensure_all_finite="allow-nan" if kind in "fiub" else False,
        ensure_min_samples=1,
    )
