"""Data-dependent checks with messages that say what is wrong and how to fix it."""

from __future__ import annotations

import numbers
import sys

import numpy as np

from ._compat import InvalidParameterError


def is_dataframe(X) -> bool:
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(X, pd.DataFrame)


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
    """Reject what the numeric-only encoder cannot give back faithfully.

    Returns the frame unchanged. Categorical columns and duplicate names are
    errors that name the columns; numeric columns (numpy or pandas nullable
    dtypes, booleans) pass.
    """
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if duplicated:
        raise ValueError(
            f"X has duplicate column names {duplicated}; give every column a "
            "unique name."
        )
    unsupported = [
        name
        for name, dtype in frame.dtypes.items()
        if not (is_numeric_dtype(dtype) or is_bool_dtype(dtype))
        or getattr(dtype, "name", "") == "category"
    ]
    if unsupported:
        raise ValueError(
            f"Columns {unsupported} are not numeric: GANSampler handles numeric "
            "columns only for now. Drop them or encode them as numbers."
        )
    return frame
