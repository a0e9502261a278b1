"""GANOverSampler and the GANAugmented* meta-estimators: what they promise."""

import subprocess
import sys
import textwrap
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import skgan
import skgan._augment
from skgan import (
    CategoryEncoder,
    GANAugmentedClassifier,
    GANAugmentedRegressor,
    GANSampler,
)
from skgan._compat import InvalidParameterError
from skgan.datasets import load_adult


def tiny(**params):
    """A GAN that trains in a fraction of a second (not a good model)."""
    defaults = dict(
        epochs=2,
        latent_dim=8,
        generator_dims=(16,),
        discriminator_dims=(16,),
        batch_size=50,
        pac=5,
        device="cpu",
    )
    return GANSampler(**{**defaults, **params})


def separated_classes():
    """Class 0 around (-3, -3) (450 rows), class 1 around (3, 3) (50 rows)."""
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(-3, 1, (450, 2)), rng.normal(3, 1, (50, 2))])
    y = np.r_[np.zeros(450, int), np.ones(50, int)]
    return X, y


def mixed_frame(n=120, seed=0):
    rng = np.random.RandomState(seed)
    colour = rng.choice(["red", "green", "blue"], n)
    X = pd.DataFrame(
        {
            "age": rng.randint(18, 80, n),
            "income": rng.lognormal(10, 0.5, n).astype("float32"),
            "colour": pd.Categorical(colour, categories=["blue", "green", "red"]),
            "member": rng.rand(n) < 0.3,
        }
    )
    y = pd.Series(np.where(rng.rand(n) < 0.2, "yes", "no"), name="bought")
    return X, y


# ------------------------------------------------------------- GANOverSampler

imblearn = pytest.importorskip("imblearn")
from imblearn.over_sampling import RandomOverSampler  # noqa: E402
from imblearn.pipeline import make_pipeline as imb_make_pipeline  # noqa: E402

from skgan import GANOverSampler  # noqa: E402


def three_classes():
    rng = np.random.RandomState(1)
    y = np.repeat([0, 1, 2], [100, 40, 15])
    X = rng.normal(size=(y.size, 3)) + y[:, None]
    return X, y


@pytest.mark.parametrize(
    "strategy",
    [
        "auto",
        "minority",
        "not minority",
        "not majority",
        "all",
        {1: 70, 2: 30},
        lambda y: {2: int(np.sum(y == 2)) * 3},
    ],
    ids=["auto", "minority", "not-minority", "not-majority", "all", "dict", "callable"],
)
def test_counts_follow_imblearn_semantics(strategy):
    X, y = three_classes()
    expected = RandomOverSampler(sampling_strategy=strategy).fit_resample(X, y)[1]
    over = GANOverSampler(sampling_strategy=strategy, sampler=tiny(), random_state=0)
    X_res, y_res = over.fit_resample(X, y)
    assert Counter(y_res) == Counter(expected)
    assert X_res.shape == (y_res.size, 3)
    # The originals first, untouched; then the new rows, class by class.
    np.testing.assert_array_equal(X_res[: y.size], X)
    np.testing.assert_array_equal(y_res[: y.size], y)
    new = y_res[y.size :]
    assert list(new) == sorted(new)
    assert {c: n for c, n in over.sampling_strategy_.items() if n} == {
        c: n - np.sum(y == c)
        for c, n in Counter(expected).items()
        if n > np.sum(y == c)
    }


def test_float_strategy_on_binary_target():
    X, y = separated_classes()
    X_res, y_res = GANOverSampler(
        sampling_strategy=0.5, sampler=tiny(), random_state=0
    ).fit_resample(X, y)
    assert np.sum(y_res == 1) == 225 and np.sum(y_res == 0) == 450


def test_one_conditional_gan_for_all_classes_generates_each_class():
    # A model that ignored the labels would put ~90 % of the new rows near
    # the majority's centre (-3, -3). 1,500 steps: at 750 the averaged
    # generator still trails (0.79-0.90 of the rows right, seeds 0-2, against
    # 0.81-0.94 for the last weights; 0.99 for both at 1,500).
    X, y = separated_classes()
    sampler = GANSampler(
        epochs=300,
        latent_dim=16,
        generator_dims=(128, 128),
        discriminator_dims=(128, 128),
        batch_size=100,
        device="cpu",
    )
    over = GANOverSampler(sampler=sampler, random_state=0)
    X_res, y_res = over.fit_resample(X, y)
    new = X_res[y.size :]
    assert set(y_res[y.size :]) == {1} and len(new) == 400
    assert np.mean(new[:, 0] > 0) > 0.85
    assert new.mean(axis=0).min() > 2.0
    # One model, fitted on every class with the labels.
    np.testing.assert_array_equal(over.sampler_.classes_, [0, 1])
    assert over.sampler_.n_iter_ == 300
    assert over.sampler is sampler and not hasattr(sampler, "generator_")


def test_mixed_dataframe_and_series_keep_their_columns_and_dtypes():
    X, y = mixed_frame()
    over = GANOverSampler(sampler=tiny(), random_state=0)
    X_res, y_res = over.fit_resample(X, y)
    assert isinstance(X_res, pd.DataFrame) and isinstance(y_res, pd.Series)
    assert list(X_res.columns) == list(X.columns)
    assert (X_res.dtypes == X.dtypes).all()
    assert list(X_res["colour"].cat.categories) == ["blue", "green", "red"]
    assert y_res.name == "bought"
    assert Counter(y_res) == {"no": (y == "no").sum(), "yes": (y == "no").sum()}
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X)
    new = X_res.iloc[len(X) :]
    assert new["colour"].notna().all() and set(new["colour"]) <= {
        "blue",
        "green",
        "red",
    }
    assert new["age"].between(18, 79).all()
    assert list(over.get_feature_names_out()) == list(X.columns)


def test_float32_array_and_sparse_matrix_keep_their_type():
    from scipy import sparse

    X, y = three_classes()
    X32 = X.astype(np.float32)
    X_res, _ = GANOverSampler(sampler=tiny(), random_state=0).fit_resample(X32, y)
    assert X_res.dtype == np.float32
    X_sp = sparse.csc_matrix(np.where(X > 1, X, 0.0))
    X_res, _ = GANOverSampler(sampler=tiny(), random_state=0).fit_resample(X_sp, y)
    assert sparse.issparse(X_res) and X_res.format == "csc"
    assert (X_res[: y.size] != X_sp).nnz == 0


def test_nothing_to_add_trains_no_gan():
    X, y = three_classes()
    over = GANOverSampler(sampling_strategy={0: 100}, sampler=tiny(), random_state=0)
    X_res, y_res = over.fit_resample(X, y)
    assert over.sampler_ is None and dict(over.sampling_strategy_) == {0: 0}
    np.testing.assert_array_equal(X_res, X)
    np.testing.assert_array_equal(y_res, y)


def test_the_gans_own_parameters_are_validated():
    X, y = three_classes()
    over = GANOverSampler(sampler=tiny(epochs=0), random_state=0)
    with pytest.raises(InvalidParameterError, match="'epochs' parameter of GANSampler"):
        over.fit_resample(X, y)


def test_random_state_overrides_the_samplers_and_reproduces():
    X, y = three_classes()
    runs = [
        GANOverSampler(sampler=tiny(random_state=s), random_state=r).fit_resample(X, y)[
            0
        ]
        for s, r in [(1, 7), (2, 7), (1, 8)]
    ]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0][y.size :], runs[2][y.size :])


def test_in_an_imblearn_pipeline_before_one_hot_encoding():
    X, y = mixed_frame(n=200)
    encode = ColumnTransformer(
        [("cat", OneHotEncoder(), ["colour", "member"])], remainder=StandardScaler()
    )
    pipe = imb_make_pipeline(
        GANOverSampler(sampler=tiny(), random_state=0),
        encode,
        DummyClassifier(strategy="prior"),
    )
    pipe.fit(X, y)
    # The classifier saw balanced classes: the over-sampler ran inside fit.
    np.testing.assert_allclose(pipe[-1].class_prior_, [0.5, 0.5])
    np.testing.assert_allclose(pipe.predict_proba(X.iloc[:5]), 0.5)
    # No category appeared that the real data does not have.
    assert [list(c) for c in pipe[1].named_transformers_["cat"].categories_] == [
        ["blue", "green", "red"],
        [False, True],
    ]
    search = GridSearchCV(
        imb_make_pipeline(
            GANOverSampler(sampler=tiny(), random_state=0),
            encode,
            LogisticRegression(),
        ),
        {"ganoversampler__sampler__epochs": [1, 2]},
        cv=2,
    ).fit(X, y)
    assert [
        p["ganoversampler__sampler__epochs"] for p in search.cv_results_["params"]
    ] == [1, 2]
    assert (
        search.best_estimator_[0].sampler_.n_iter_
        == search.best_params_["ganoversampler__sampler__epochs"]
    )


def test_importing_skgan_does_not_need_imblearn():
    script = """
import sys
sys.modules["imblearn"] = None  # import imblearn now fails
import skgan
assert skgan.GANSampler and skgan.GANAugmentedClassifier
try:
    skgan.GANOverSampler
except ImportError as error:
    print(error)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'skgan[imblearn]'" in result.stdout


# ------------------------------------------------------------- meta-estimators


class Spy(ClassifierMixin, BaseEstimator):
    """Records the rows it is fitted on and asked to predict (class level)."""

    fitted = []
    predicted = []

    def fit(self, X, y):
        Spy.fitted.append((np.array(X), np.array(y)))
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        Spy.predicted.append(np.array(X))
        return np.full(len(X), self.classes_[0])


class SpySampler(GANSampler):
    """A GANSampler that records the rows it is trained on."""

    trained_on = []

    def fit(self, X, y=None):
        SpySampler.trained_on.append(np.array(X))
        return super().fit(X, y)


def test_no_validation_row_reaches_the_sampler_and_no_synthetic_row_is_scored():
    rng = np.random.RandomState(0)
    # Every real row is unique (column 0 is its id), so rows can be traced.
    X = np.c_[np.arange(60.0), rng.normal(size=(60, 2))]
    y = rng.randint(0, 2, 60)
    Spy.fitted.clear(), Spy.predicted.clear(), SpySampler.trained_on.clear()
    sampler = SpySampler(**tiny().get_params())
    meta = GANAugmentedClassifier(
        Spy(), sampler=sampler, n_synthetic=25, random_state=0
    )
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    cross_validate(meta, X, y, cv=folds, n_jobs=1)
    assert len(SpySampler.trained_on) == len(Spy.fitted) == len(Spy.predicted) == 3
    for (train, test), seen, (fit_X, fit_y), scored in zip(
        folds, SpySampler.trained_on, Spy.fitted, Spy.predicted, strict=True
    ):
        # The sampler saw exactly the training fold.
        np.testing.assert_array_equal(seen, X[train])
        # The estimator saw the training fold, then 25 rows the sampler made.
        np.testing.assert_array_equal(fit_X[: len(train)], X[train])
        np.testing.assert_array_equal(fit_y[: len(train)], y[train])
        assert len(fit_X) == len(train) + 25
        synthetic = fit_X[len(train) :]
        assert not (synthetic[:, None, :] == X[None, test, :]).all(axis=2).any()
        # Only the validation fold was scored: no synthetic row.
        np.testing.assert_array_equal(scored, X[test])


def test_grid_search_over_sampler_parameters_in_parallel():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    pipe = make_pipeline(
        StandardScaler(),
        GANAugmentedClassifier(LogisticRegression(), sampler=tiny(), random_state=0),
    )
    search = GridSearchCV(
        pipe,
        {
            "ganaugmentedclassifier__sampler__epochs": [1, 3],
            "ganaugmentedclassifier__n_synthetic": [0.5, 10],
        },
        cv=2,
        n_jobs=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    best = search.best_estimator_[-1]
    assert (
        best.sampler_.n_iter_
        == search.best_params_["ganaugmentedclassifier__sampler__epochs"]
    )
    n_synthetic = search.best_params_["ganaugmentedclassifier__n_synthetic"]
    assert best.n_synthetic_ == (40 if n_synthetic == 0.5 else 10)
    assert search.best_score_ > 0.8


def test_classifier_on_a_mixed_dataframe_through_a_pipeline():
    X, y = mixed_frame(n=200)
    y = pd.Series(np.where(X["colour"] == "red", "yes", "no"), name="bought")
    model = make_pipeline(
        ColumnTransformer([("cat", OneHotEncoder(), ["colour"])], remainder="drop"),
        LogisticRegression(),
    )
    meta = GANAugmentedClassifier(model, sampler=tiny(), n_synthetic=50, random_state=0)
    meta.fit(X, y)
    assert list(meta.classes_) == ["no", "yes"]
    assert list(meta.sampler_.feature_names_in_) == list(X.columns)
    assert meta.sampler_.classes_.tolist() == ["no", "yes"]
    assert meta.score(X, y) > 0.9
    assert meta.predict_proba(X).shape == (200, 2)


def test_regressor_models_x_and_y_jointly():
    # A model of X alone plus an unrelated y would give a correlation near 0.
    rng = np.random.RandomState(0)
    x = rng.uniform(-2, 2, 500)
    y = 2 * x + 0.3 * rng.normal(size=500)
    sampler = GANSampler(
        epochs=150,
        latent_dim=16,
        generator_dims=(128, 128),
        discriminator_dims=(128, 128),
        batch_size=100,
        continuous_encoding="quantile",
        device="cpu",
    )
    reg = GANAugmentedRegressor(Ridge(), sampler=sampler, random_state=0)
    reg.fit(x[:, None], y)
    joint = reg.sampler_.sample(2000, random_state=1)
    assert joint.shape == (2000, 2)
    assert np.corrcoef(joint[:, 0], joint[:, 1])[0, 1] > 0.75
    assert 1.5 < np.polyfit(joint[:, 0], joint[:, 1], 1)[0] < 2.6
    assert 1.7 < reg.estimator_.coef_[0] < 2.3


def test_regressor_keeps_the_frame_and_the_categorical_columns():
    X, _ = mixed_frame()
    X = X.rename(columns={"member": "target"})  # the name the target would take
    y = X["income"].to_numpy() / 1000
    reg = GANAugmentedRegressor(
        make_pipeline(
            ColumnTransformer([("num", "passthrough", ["age", "income"])]), Ridge()
        ),
        sampler=tiny(),
        n_synthetic=30,
        random_state=0,
    ).fit(X, y)
    assert list(reg.sampler_.feature_names_in_) == [*X.columns, "target_"]
    assert reg.predict(X).shape == (len(X),)
    # An array with a boolean categorical mask: the target is added as continuous.
    rng = np.random.RandomState(0)
    A = np.c_[rng.normal(size=50), rng.randint(0, 3, 50)]
    sampler = tiny(categorical_features=[False, True])
    reg = GANAugmentedRegressor(Ridge(), sampler=sampler, random_state=0)
    reg.fit(A, A[:, 0] * 2)
    assert list(reg.sampler_.categorical_features) == [False, True, False]
    assert set(reg.sampler_.sample(100)[:, 1]) <= {0.0, 1.0, 2.0}
    assert list(sampler.categorical_features) == [False, True]


def test_regressor_on_a_string_array_keeps_the_target_continuous():
    rng = np.random.RandomState(0)
    X = rng.choice(["a", "bb", "c"], (200, 2))
    y = rng.normal(size=200) + (X[:, 0] == "a")
    Spy.fitted.clear()

    class RegSpy(Ridge):
        def fit(self, X, y):
            Spy.fitted.append((np.array(X), np.array(y)))
            return super().fit(X, y)

    reg = GANAugmentedRegressor(
        make_pipeline(OneHotEncoder(), RegSpy()),
        sampler=tiny(),
        n_synthetic=300,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "looks like an identifier" warning
        reg.fit(X, y)
    assert reg.sampler_.encoder_.columns_.infos[-1].kind == "continuous"
    # A string table: the estimator is first tried on the real rows (before
    # the GAN trains), then fitted on the real + synthetic rows.
    assert [len(fit_y) for _, fit_y in Spy.fitted] == [200, 500]
    _, fit_y = Spy.fitted[-1]
    new_y = fit_y[200:]
    assert len(new_y) == 300
    # Generated targets, not copies of the training values (beyond the range
    # ends, where values are clipped to the training minimum and maximum).
    inside = (new_y > y.min()) & (new_y < y.max())
    assert inside.mean() > 0.5
    assert not np.isin(new_y[inside], y).any()
    assert reg.predict(X).shape == (200,)


def test_integer_arrays_stay_integer_for_the_estimator():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 10, size=(60, 2))
    Spy.fitted.clear()

    class RegSpy(Ridge):
        def fit(self, X, y):
            Spy.fitted.append((np.array(X), np.array(y)))
            return super().fit(X, y)

    GANAugmentedRegressor(RegSpy(), sampler=tiny(), random_state=0).fit(
        X, X[:, 0] * 1.5
    )
    fit_X, fit_y = Spy.fitted[0]
    assert fit_X.dtype == X.dtype and fit_X.shape == (120, 2)
    assert fit_y.dtype == np.float64


@pytest.mark.parametrize("n_synthetic", [0, -1.0, 0.0, "many"])
def test_invalid_amounts_are_rejected(n_synthetic):
    X, y = three_classes()
    meta = GANAugmentedClassifier(sampler=tiny(), n_synthetic=n_synthetic)
    with pytest.raises(InvalidParameterError, match="'n_synthetic' parameter"):
        meta.fit(X, y)
    with pytest.raises(InvalidParameterError, match="'epochs' parameter of GANSampler"):
        clone(meta).set_params(n_synthetic=1, sampler=tiny(epochs=0)).fit(X, y)


# ------------------------------------ the default estimator and the trial fit


def quick(**params):
    """A tiny GAN with the quantile encoding: seconds on the Adult sample."""
    return tiny(continuous_encoding="quantile", **params)


def every_column_type(n=600, seed=0):
    """A column of every kind GANSampler takes, and one of 260 levels."""
    rng = np.random.RandomState(seed)
    gap = rng.rand(n) < 0.1
    days = pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.randint(0, 900, n), "D")
    return pd.DataFrame(
        {
            "int": rng.randint(0, 5, n),
            "float": np.where(gap, np.nan, rng.normal(size=n)),
            "Int64": pd.array(np.where(gap, None, rng.randint(0, 9, n)), dtype="Int64"),
            "bool": rng.rand(n) < 0.5,
            "boolean": pd.array(
                np.where(gap, None, rng.rand(n) < 0.5), dtype="boolean"
            ),
            "category": pd.Categorical(rng.choice(["x", "y", "z"], n)),
            "object": np.where(gap, None, rng.choice(["u", "v", "w"], n)).astype(
                object
            ),
            "string": pd.array(rng.choice(["p", "q"], n), dtype="string"),
            "datetime": days.where(~gap),
            "datetime_tz": days.tz_localize("Europe/Paris"),
            "timedelta": pd.to_timedelta(rng.randint(0, 100, n), unit="min"),
            "many": np.array([f"id{k % 260}" for k in range(n)], dtype=object),
        }
    )


def test_default_estimator_takes_the_adult_table():
    # The first try of a new user: object columns with missing values. It
    # used to fail inside scikit-learn, after training the GAN, with
    # "could not convert string to float: 'Private'".
    X, y = load_adult(return_X_y=True)
    clf = GANAugmentedClassifier(
        sampler=quick(epochs=1), n_synthetic=300, random_state=0
    ).fit(X, y)
    assert isinstance(clf.estimator_, Pipeline)
    encoder, model = clf.estimator_[0], clf.estimator_[-1]
    assert isinstance(encoder, CategoryEncoder)
    assert isinstance(model, HistGradientBoostingClassifier)
    # The text columns are categories of the model, the numbers numbers.
    text = list(X.select_dtypes(object).columns)
    assert len(text) == 8 and list(X.columns[model.is_categorical_]) == text
    assert clf.predict(X.head(5)).shape == (5,)
    assert clf.predict_proba(X.head(5)).shape == (5, 2)
    assert clf.score(X, y) > 0.8


@pytest.mark.parametrize("Meta", [GANAugmentedClassifier, GANAugmentedRegressor])
def test_default_estimators_take_every_column_type(Meta):
    X = every_column_type()
    if Meta is GANAugmentedClassifier:
        y = np.where(X["object"] == "u", "yes", "no")
    else:
        y = X["int"] * 2.0 + (X["category"] == "x")
    meta = Meta(sampler=quick(), n_synthetic=100, random_state=0).fit(X, y)
    encoder, model = meta.estimator_[0], meta.estimator_[-1]
    assert encoder.encodings_.tolist() == [
        *["passthrough"] * 2,
        *["number"] * 3,
        *["category"] * 3,
        *["number"] * 3,
        "ordinal",  # 260 levels: more than HistGradientBoosting's 255
    ]
    assert list(X.columns[model.is_categorical_]) == ["category", "object", "string"]
    # New rows, with a category and dates never seen in fit.
    new = X.head(4).copy()
    new.loc[0, "object"] = "never seen"
    new.loc[1, "many"] = "id9999"
    new.loc[2, "datetime"] = pd.Timestamp("2030-01-01")
    assert meta.predict(new).shape == (4,)


def test_default_estimator_on_numeric_arrays_is_histgradientboosting_as_before():
    # A guard: the encoder passes numeric arrays through unchanged, so the
    # default is still plain HistGradientBoosting there.
    X, y = three_classes()
    for Meta, Model, target in [
        (GANAugmentedClassifier, HistGradientBoostingClassifier, y),
        (GANAugmentedRegressor, HistGradientBoostingRegressor, X[:, 0] - y),
    ]:
        default = Meta(sampler=tiny(), random_state=0).fit(X, target)
        plain = Meta(Model(), sampler=tiny(), random_state=0).fit(X, target)
        assert set(default.estimator_[0].encodings_) == {"passthrough"}
        np.testing.assert_array_equal(default.predict(X), plain.predict(X))


def numeric_frame_with_gaps():
    X, y = three_classes()
    X = pd.DataFrame(X, columns=["a", "b", "c"])
    X.loc[::7, "b"] = np.nan
    return X, y


def dated_frame():
    X, _ = mixed_frame(n=150)
    X["joined"] = pd.to_datetime("2021-01-01") + pd.to_timedelta(X["age"], "D")
    return X[["age", "joined", "colour"]], X["income"].to_numpy()


@pytest.mark.parametrize(
    "case",
    [
        (
            GANAugmentedClassifier,
            LogisticRegression(),
            lambda: load_adult(return_X_y=True),
            r"object/string columns \['workclass', 'education', 'marital-status'",
            ValueError,
            "could not convert string to float",
        ),
        (
            GANAugmentedClassifier,
            LogisticRegression(),
            numeric_frame_with_gaps,
            r"columns with missing values \['b'\]",
            ValueError,
            "Input X contains NaN",
        ),
        (
            GANAugmentedRegressor,
            Ridge(),
            dated_frame,
            r"category columns \['colour'\]; datetime/timedelta columns \['joined'\]",
            (TypeError, ValueError),
            "",
        ),
    ],
    ids=["adult-text", "missing-values", "dates-and-categories"],
)
def test_an_estimator_that_cannot_take_the_table_fails_before_the_gan_trains(case):
    Meta, estimator, data, columns, cause, cause_message = case
    X, y = data()
    SpySampler.trained_on.clear()
    meta = Meta(estimator, sampler=SpySampler(**quick().get_params()), random_state=0)
    with pytest.raises(ValueError, match=columns) as error:
        meta.fit(X, y)
    assert SpySampler.trained_on == []  # said before the GAN trained
    message = str(error.value)
    assert f"estimator ({type(estimator).__name__}) cannot be fitted" in message
    assert "Leave estimator=None" in message and "OneHotEncoder" in message
    # The estimator's own error, chained and quoted.
    assert isinstance(error.value.__cause__, cause)
    assert cause_message in str(error.value.__cause__)
    assert str(error.value.__cause__) in message


def test_the_trial_slice_is_small_and_holds_every_class():
    rng = np.random.RandomState(0)
    X = pd.DataFrame(
        {"colour": rng.choice(["red", "blue"], 1000), "x": rng.normal(size=1000)}
    )
    X.loc[997, "colour"] = None  # the only missing value
    y = np.r_[rng.choice(["a", "b"], 990), ["rare"] * 10]  # rare: the last rows
    Spy.fitted.clear()
    GANAugmentedClassifier(Spy(), sampler=quick(), n_synthetic=50, random_state=0).fit(
        X, y
    )
    (trial_X, trial_y), (fit_X, fit_y) = Spy.fitted
    # The trial: ~200 rows spread over the table, 5 of each class, and the
    # missing value; then the fit on the real + synthetic rows.
    assert 200 <= len(trial_y) <= 215
    # (The spread alone would take 2 of the 10 rare rows.)
    assert Counter(trial_y)["rare"] >= 5 and set(trial_y) == {"a", "b", "rare"}
    assert pd.isna(trial_X[:, 0]).sum() == 1
    assert len(fit_y) == 1050


class NeedsRows(Spy):
    """Refuses fewer than 500 rows, as some estimators refuse small data."""

    def fit(self, X, y):
        if len(X) < 500:
            raise ValueError(f"needs at least 500 rows, got {len(X)}")
        return super().fit(X, y)


def test_an_estimator_that_merely_needs_more_rows_is_not_refused():
    X, y = mixed_frame(n=600)
    Spy.fitted.clear()
    meta = GANAugmentedClassifier(
        NeedsRows(), sampler=quick(), n_synthetic=40, random_state=0
    ).fit(X, y)
    # It failed on the slice, then took all the real rows: no alarm.
    assert [len(fit_y) for _, fit_y in Spy.fitted] == [600, 640]
    assert meta.predict(X).shape == (600,)


def test_a_parameter_error_of_the_estimator_is_raised_as_it_is():
    X, y = load_adult(return_X_y=True)
    SpySampler.trained_on.clear()
    meta = GANAugmentedClassifier(
        LogisticRegression(C=-1.0), sampler=SpySampler(**quick().get_params())
    )
    with pytest.raises(
        InvalidParameterError, match="'C' parameter of LogisticRegression"
    ):
        meta.fit(X, y)
    assert SpySampler.trained_on == []


def test_oversampler_then_category_encoder_then_histgradientboosting_on_adult():
    # The user guide's recipe for imbalanced-learn on a mixed table.
    X, y = load_adult(return_X_y=True)
    pipe = imb_make_pipeline(
        GANOverSampler(sampler=quick(epochs=1), random_state=0),
        CategoryEncoder(),
        HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=20),
    ).fit(X, y)
    over, encoder, model = pipe
    assert dict(over.sampling_strategy_) == {">50K": 2278 - 722}
    text = list(X.select_dtypes(object).columns)
    assert list(X.columns[model.is_categorical_]) == text
    assert pipe.predict(X.head(5)).shape == (5,)
    assert pipe.predict_proba(X.head(5)).shape == (5, 2)


# ------------------------------------------------- the documentation's snippets

ROOT = Path(__file__).resolve().parents[1]


class TinyGANSampler(GANSampler):
    """A GANSampler that trains a tiny network for one epoch, whatever it is
    asked: the snippets' ``epochs=100`` on Adult would take minutes."""

    def fit(self, X, y=None):
        self.set_params(**quick(epochs=1).get_params())
        return super().fit(X, y)


@pytest.fixture
def tiny_gans(monkeypatch):
    # `from skgan import GANSampler` in a snippet, and the default sampler.
    monkeypatch.setattr(skgan, "GANSampler", TinyGANSampler)
    monkeypatch.setattr(skgan._augment, "GANSampler", TinyGANSampler)


def readme_augmentation_snippet():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("- **Augmentation**") :]
    start = section.index("```python\n") + len("```python\n")
    return textwrap.dedent(section[start : section.index("```", start)])


def rst_python_blocks(path):
    lines = path.read_text().splitlines()
    blocks, i = [], 0
    while i < len(lines):
        i += 1
        if lines[i - 1].strip() != ".. code-block:: python":
            continue
        body = []
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
            body.append(lines[i])
            i += 1
        blocks.append(textwrap.dedent("\n".join(body)))
    return blocks


def test_readme_augmentation_snippet_runs_on_adult(tiny_gans):
    namespace = {}
    exec(compile(readme_augmentation_snippet(), "README.md", "exec"), namespace)
    X, clf, model = namespace["X"], namespace["clf"], namespace["model"]
    assert clf.sampler_.n_iter_ == 1  # the tiny GAN stood in
    assert clf.predict(X.head(5)).shape == model.predict(X.head(5)).shape == (5,)


def test_user_guide_snippets_run_on_adult(tiny_gans):
    blocks = rst_python_blocks(ROOT / "docs" / "augmentation.rst")
    assert len(blocks) == 4
    # One namespace for the page, as a reader runs it from the top.
    namespace = {}
    for number, block in enumerate(blocks, start=1):
        code = compile(block, f"docs/augmentation.rst (block {number})", "exec")
        exec(code, namespace)
        if number <= 2:
            assert np.isfinite(namespace["scores"]).all()
    assert len(namespace["X"]) == 3000
    assert namespace["search"].best_estimator_.sampler_.n_iter_ == 1
