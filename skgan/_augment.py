"""Training-set augmentation with a GAN: shared helpers and the meta-estimators.

``GANAugmentedClassifier`` and ``GANAugmentedRegressor`` are plain
scikit-learn meta-estimators: ``fit`` trains a clone of a
:class:`~skgan.GANSampler` on the training rows it is given, appends
synthetic rows, and fits a clone of the wrapped estimator on the result.
Because all of this happens inside ``fit``, cross-validation and grid
search never let synthetic rows (or the sampler) see a validation fold.
The imbalanced-learn over-sampler (``_oversampler.py``) reuses the helpers.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from scipy.sparse import issparse
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.pipeline import make_pipeline
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from ._columns import unusual_columns
from ._compat import (
    HasMethods,
    Interval,
    InvalidParameterError,
    RealNotInt,
    _fit_context,
)
from ._preprocessing import CategoryEncoder
from ._sampler import GANSampler
from ._utils import derive_seed, runs_on_cpu
from ._validation import (
    EstimatorInputError,
    check_labels,
    is_dataframe,
    validate_table,
)

# How many real rows the estimator is tried on before the GAN trains (plus a
# few per class and one missing value per column; see ``_trial_rows``).
TRIAL_ROWS = 200
TRIAL_ROWS_PER_CLASS = 5


def fit_sampler(sampler, random_state, X, y=None, **params):
    """Fit a clone of ``sampler`` (a default GANSampler when None).

    ``params`` are set on the clone. A ``random_state`` that is not None
    overrides the sampler's own, through a seed drawn from it, so that the
    enclosing estimator's ``random_state`` alone makes the result
    reproducible (scikit-learn's checks set only that one).
    """
    sampler = GANSampler() if sampler is None else clone(sampler)
    sampler.set_params(**params)
    if random_state is not None:
        sampler.set_params(random_state=derive_seed(check_random_state(random_state)))
    return sampler.fit(X, y)


def append_rows(X, X_new):
    """``X`` followed by ``X_new``, in the container and dtype of ``X``.

    DataFrames get a fresh RangeIndex (as imbalanced-learn's samplers return),
    sparse matrices stay sparse in their format, arrays keep their dtype.
    """
    if is_dataframe(X):
        return pd.concat([X, X_new], ignore_index=True)
    if issparse(X):
        from scipy import sparse

        stacked = sparse.vstack([X, sparse.csr_matrix(X_new)], format=X.format)
        return stacked.astype(X.dtype)
    return np.concatenate([X, np.asarray(X_new, dtype=X.dtype)])


def device_is_deterministic(sampler) -> bool:
    """Whether a sampler's training is reproducible (CPU only; see the guide)."""
    return runs_on_cpu(getattr(sampler, "device", "auto"))


def check_estimator_takes(estimator, X, y, *, by_class):
    """Fit a clone of ``estimator`` on a few real rows, before the GAN trains.

    Only for tables with columns that many estimators reject (text,
    category, dates, missing values); a plain numeric table is left to the
    estimator's own ``fit``. When the trial on a slice of at most about
    ``TRIAL_ROWS`` rows fails, the estimator is tried on all the real rows,
    so that one that merely needs more rows raises no false alarm; if that
    fails too, an ``EstimatorInputError`` (a ValueError, and a TypeError)
    names the unusual columns and says what to do, chained to the
    estimator's own error. A parameter error of the estimator is raised as
    it is.
    """
    unusual = unusual_columns(X)
    if not unusual:
        return
    rows = _trial_rows(X, y if by_class else None)
    tries = [rows] if len(rows) == X.shape[0] else [rows, None]
    for selection in tries:
        X_try = X if selection is None else _take(X, selection)
        y_try = y if selection is None else y[selection]
        try:
            with warnings.catch_warnings():
                # The real fit, after the GAN, shows the estimator's warnings.
                warnings.simplefilter("ignore")
                clone(estimator).fit(X_try, y_try)
        except InvalidParameterError:
            raise
        except Exception as error:
            failure = error
        else:
            return
    groups = "; ".join(f"{group} {_preview(names)}" for group, names in unusual.items())
    tried = (
        f"all {X.shape[0]} real rows"
        if len(tries) == 1
        else f"{len(rows)} real rows and then on all {X.shape[0]}"
    )
    raise EstimatorInputError(
        f"The estimator ({type(estimator).__name__}) cannot be fitted on the "
        f"training table: it failed on {tried}, tried before training the "
        f"GAN. The table has columns that many estimators reject: {groups}. "
        "Leave estimator=None (its "
        "default pipeline, CategoryEncoder then HistGradientBoosting, takes "
        "every column type), or give a pipeline that encodes these columns "
        "first (for example a ColumnTransformer with a OneHotEncoder for the "
        "text and category columns and a SimpleImputer for missing values). "
        f"The estimator's error: {type(failure).__name__}: {failure}"
    ) from failure


def _trial_rows(X, y=None):
    """Positions of the rows to try an estimator on: a small, varied slice.

    At most ``TRIAL_ROWS`` rows spread over the table, plus the first
    ``TRIAL_ROWS_PER_CLASS`` rows of every class (when ``y`` is given) and
    the first missing value of every column, so that the slice holds every
    class and every kind of value that the estimator will meet.
    """
    n_rows = X.shape[0]
    if n_rows <= TRIAL_ROWS:
        return np.arange(n_rows)
    picks = [np.linspace(0, n_rows - 1, TRIAL_ROWS).round().astype(np.int64)]
    if y is not None:
        labels = pd.Series(np.asarray(y, dtype=object))
        rank = labels.groupby(labels, sort=False).cumcount().to_numpy()
        picks.append(np.flatnonzero(rank < TRIAL_ROWS_PER_CLASS))
    missing = np.asarray(pd.DataFrame(X).isna())
    picks.append(missing.argmax(axis=0)[missing.any(axis=0)])
    return np.unique(np.concatenate(picks))


def _take(X, rows):
    return X.iloc[rows] if is_dataframe(X) else X[rows]


def _preview(names, limit=10):
    shown = ", ".join(repr(n) for n in names[:limit])
    more = len(names) - limit
    return "[" + shown + (f", ... ({more} more)" if more > 0 else "") + "]"


def _estimator_has(attr):
    """``available_if`` check: the (fitted or given) estimator has ``attr``."""

    def check(self):
        estimator = getattr(self, "estimator_", None)
        if estimator is None:
            estimator = self._unfitted_estimator()
        return hasattr(estimator, attr)

    return check


class _GANAugmented(MetaEstimatorMixin, BaseEstimator):
    """Fit a sampler and an estimator on the training rows plus synthetic rows."""

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "sampler": [HasMethods(["fit", "sample"]), None],
        "n_synthetic": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, None, closed="neither"),
        ],
        "random_state": ["random_state"],
    }

    def __init__(
        self, estimator=None, *, sampler=None, n_synthetic=1.0, random_state=None
    ):
        self.estimator = estimator
        self.sampler = sampler
        self.n_synthetic = n_synthetic
        self.random_state = random_state

    @_fit_context(
        # The sampler and estimator are validated by their own fit.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y):
        """Fit the sampler on ``(X, y)``, then the estimator on real + synthetic rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows: an ndarray, or a DataFrame (mixed column types are
            passed on to the sampler and the estimator as a DataFrame).

        y : array-like of shape (n_samples,)
            Target values.

        Returns
        -------
        self : object
            The fitted meta-estimator.
        """
        X = validate_table(self, X, reset=True)
        y = self._check_target(y, X.shape[0])
        if self.estimator is not None:
            check_estimator_takes(
                self.estimator, X, y, by_class=self._trial_rows_by_class
            )
        if isinstance(self.n_synthetic, Integral):
            n_new = int(self.n_synthetic)
        else:
            n_new = max(1, int(round(self.n_synthetic * X.shape[0])))
        self.sampler_, X_new, y_new = self._synthesize(X, y, n_new)
        self.n_synthetic_ = n_new
        X_all, y_all = append_rows(X, X_new), np.concatenate([y, y_new])
        self.estimator_ = clone(self._unfitted_estimator()).fit(X_all, y_all)
        return self

    def _unfitted_estimator(self):
        """The ``estimator`` parameter, or the default when it is None."""
        return self._default_estimator() if self.estimator is None else self.estimator

    def _validated(self, X):
        check_is_fitted(self)
        return validate_table(self, X, reset=False)

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predict with the estimator fitted on the augmented training set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The estimator's predictions.
        """
        X = self._validated(X)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("score"))
    def score(self, X, y, sample_weight=None):
        """Score of the fitted estimator on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test rows.

        y : array-like of shape (n_samples,)
            True targets.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the test rows, passed on to the estimator's ``score``.

        Returns
        -------
        score : float
            The estimator's score: mean accuracy for classifiers and R^2 for
            regressors, unless the estimator defines another.
        """
        X = self._validated(X)
        if sample_weight is None:
            return self.estimator_.score(X, y)
        return self.estimator_.score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.estimator is None:
            # The default pipeline takes what GANSampler takes (a Pipeline's
            # own tags do not say so).
            tags.input_tags.allow_nan = tags.input_tags.string = True
        else:
            inner = get_tags(self.estimator).input_tags
            tags.input_tags.allow_nan = inner.allow_nan
            tags.input_tags.string = inner.string
        tags.input_tags.sparse = False
        tags.non_deterministic = not device_is_deterministic(self.sampler)
        return tags


class GANAugmentedClassifier(ClassifierMixin, _GANAugmented):
    """A classifier trained on its training set plus class-conditional GAN rows.

    ``fit`` trains a clone of ``sampler`` on ``(X, y)`` as a class-conditional
    model, draws ``n_synthetic`` new labelled rows from it (the model
    generates the labels with the rows, at the class frequencies it
    learned), and fits a clone of ``estimator`` on the
    real rows followed by the synthetic ones. Prediction methods are those of
    the fitted estimator. Everything happens inside ``fit``, so in
    cross-validation or a grid search the sampler only ever sees training
    folds, and no synthetic row is ever scored.

    To re-balance classes instead, use :class:`~skgan.GANOverSampler` in an
    imbalanced-learn pipeline.

    Read more in the :ref:`User Guide <augmentation>`.

    Parameters
    ----------
    estimator : estimator object, default=None
        The classifier to train on the augmented rows (cloned). ``None``
        means ``make_pipeline(CategoryEncoder(),
        HistGradientBoostingClassifier(categorical_features="from_dtype"))``,
        which takes every table that GANSampler takes: numbers, text and
        ``category`` columns (as categories; as ordinal codes above 255
        levels), bool and date columns, and missing values; on a numeric
        array it is plain HistGradientBoosting. An estimator of your own is
        used as it is: when the table has text, category or date columns or
        missing values, ``fit`` first tries a clone of it on a slice of the
        real rows (about 200, with every class), and raises a ValueError
        naming those columns if it cannot take them, before the GAN trains.

    sampler : GANSampler, default=None
        The generative model (cloned, fitted on each call to ``fit``).
        ``None`` means ``GANSampler()`` with its defaults. Tune it through
        nested parameters, such as ``sampler__epochs``.

    n_synthetic : int or float, default=1.0
        How many synthetic rows to add: an int is a number of rows, a float
        a multiple of the number of training rows (1.0 doubles the training
        set; at least one row).

    random_state : int, RandomState instance or None, default=None
        Seeds the sampler's training and sampling; when not None it
        overrides ``sampler.random_state``. Pass an int (and a CPU device)
        for reproducible results. The estimator keeps its own
        ``random_state``.

    Attributes
    ----------
    estimator_ : estimator object
        The classifier fitted on the augmented training set.

    sampler_ : GANSampler
        The fitted sampler.

    n_synthetic_ : int
        The number of synthetic rows added.

    classes_ : ndarray of shape (n_classes,)
        The class labels (from ``estimator_``).

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``; only defined when ``X``
        has feature names that are all strings.

    See Also
    --------
    GANAugmentedRegressor : The same for regression targets.
    GANOverSampler : Over-sample chosen classes (imbalanced-learn).
    CategoryEncoder : The first step of the default estimator.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skgan import GANAugmentedClassifier, GANSampler
    >>> X, y = make_classification(n_samples=200, n_features=4, random_state=0)
    >>> clf = GANAugmentedClassifier(
    ...     LogisticRegression(),
    ...     sampler=GANSampler(epochs=5, device="cpu"),
    ...     n_synthetic=0.5,
    ...     random_state=0,
    ... ).fit(X, y)
    >>> clf.n_synthetic_, clf.predict(X[:3]).shape
    (100, (3,))

    The default estimator takes text columns and missing values as they are:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"colour": ["red", "blue", None] * 40, "size": range(120)})
    >>> clf = GANAugmentedClassifier(
    ...     sampler=GANSampler(epochs=2, device="cpu"), random_state=0
    ... ).fit(df, ["yes", "no", "no"] * 40)
    >>> clf.estimator_[0].encodings_.tolist(), clf.predict(df[:3]).shape
    (['category', 'passthrough'], (3,))
    """

    # The estimator's own score, not ClassifierMixin's (which comes first).
    score = _GANAugmented.score

    _trial_rows_by_class = True

    def _default_estimator(self):
        from sklearn.ensemble import HistGradientBoostingClassifier

        return make_pipeline(
            CategoryEncoder(),
            HistGradientBoostingClassifier(categorical_features="from_dtype"),
        )

    def _check_target(self, y, n_rows):
        return np.asarray(check_labels(y, n_rows))

    def _synthesize(self, X, y, n_new):
        sampler = fit_sampler(self.sampler, self.random_state, X, y)
        X_new, y_new = sampler.sample(n_new, return_y=True)
        return sampler, X_new, np.asarray(y_new, dtype=y.dtype)

    @property
    def classes_(self):
        """The class labels, as seen by the fitted estimator."""
        return self.estimator_.classes_

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the fitted estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``.
        """
        X = self._validated(X)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the fitted estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class, in the order of ``classes_``.
        """
        X = self._validated(X)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the fitted estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The estimator's decision values.
        """
        X = self._validated(X)
        return self.estimator_.decision_function(X)


class GANAugmentedRegressor(RegressorMixin, _GANAugmented):
    """A regressor trained on its training set plus GAN rows of ``(X, y)``.

    ``fit`` trains a clone of ``sampler`` on the joint table ``[X, y]`` (the
    target as one more continuous column), draws ``n_synthetic`` new rows of
    it, and fits a clone of ``estimator`` on the real rows followed by the
    synthetic ones. Everything happens inside ``fit``, so in cross-validation
    the sampler only ever sees training folds.

    Read more in the :ref:`User Guide <augmentation>`.

    Parameters
    ----------
    estimator : estimator object, default=None
        The regressor to train on the augmented rows (cloned). ``None``
        means ``make_pipeline(CategoryEncoder(),
        HistGradientBoostingRegressor(categorical_features="from_dtype"))``,
        which takes every table that GANSampler takes (see
        :class:`GANAugmentedClassifier`). An estimator of your own is used
        as it is, after a trial fit of a clone on a slice of the real rows
        when the table has text, category or date columns or missing values:
        a ValueError naming those columns says so before the GAN trains if
        it cannot take them.

    sampler : GANSampler, default=None
        The generative model (cloned, fitted on each call to ``fit``).
        ``None`` means ``GANSampler()`` with its defaults. Its
        ``categorical_features`` refer to the columns of ``X``; the target is
        always continuous.

    n_synthetic : int or float, default=1.0
        How many synthetic rows to add: an int is a number of rows, a float
        a multiple of the number of training rows (at least one row).

    random_state : int, RandomState instance or None, default=None
        Seeds the sampler's training and sampling; when not None it
        overrides ``sampler.random_state``.

    Attributes
    ----------
    estimator_ : estimator object
        The regressor fitted on the augmented training set.

    sampler_ : GANSampler
        The fitted sampler (of the joint table, target last).

    n_synthetic_ : int
        The number of synthetic rows added.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``; only defined when ``X``
        has feature names that are all strings.

    See Also
    --------
    GANAugmentedClassifier : The same for class labels.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from skgan import GANAugmentedRegressor, GANSampler
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=200)
    >>> reg = GANAugmentedRegressor(
    ...     Ridge(), sampler=GANSampler(epochs=5, device="cpu"), random_state=0
    ... ).fit(X, y)
    >>> reg.n_synthetic_, reg.predict(X[:3]).shape
    (200, (3,))
    """

    # The estimator's own score, not RegressorMixin's (which comes first).
    score = _GANAugmented.score

    _trial_rows_by_class = False

    def _default_estimator(self):
        from sklearn.ensemble import HistGradientBoostingRegressor

        return make_pipeline(
            CategoryEncoder(),
            HistGradientBoostingRegressor(categorical_features="from_dtype"),
        )

    def _check_target(self, y, n_rows):
        y = column_or_1d(y, warn=True)
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if len(y) != n_rows:
            raise ValueError(
                f"y has {len(y)} values but X has {n_rows} rows; give one "
                "target value per row."
            )
        return y

    def _synthesize(self, X, y, n_new):
        n_features = X.shape[1]
        template = GANSampler() if self.sampler is None else self.sampler
        if is_dataframe(X):
            name = _new_column_name(X.columns)
            joint = X.copy()
            joint[name] = y
        else:
            # An object X stays object. A string X becomes object too: stacked
            # with a string array, the target would become strings, and so a
            # categorical column.
            columns = X.astype(object) if X.dtype.kind in "US" else X
            joint = np.column_stack([columns, y])
        sampler = fit_sampler(
            template,
            self.random_state,
            joint,
            categorical_features=_without_target(
                template.categorical_features, n_features
            ),
        )
        joint_new = sampler.sample(n_new)
        if is_dataframe(X):
            y_new = joint_new[name].to_numpy(dtype=np.float64)
            return sampler, joint_new.drop(columns=name), y_new
        X_new = joint_new[:, :n_features]
        if X.dtype.kind in "iu":
            X_new = np.rint(X_new.astype(np.float64))
        return sampler, X_new.astype(X.dtype), joint_new[:, -1].astype(np.float64)


def _without_target(categorical_features, n_features):
    """``categorical_features`` of ``X`` restated for the table ``[X, y]``.

    A boolean mask gains a False for the target; negative indices are made
    positive so that they still count from the end of ``X``.
    """
    if categorical_features is None or isinstance(categorical_features, str):
        return categorical_features
    values = np.asarray(categorical_features)
    if values.dtype == bool:
        return np.append(values, False)
    if values.dtype.kind in "iu":
        return np.where(values < 0, values + n_features, values)
    return categorical_features


def _new_column_name(columns):
    """A column name for the target that ``columns`` does not hold.

    Integer names (as in ``pd.DataFrame(ndarray)``) get the next integer, so
    that the names stay of one type; other names get ``"target"``, with
    underscores appended until it is new.
    """
    names = list(columns)
    if names and all(isinstance(c, Integral) for c in names):
        return max(names) + 1
    name = "target"
    while name in names:
        name += "_"
    return name
