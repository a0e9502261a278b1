"""Bad input, table-driven: a clear error that names what is wrong, or a right result.

Every rejected input must raise ValueError or TypeError with a message that
names the parameter or column, and must not leave an estimator that looks
fitted. Every accepted edge case is checked for the right result, not just
for running.
"""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from skgan import GANSampler

imblearn = pytest.importorskip("imblearn")
from skgan import GANOverSampler  # noqa: E402


def tiny(**params):
    defaults = dict(
        epochs=1,
        latent_dim=8,
        generator_dims=(16,),
        discriminator_dims=(16,),
        batch_size=20,
        pac=2,
        device="cpu",
        random_state=0,
    )
    return GANSampler(**{**defaults, **params})


RNG = np.random.RandomState(0)
GOOD = pd.DataFrame({"a": RNG.normal(size=40), "b": RNG.choice(["x", "y"], 40)})
GOOD_Y = np.array([0, 1] * 20)


def frame(**columns):
    return pd.DataFrame(columns)


# (id, X, y, sampler parameters, exception, message regex)
FIT_REJECTS = [
    ("inf", np.array([[1.0, np.inf]] * 5), None, {}, ValueError, "infinity"),
    ("inf-frame", frame(a=[1.0, -np.inf, 2.0]), None, {}, ValueError, "'a'.*infinit"),
    ("no-rows", np.empty((0, 3)), None, {}, ValueError, "0 sample"),
    ("no-rows-frame", GOOD.iloc[:0], None, {}, ValueError, "0 sample"),
    ("no-columns", np.empty((5, 0)), None, {}, ValueError, "0 feature"),
    ("1-d", np.arange(5.0), None, {}, ValueError, "Expected 2D array"),
    ("3-d", np.zeros((4, 2, 2)), None, {}, ValueError, "dim 3"),
    ("complex", np.array([[1 + 2j, 1.0]] * 4), None, {}, ValueError, "Complex data"),
    (
        "complex-frame",
        frame(z=np.array([1j, 2j, 3j]), a=[1.0, 2.0, 3.0]),
        None,
        {},
        ValueError,
        r"Complex data.*\['z'\]",
    ),
    (
        "duplicate-names",
        pd.DataFrame([[1.0, 2.0]] * 4, columns=["a", "a"]),
        None,
        {},
        ValueError,
        r"duplicate column names \['a'\]",
    ),
    (
        "unknown-categorical-name",
        GOOD,
        None,
        {"categorical_features": ["b", "nope"]},
        ValueError,
        "categorical_features.*'nope'",
    ),
    (
        "categorical-index-out-of-range",
        GOOD.to_numpy(),
        None,
        {"categorical_features": [1, 5]},
        ValueError,
        "categorical_features.*5",
    ),
    (
        "categorical-mask-wrong-length",
        GOOD,
        None,
        {"categorical_features": [True]},
        ValueError,
        "categorical_features",
    ),
    ("y-too-short", GOOD, GOOD_Y[:-1], {}, ValueError, "y has 39 labels but X has 40"),
    ("y-nan", GOOD, np.r_[GOOD_Y[:-1], np.nan], {}, ValueError, "y contains NaN"),
    ("y-continuous", GOOD, RNG.normal(size=40), {}, ValueError, "Unknown label type"),
    ("y-2-d", GOOD, np.ones((40, 2)), {}, ValueError, "y"),
    ("no-cuda", GOOD, None, {"device": "cuda:7"}, ValueError, "'device'"),
    ("unknown-device", GOOD, None, {"device": "tpu"}, ValueError, "'device'.*'tpu'"),
    ("bad-epochs", GOOD, None, {"epochs": 0}, ValueError, "'epochs' parameter"),
    (
        "bad-dims",
        GOOD,
        None,
        {"generator_dims": (16, -1)},
        ValueError,
        "'generator_dims'.*-1",
    ),
]


@pytest.mark.parametrize(
    "X, y, params, error, match",
    [case[1:] for case in FIT_REJECTS],
    ids=[case[0] for case in FIT_REJECTS],
)
def test_fit_rejects(X, y, params, error, match):
    if params.get("device") == "cuda:7" and torch.cuda.device_count() > 7:
        pytest.skip("this machine has 8 GPUs")
    # A fitted estimator that then gets bad input must not keep looking
    # fitted with a mix of old and new state.
    gan = tiny().fit(GOOD)
    before = dict(vars(gan))
    gan.set_params(**params)
    with pytest.raises(error, match=match):
        gan.fit(X, y)
    try:
        check_is_fitted(gan)
    except NotFittedError:
        return  # the failed fit dropped the old one: fine
    # Still fitted: then it must be the old fit, untouched (invalid parameter
    # values are rejected before fit changes anything, as in scikit-learn).
    assert {k: v for k, v in vars(gan).items() if k.endswith("_")} == {
        k: v for k, v in before.items() if k.endswith("_")
    }
    assert gan.sample(2).shape == (2, 2)


@pytest.fixture(scope="module")
def fitted():
    return tiny(epochs=2).fit(GOOD, np.where(GOOD_Y == 1, "yes", "no"))


SAMPLE_REJECTS = [
    ("zero", dict(n_samples=0), ValueError, "'n_samples'.*>= 1.*Got 0"),
    ("negative", dict(n_samples=-3), ValueError, "'n_samples'.*Got -3"),
    ("float", dict(n_samples=2.0), TypeError, r"'n_samples'.*Got 2\.0 \(float\)"),
    ("none", dict(n_samples=None), TypeError, "'n_samples'.*Got None"),
    ("bool", dict(n_samples=True), TypeError, "'n_samples'"),
    (
        "unknown-condition-column",
        dict(conditions={"zzz": "x"}),
        ValueError,
        "column 'zzz'.*Categorical columns: \\['b'\\]",
    ),
    (
        "condition-on-continuous",
        dict(conditions={"a": 1.0}),
        ValueError,
        "'a' is continuous",
    ),
    (
        "unknown-condition-value",
        dict(conditions={"b": "z"}),
        ValueError,
        "Unknown value 'z' for column 'b'.*Valid values",
    ),
    ("conditions-not-dict", dict(conditions=[("b", "x")]), TypeError, "conditions"),
    ("unknown-class", dict(y="maybe"), ValueError, "maybe"),
    ("wrong-number-of-labels", dict(n_samples=3, y=["yes", "no"]), ValueError, "y"),
]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [case[1:] for case in SAMPLE_REJECTS],
    ids=[case[0] for case in SAMPLE_REJECTS],
)
def test_sample_rejects(fitted, kwargs, error, match):
    kwargs = {"n_samples": 5, **kwargs}
    n_samples = kwargs.pop("n_samples")
    with pytest.raises(error, match=match):
        fitted.sample(n_samples, **kwargs)
    # Nothing was consumed from the model: it still samples.
    assert fitted.sample(2).shape == (2, 2)


def test_y_and_return_y_need_a_class_conditional_model():
    gan = tiny().fit(GOOD)
    for kwargs in (dict(y="a"), dict(return_y=True)):
        with pytest.raises(ValueError, match=r"fit\(X, y\)"):
            gan.sample(3, **kwargs)


FIT_RESAMPLE_REJECTS = [
    ("one-class", GOOD, np.zeros(40, int), ValueError, "class"),
    ("y-too-short", GOOD, GOOD_Y[:-2], ValueError, "inconsistent numbers of samples"),
    ("continuous-y", GOOD, RNG.normal(size=40), ValueError, "Unknown label type"),
    ("inf", np.array([[1.0, np.inf]] * 40), GOOD_Y, ValueError, "infinity"),
    ("3-d", np.zeros((40, 2, 2)), GOOD_Y, ValueError, "dim 3"),
]


@pytest.mark.parametrize(
    "X, y, error, match",
    [case[1:] for case in FIT_RESAMPLE_REJECTS],
    ids=[case[0] for case in FIT_RESAMPLE_REJECTS],
)
def test_fit_resample_rejects(X, y, error, match):
    over = GANOverSampler(sampler=tiny(), random_state=0)
    with pytest.raises(error, match=match):
        over.fit_resample(X, y)
    assert not hasattr(over, "sampler_")


# ----------------------------------------------------------- must work


def test_nan_is_modelled_in_arrays_and_in_fit_resample():
    # The rate itself is checked against the real one, with a model trained
    # long enough, in test_tables.py::test_missing_values_come_back_at_about_the_real_rate.
    rng = np.random.RandomState(1)
    X = rng.normal(size=(400, 2))
    X[::4, 0] = np.nan
    out = tiny(epochs=5).fit(X).sample(2000, random_state=0)
    assert 0 < np.isnan(out[:, 0]).mean() < 1 and not np.isnan(out[:, 1]).any()
    y = (rng.rand(400) < 0.2).astype(int)
    X_res, y_res = GANOverSampler(sampler=tiny(epochs=5), random_state=0).fit_resample(
        X, y
    )
    new = X_res[len(X) :]
    assert len(new) == 2 * (y == 0).sum() - len(X)
    assert 0 < np.isnan(new[:, 0]).mean() < 1 and not np.isnan(new[:, 1]).any()


def test_one_row():
    X = pd.DataFrame({"a": [1.5], "b": ["x"], "n": [3]})
    out = tiny().fit(X).sample(5, random_state=0)
    assert list(out["b"]) == ["x"] * 5
    assert (out["a"] == 1.5).all() and (out["n"] == 3).all()  # clipped to the range
    over = GANOverSampler(sampler=tiny(), random_state=0)
    X_res, y_res = over.fit_resample(
        pd.concat([X] * 3, ignore_index=True), ["p", "q", "q"]
    )
    assert list(y_res) == ["p", "q", "q", "p"]


def test_one_level_categorical_column():
    X = GOOD.assign(c="only")
    out = tiny().fit(X).sample(20, conditions={"c": "only"}, random_state=0)
    assert (out["c"] == "only").all()
    assert tiny().fit(X).sample(20, random_state=1)["c"].eq("only").all()


def test_non_string_column_names():
    X = pd.DataFrame(RNG.normal(size=(30, 3)))  # columns 0, 1, 2
    X[3] = RNG.choice(["u", "v"], 30)
    gan = tiny().fit(X)
    assert not hasattr(gan, "feature_names_in_")
    out = gan.sample(10, conditions={3: "v"}, random_state=0)
    assert list(out.columns) == [0, 1, 2, 3] and (out[3] == "v").all()


def test_mixed_type_object_column():
    X = np.empty((40, 2), dtype=object)
    X[:, 0] = [1, "a", 2.5, None] * 10  # numbers, strings and None together
    X[:, 1] = RNG.normal(size=40)
    out = tiny().fit(X).sample(200, random_state=0)
    assert out.dtype == object
    levels = {repr(v) for v in out[:, 0]}
    assert levels <= {"1", "'a'", "2.5", "None"} and len(levels) >= 2
    assert all(isinstance(v, float) for v in out[:, 1])


def test_a_categorical_column_with_100000_levels(monkeypatch):
    # Memory stays linear in the levels: a compact training table (one code
    # per row) and a network whose size grows with the levels, never with
    # their square. A step costs O(batch x levels) (about 2.6 s here), so the
    # epoch is cut to 2 steps: this checks memory, encoding and decoding,
    # not what 200 steps would learn.
    import dataclasses

    original = GANSampler._training_config

    def two_steps(self, n_rows):
        return dataclasses.replace(original(self, n_rows), steps_per_epoch=2)

    monkeypatch.setattr(GANSampler, "_training_config", two_steps)
    n = 100_000
    X = pd.DataFrame({"id": [f"k{i}" for i in range(n)], "v": RNG.normal(size=n)})
    gan = tiny(batch_size=500, pac=10, conditional=False)
    with pytest.warns(UserWarning, match="'id'.*identifier") as record:
        gan.fit(X)
    # Attributed to the line that called fit, not to skgan's internals.
    assert [w.filename for w in record if "identifier" in str(w.message)] == [
        __file__
    ]
    n_params = sum(p.numel() for p in gan.generator_.parameters())
    n_params += sum(p.numel() for p in gan.discriminator_.parameters())
    assert n_params < 20 * (n + 1) * 10  # linear: ~16 weights per level and pack
    out = gan.sample(1000, random_state=0)
    assert out["id"].isin(X["id"]).all() and out["id"].nunique() > 900
    assert out["v"].between(X["v"].min(), X["v"].max()).all()


@settings(max_examples=15, deadline=None)
@given(
    n_samples=st.one_of(
        st.integers(max_value=0),
        st.floats(allow_nan=True),
        st.none(),
        st.text(max_size=3),
        st.booleans(),
    )
)
def test_any_invalid_n_samples_is_a_clear_error(fitted, n_samples):
    with pytest.raises(
        (ValueError, TypeError), match="'n_samples' parameter of sample"
    ):
        fitted.sample(n_samples)


# ----------------------------------------------------------------- fuzzing


_KINDS = ("float", "int", "bool", "category", "object", "datetime", "constant")


@st.composite
def random_tables(draw):
    """DataFrames of 1-40 rows with a mix of the column kinds users pass."""
    n = draw(st.integers(1, 40))
    kinds = draw(st.lists(st.sampled_from(_KINDS), min_size=1, max_size=4))

    def values(elements):
        return draw(st.lists(elements, min_size=n, max_size=n))

    columns = {}
    for i, kind in enumerate(kinds):
        if kind == "float":
            extreme = st.sampled_from([1e200, -1e-200, 0.0, np.nan, np.inf])
            column = pd.Series(values(st.one_of(st.floats(), extreme)), dtype=float)
        elif kind == "int":
            column = pd.Series(values(st.integers(-(2**40), 2**40)), dtype="int64")
        elif kind == "bool":
            column = pd.Series(values(st.booleans()), dtype=bool)
        elif kind == "category":
            column = pd.Categorical(values(st.sampled_from(["a", "b", "c", None])))
        elif kind == "object":
            text = st.one_of(st.text(max_size=3), st.none(), st.just(""))
            column = pd.Series(values(text), dtype=object)
        elif kind == "datetime":
            column = pd.to_datetime(values(st.integers(0, 10**9)), unit="s")
        else:
            column = np.full(n, 7.0)
        columns[f"{kind}{i}"] = column
    return pd.DataFrame(columns)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(X=random_tables())
def test_any_table_gives_a_working_model_or_a_clear_error(X):
    gan = tiny(batch_size=10)
    try:
        gan.fit(X)
    except (ValueError, TypeError) as error:
        event(f"refused: {type(error).__name__}")
        assert str(error)
        with pytest.raises(NotFittedError):
            check_is_fitted(gan)
        return
    event("fitted")
    out = gan.sample(7)
    assert isinstance(out, pd.DataFrame) and out.shape == (7, X.shape[1])
    assert list(out.columns) == list(X.columns)
    assert list(out.dtypes) == list(X.dtypes)
