"""Small real data sets bundled with skgan.

* :func:`load_adult`: a 3,000-row stratified subsample of UCI Adult (census
  income), mixed numeric and categorical columns with missing values.

The data files live in ``skgan/datasets/data/``; their source, licence and
how they were drawn are described in the ``README.md`` there.
"""

from __future__ import annotations

import csv
import gzip
import io
from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["load_adult"]

ADULT_FILENAME = "adult_sample.csv.gz"
# Column order of the file (and of the returned tables).
ADULT_COLUMNS = (
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
)
ADULT_INTEGER_COLUMNS = (
    "age",
    "fnlwgt",
    "education-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
)
ADULT_TARGET = "income"


def _read_adult_frame(filepath_or_buffer):
    """Read an Adult CSV into a clean DataFrame.

    Works on the original UCI file (values after a comma start with a space,
    a missing value is ``?``) and on the cleaned subsample (no spaces, a
    missing value is an empty field). Spaces after the commas are dropped,
    ``?`` and empty fields become NaN, the integer columns are int64 and all
    the others (the target included) object columns of str. Used by
    :func:`load_adult` and by the scripts in ``benchmarks/``.
    """
    dtypes = {
        column: "int64" if column in ADULT_INTEGER_COLUMNS else object
        for column in ADULT_COLUMNS
    }
    frame = pd.read_csv(
        filepath_or_buffer,
        skipinitialspace=True,
        na_values=["?", ""],
        keep_default_na=False,
        dtype=dtypes,
    )
    if tuple(frame.columns) != ADULT_COLUMNS:
        raise ValueError(
            f"Expected the Adult columns {list(ADULT_COLUMNS)}; got "
            f"{list(frame.columns)}."
        )
    return frame


def _read_adult_arrays(data_bytes):
    """The cleaned subsample as an object ndarray (Python ints, str, NaN)."""
    text = io.StringIO(gzip.decompress(data_bytes).decode("utf-8"), newline="")
    reader = csv.reader(text, skipinitialspace=True)
    header = tuple(next(reader))
    if header != ADULT_COLUMNS:
        raise ValueError(f"Expected the Adult columns {list(ADULT_COLUMNS)}.")
    integer = [column in ADULT_INTEGER_COLUMNS for column in header]
    rows = [
        [
            np.nan if value in ("", "?") else int(value) if is_int else value
            for value, is_int in zip(row, integer, strict=True)
        ]
        for row in reader
        if row
    ]
    data = np.empty((len(rows), len(header)), dtype=object)
    data[:] = rows
    return data


def load_adult(*, as_frame=True, return_X_y=False):
    """Load a 3,000-row subsample of the UCI Adult (census income) data set.

    The Adult data set (Becker & Kohavi, 1996) records 14 attributes of
    people from the 1994 US census and whether their income exceeds $50K a
    year. It is the standard benchmark of tabular GANs: six integer columns
    and eight categorical ones, three of which have missing values. This is
    a subsample of 3,000 of the 32,561 rows of the original training file,
    drawn without replacement with a fixed seed and stratified on
    ``income`` (722 rows, 24.1 %, earn more than $50K, as in the full file),
    so that it ships with the package and loads in milliseconds.

    =================  ==============
    Rows               3,000
    Columns            15 (14 features and ``income``)
    Integer columns    6
    Categorical        9 (``income`` included)
    Missing values     ``workclass``, ``occupation``, ``native-country``
    =================  ==============

    Parameters
    ----------
    as_frame : bool, default=True
        If True, return pandas objects. If False,
        return numpy arrays of dtype object, with the columns in the order
        listed under Returns.
    return_X_y : bool, default=False
        If True, return ``(X, y)``: the 14 feature columns and the target
        ``income``. If False, return one table of 15 columns.

    Returns
    -------
    data : DataFrame of shape (3000, 15) or ndarray of shape (3000, 15)
        The table, when ``return_X_y=False``. The columns, in order:
        ``age``, ``workclass``, ``fnlwgt``, ``education``, ``education-num``,
        ``marital-status``, ``occupation``, ``relationship``, ``race``,
        ``sex``, ``capital-gain``, ``capital-loss``, ``hours-per-week``,
        ``native-country`` and ``income``. As a DataFrame, the integer
        columns are int64 and the others object columns of str; ``income``
        holds ``"<=50K"`` or ``">50K"``. A missing value is NaN. As an
        ndarray, integers are Python ints and a missing value is
        ``float("nan")``.
    (X, y) : tuple of (DataFrame, Series) or of (ndarray, ndarray)
        When ``return_X_y=True``: ``X`` of shape (3000, 14) without
        ``income``, ``y`` of shape (3000,) with it.

    Notes
    -----
    Cleaning: the spaces that follow the commas of the original file are
    removed and the ``?`` that marks a missing value is replaced by NaN;
    no other change is made. The source, the licence (CC BY 4.0) and the
    script that draws the subsample (``benchmarks/make_adult_sample.py``)
    are described in ``skgan/datasets/data/README.md``.

    References
    ----------
    .. [1] B. Becker and R. Kohavi, "Adult", UCI Machine Learning Repository,
       1996. https://doi.org/10.24432/C5XW20

    Examples
    --------
    >>> from skgan.datasets import load_adult
    >>> adult = load_adult()
    >>> adult.shape
    (3000, 15)
    >>> adult["income"].value_counts().to_dict()
    {'<=50K': 2278, '>50K': 722}
    >>> X, y = load_adult(return_X_y=True)
    >>> X.shape, y.name
    ((3000, 14), 'income')
    """
    resource = resources.files(__name__) / "data" / ADULT_FILENAME
    data_bytes = resource.read_bytes()
    if as_frame:
        frame = _read_adult_frame(io.BytesIO(gzip.decompress(data_bytes)))
        if return_X_y:
            return frame.drop(columns=ADULT_TARGET), frame[ADULT_TARGET]
        return frame
    data = _read_adult_arrays(data_bytes)
    if return_X_y:
        target = ADULT_COLUMNS.index(ADULT_TARGET)
        return np.delete(data, target, axis=1), data[:, target]
    return data
