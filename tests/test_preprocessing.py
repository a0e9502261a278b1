"""CategoryEncoder: every table GANSampler takes, in a form HistGradientBoosting takes."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from skgan import CategoryEncoder


def every_column_type(n=200, seed=0):
    """One column of every kind GANSampler accepts, most with missing values."""
    rng = np.random.RandomState(seed)
    gap = rng.rand(n) < 0.1
    days = pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.randint(0, 900, n), "D")
    X = pd.DataFrame(
        {
            "int": rng.randint(0, 5, n),
            "float": np.where(gap, np.nan, rng.normal(size=n)),
            "Int64": pd.array(np.where(gap, None, rng.randint(0, 9, n)), dtype="Int64"),
            "Float64": pd.array(np.where(gap, None, rng.rand(n)), dtype="Float64"),
            "bool": rng.rand(n) < 0.5,
            "boolean": pd.array(
                np.where(gap, None, rng.rand(n) < 0.5), dtype="boolean"
            ),
            "category": pd.Categorical(rng.choice(["x", "y", "z"], n)),
            "object": np.where(gap, None, rng.choice(["u", "v", "w"], n)).astype(
                object
            ),
            "string": pd.array(
                np.where(gap, None, rng.choice(["p", "q"], n)), "string"
            ),
            "datetime": days.where(~gap),
            "datetime_tz": days.tz_localize("Europe/Paris"),
            "timedelta": pd.to_timedelta(rng.randint(0, 100, n), unit="min"),
            "many": np.array([f"id{k}" for k in rng.randint(0, 400, n)], dtype=object),
        }
    )
    return X


def test_every_column_type_becomes_what_histgradientboosting_takes():
    X = every_column_type()
    encoder = CategoryEncoder(max_categories=50).fit(X)
    out = encoder.transform(X)
    assert dict(zip(X.columns, encoder.encodings_, strict=True)) == {
        "int": "passthrough",
        "float": "passthrough",
        "Int64": "number",
        "Float64": "number",
        "bool": "number",
        "boolean": "number",
        "category": "category",
        "object": "category",
        "string": "category",
        "datetime": "number",
        "datetime_tz": "number",
        "timedelta": "number",
        "many": "ordinal",
    }
    assert list(out.columns) == list(X.columns) and out.index.equals(X.index)
    for name in ["category", "object", "string"]:
        assert out[name].dtype == "category"
        # The levels seen in fit, the values themselves; missing stays missing.
        assert list(out[name].cat.categories) == sorted(X[name].dropna().unique())
        np.testing.assert_array_equal(out[name].isna(), X[name].isna())
        assert (out[name].astype(object)[X[name].notna()] == X[name].dropna()).all()
    numeric = [c for c in X.columns if c not in ("category", "object", "string")]
    assert all(out[c].dtype.kind in "if" for c in numeric)
    np.testing.assert_array_equal(out["int"], X["int"])
    np.testing.assert_array_equal(out["Int64"].isna(), X["Int64"].isna())
    # Dates are seconds since the epoch (UTC for tz-aware ones), durations seconds.
    assert (
        out["datetime"].iloc[np.flatnonzero(X["datetime"].notna())[0]]
        == (X["datetime"].dropna().iloc[0] - pd.Timestamp("1970-01-01")).total_seconds()
    )
    np.testing.assert_array_equal(out["datetime"].isna(), X["datetime"].isna())
    np.testing.assert_allclose(
        out["datetime_tz"],
        (X["datetime_tz"].dt.tz_convert("UTC").dt.tz_localize(None) - pd.Timestamp(0))
        .dt.total_seconds()
        .to_numpy(),
    )
    np.testing.assert_allclose(out["timedelta"], X["timedelta"].dt.total_seconds())
    # The column with more levels than max_categories: codes of sorted levels.
    levels = np.array(sorted(X["many"].unique()), dtype=object)
    np.testing.assert_array_equal(out["many"], np.searchsorted(levels, X["many"]))
    # HistGradientBoosting takes it, with the text and category columns as
    # categories, and the rest as numbers.
    y = (X["object"] == "u").to_numpy()
    model = HistGradientBoostingClassifier(
        categorical_features="from_dtype", max_iter=5
    )
    model.fit(out, y)
    assert [
        c for c, cat in zip(X.columns, model.is_categorical_, strict=True) if cat
    ] == [
        "category",
        "object",
        "string",
    ]


def test_a_10000_level_column_becomes_ordinal_codes():
    rng = np.random.RandomState(0)
    ids = np.array([f"user{k:05d}" for k in range(10_000)], dtype=object)
    X = pd.DataFrame({"id": rng.permutation(ids), "x": rng.normal(size=10_000)})
    y = rng.randint(0, 2, 10_000)
    encoder = CategoryEncoder().fit(X)
    assert encoder.encodings_.tolist() == ["ordinal", "passthrough"]
    assert len(encoder.categories_[0]) == 10_000 and encoder.categories_[1] is None
    out = encoder.transform(X)
    assert out["id"].dtype == np.float64
    np.testing.assert_array_equal(out["id"], [int(v[4:]) for v in X["id"]])
    # A level never seen in fit is missing, as HistGradientBoosting treats it.
    unseen = encoder.transform(pd.DataFrame({"id": ["user99999", None], "x": [0, 1]}))
    assert unseen["id"].isna().all()
    model = HistGradientBoostingClassifier(
        categorical_features="from_dtype", max_iter=5
    )
    model.fit(out, y)  # 10,000 categories would exceed its 255
    assert model.predict(encoder.transform(X.head(3))).shape == (3,)
    # The threshold is max_categories: 255 levels still are categories.
    assert CategoryEncoder().fit(X.head(255)).encodings_[0] == "category"
    assert CategoryEncoder().fit(X.head(256)).encodings_[0] == "ordinal"


def test_unseen_categories_become_missing():
    X = pd.DataFrame({"colour": ["red", "blue", "red"], "n": [1, 2, 3]})
    encoder = CategoryEncoder().fit(X)
    out = encoder.transform(pd.DataFrame({"colour": ["green", "blue"], "n": [4, 5]}))
    assert out["colour"].isna().tolist() == [True, False]
    assert list(out["colour"].cat.categories) == ["blue", "red"]


def test_numeric_arrays_pass_through_unchanged():
    rng = np.random.RandomState(0)
    for X in [rng.normal(size=(20, 3)).astype(np.float32), rng.randint(0, 9, (20, 2))]:
        encoder = CategoryEncoder().fit(X)
        assert set(encoder.encodings_) == {"passthrough"}
        out = encoder.transform(X)
        assert isinstance(out, np.ndarray) and out.dtype == X.dtype
        np.testing.assert_array_equal(out, X)


def test_string_and_object_arrays():
    rng = np.random.RandomState(0)
    strings = rng.choice(["a", "b", "c"], (30, 2))
    out = CategoryEncoder().fit_transform(strings)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["x0", "x1"]
    assert (out.dtypes == "category").all()
    assert out.astype(object).to_numpy().tolist() == strings.tolist()
    # Numbers in an object array are numbers (missing ones NaN); mixed-type
    # levels, which HistGradientBoosting's encoder cannot sort, become codes.
    mixed = np.array([[1.5, "a", None], [2, 3, 4.0], [None, "a", 1]] * 5, dtype=object)
    encoder = CategoryEncoder().fit(mixed)
    assert encoder.encodings_.tolist() == ["number", "category", "number"]
    out = encoder.transform(mixed)
    np.testing.assert_array_equal(out["x0"], [1.5, 2.0, np.nan] * 5)
    assert out["x1"].cat.codes.tolist() == [0, 1, 0] * 5
    assert list(out["x1"].cat.categories) == [0, 1]
    HistGradientBoostingClassifier(max_iter=2).fit(out, [0, 1, 1] * 5)


@pytest.mark.parametrize("max_categories", [0, 1.5, "255"])
def test_max_categories_is_validated(max_categories):
    with pytest.raises(
        ValueError, match="'max_categories' parameter of CategoryEncoder"
    ):
        CategoryEncoder(max_categories=max_categories).fit([[1.0]])
