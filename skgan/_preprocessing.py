"""CategoryEncoder: a table GANSampler takes, in a form HistGradientBoosting takes.

scikit-learn's ``HistGradientBoosting*(categorical_features="from_dtype")``
handles ``category`` columns natively (up to 255 levels, missing values
included) but rejects object, string and datetime columns. GANSampler, and so
its synthetic rows, take all of them. This transformer sits between the two:
it is the first step of the meta-estimators' default estimator and of the
imbalanced-learn recipe in the user guide.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._columns import (
    ColumnInfo,
    _column,
    _continuous_values,
    _fit_categorical,
    _is_bool_dtype,
    _is_time_dtype,
    _kind,
    _time_ints,
    lookup_codes,
)
from ._compat import Interval, _fit_context
from ._validation import is_dataframe, validate_table


class CategoryEncoder(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Make a mixed-type table readable by estimators with native categories.

    Text and ``category`` columns become pandas ``category`` columns (with
    the levels seen in ``fit``), which
    ``HistGradientBoostingClassifier(categorical_features="from_dtype")`` and
    its regressor use as categories; a column with more than
    ``max_categories`` levels becomes its ordinal codes instead (a float
    column), because HistGradientBoosting's categories stop at 255. Dates
    and durations become seconds (floats), booleans and nullable numbers
    floats; missing values become NaN, and a category not seen in ``fit``
    is treated as missing. Numeric columns are passed through unchanged: a
    numeric array comes back as it is.

    It takes every table that :class:`~skgan.GANSampler` takes, decides what
    is categorical the same way (``categorical_features="from_dtype"``), and
    is the first step of the default estimator of
    :class:`~skgan.GANAugmentedClassifier` and
    :class:`~skgan.GANAugmentedRegressor`. After a
    :class:`~skgan.GANOverSampler` in an imbalanced-learn pipeline, it lets a
    HistGradientBoosting model use the GAN's mixed-type rows.

    Read more in the :ref:`User Guide <augmentation>`.

    Parameters
    ----------
    max_categories : int, default=255
        The most levels a column may have to become a ``category`` column;
        above it, the column becomes ordinal codes (the positions of its
        values among its levels: sorted, or in the order of a ``category``
        dtype). 255 is HistGradientBoosting's limit with its default
        ``max_bins``.

    Attributes
    ----------
    encodings_ : ndarray of str of shape (`n_features_in_`,)
        What each column becomes: ``"passthrough"`` (numeric, unchanged),
        ``"number"`` (bool, nullable numbers, numbers in an object array,
        dates and durations: float64), ``"category"`` (pandas ``category``)
        or ``"ordinal"`` (float64 codes, NaN where missing or unseen).

    categories_ : list of ndarray or None
        For each column, the levels seen in ``fit`` (code order) when it is
        ``"category"`` or ``"ordinal"``, else None. The output categories are
        these values when they are all strings or all numbers, else their
        codes ``0, 1, ...``.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``; only defined when ``X``
        has feature names that are all strings.

    See Also
    --------
    sklearn.preprocessing.OrdinalEncoder : Ordinal codes for every column.
    sklearn.ensemble.HistGradientBoostingClassifier : Native categories with
        ``categorical_features="from_dtype"``.

    Notes
    -----
    The output is a DataFrame (with the input's index) whenever a column
    becomes ``category``, since only pandas holds that dtype; a table
    without such columns comes back as an ndarray if it came as one.

    Examples
    --------
    >>> import pandas as pd
    >>> from skgan import CategoryEncoder
    >>> X = pd.DataFrame(
    ...     {
    ...         "city": ["Paris", "Oslo", None, "Oslo"],
    ...         "day": pd.to_datetime(["2024-01-01", "2024-01-02", None, "2024-03-01"]),
    ...         "n": [1, 2, 3, 4],
    ...     }
    ... )
    >>> Xt = CategoryEncoder().fit_transform(X)
    >>> Xt.dtypes.astype(str).tolist()
    ['category', 'float64', 'int64']
    >>> Xt["city"].cat.categories.tolist()
    ['Oslo', 'Paris']
    """

    _parameter_constraints: dict = {
        "max_categories": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, max_categories=255):
        self.max_categories = max_categories

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn what each column becomes, and the levels of categorical ones.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A DataFrame (numeric, nullable, bool, category, object, string,
            datetime and timedelta columns), or a numeric, string or object
            ndarray. Missing values are allowed.

        y : None
            Ignored.

        Returns
        -------
        self : CategoryEncoder
            The fitted encoder.
        """
        X = validate_table(self, X, reset=True)
        frame = is_dataframe(X)
        names = list(X.columns) if frame else list(range(X.shape[1]))
        encodings, categories = [], []
        for i, name in enumerate(names):
            column = _column(X, i)
            encoding, levels = _plan(column, i, name, frame, self.max_categories)
            encodings.append(encoding)
            categories.append(levels)
        self.encodings_ = np.asarray(encodings, dtype=object)
        self.categories_ = categories
        return self

    def transform(self, X):
        """Encode ``X`` as learnt in ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the columns seen in ``fit``.

        Returns
        -------
        X_out : ndarray or DataFrame of shape (n_samples, n_features)
            ``X`` itself when every column passes through; otherwise a
            DataFrame with the same column names and index when a column
            becomes ``category`` or the input was a DataFrame, else a float64
            ndarray.
        """
        check_is_fitted(self)
        X = validate_table(self, X, reset=False)
        frame = is_dataframe(X)
        if not frame and all(e == "passthrough" for e in self.encodings_):
            return X
        columns = [
            _encode(_column(X, i), encoding, levels)
            for i, (encoding, levels) in enumerate(
                zip(self.encodings_, self.categories_, strict=True)
            )
        ]
        if not frame and "category" not in self.encodings_:
            return np.column_stack(columns).astype(np.float64, copy=False)
        out = pd.DataFrame(dict(enumerate(columns)))
        if frame:
            out.index = X.index
        out.columns = X.columns if frame else self.get_feature_names_out()
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.sparse = False
        # Numeric arrays pass through, so float32 stays float32.
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _plan(column, position, name, frame, max_categories):
    """(encoding, levels) of one column; see ``CategoryEncoder.encodings_``."""
    dtype = column.dtype
    kind = _kind(column, position, name, frame, None, "from_dtype")
    if kind == "continuous":
        plain = isinstance(dtype, np.dtype) and dtype.kind in "iuf"
        return ("passthrough" if plain else "number"), None
    if _is_bool_dtype(dtype):
        return "number", None
    info = ColumnInfo(name=name, kind="categorical", dtype=dtype)
    _fit_categorical(column, info)
    levels = info.categories
    return ("category" if len(levels) <= max_categories else "ordinal"), levels


def _encode(column, encoding, levels):
    """One output column: a Series, a Categorical or a float64 array."""
    if encoding == "passthrough":
        return np.asarray(column)
    if encoding == "number":
        return _as_float(column)
    codes = _codes(column, levels)
    if encoding == "ordinal":
        return np.where(codes < 0, np.nan, codes.astype(np.float64))
    return pd.Categorical.from_codes(codes, categories=_category_values(levels))


def _codes(column, levels) -> np.ndarray:
    """Positions of the values among ``levels``; -1 where missing or unseen."""
    info = ColumnInfo(name=None, kind="categorical", dtype=None, categories=levels)
    return lookup_codes(column, info)[0]


def _category_values(levels):
    """The categories of an output column: the levels, or their codes.

    HistGradientBoosting encodes a category column with an OrdinalEncoder,
    which needs values of one kind that sort; mixed types (or dicts, dates)
    get their codes, in the levels' order.
    """
    values = list(levels)
    strings = all(isinstance(v, str) for v in values)
    numbers = all(
        isinstance(v, Real) and not isinstance(v, bool | np.bool_) for v in values
    )
    booleans = all(isinstance(v, bool | np.bool_) for v in values)
    if values and (strings or numbers or booleans):
        index = pd.Index(values, dtype=object, tupleize_cols=False)
        if index.is_unique:
            return index if strings else pd.Index(np.asarray(values))
    return pd.RangeIndex(len(values))


def _as_float(column) -> np.ndarray:
    """A float64 copy of a numeric, bool or time column, NaN where missing."""
    dtype = column.dtype
    if _is_time_dtype(dtype):
        ints, missing, time_dtype, _ = _time_ints(column)
        unit, count = np.datetime_data(np.dtype(time_dtype))
        seconds = np.timedelta64(count, unit) / np.timedelta64(1, "s")
        values = ints.astype(np.float64) * seconds
        values[missing] = np.nan
        return values
    # Numbers in an object array, bool, pandas' nullable dtypes: NA -> NaN.
    info = ColumnInfo(name=None, kind="continuous", dtype=dtype)
    return _continuous_values(column, info, check=False)
