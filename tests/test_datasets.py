"""Tests of skgan.datasets: the bundled Adult subsample."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skgan.datasets import ADULT_COLUMNS, ADULT_INTEGER_COLUMNS, load_adult

FULL_ADULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "adult.csv"
# Share of income >50K in the full UCI Adult training file (7,841 / 32,561).
FULL_POSITIVE_SHARE = 7841 / 32561
CATEGORICAL = [c for c in ADULT_COLUMNS if c not in ADULT_INTEGER_COLUMNS]


@pytest.fixture(scope="module")
def adult():
    return load_adult()


def test_shape_and_columns(adult):
    assert adult.shape == (3000, 15)
    assert tuple(adult.columns) == ADULT_COLUMNS
    assert list(adult.columns[-1:]) == ["income"]
    assert adult.index.equals(pd.RangeIndex(3000))


def test_dtypes(adult):
    for column in ADULT_INTEGER_COLUMNS:
        assert adult[column].dtype == np.int64, column
    for column in CATEGORICAL:
        assert adult[column].dtype == object, column
        values = adult[column].dropna()
        assert all(isinstance(value, str) for value in values), column
        # Cleaned: no leading/trailing spaces and no '?' left.
        assert (values == values.str.strip()).all(), column
        assert not (values == "?").any(), column
    assert set(adult["income"]) == {"<=50K", ">50K"}


def test_missing_values(adult):
    missing = adult.isna().sum()
    assert missing[["workclass", "occupation", "native-country"]].gt(0).all()
    assert set(missing[missing > 0].index) == {
        "workclass",
        "occupation",
        "native-country",
    }
    # Missing values are NaN, as pandas reads them.
    assert (
        adult.loc[adult["workclass"].isna(), "workclass"]
        .map(lambda value: isinstance(value, float) and np.isnan(value))
        .all()
    )


def test_stratified_on_income(adult):
    share = (adult["income"] == ">50K").mean()
    assert share == pytest.approx(FULL_POSITIVE_SHARE, abs=0.5 / 3000)
    assert (adult["income"] == ">50K").sum() == 722


def test_return_X_y(adult):
    X, y = load_adult(return_X_y=True)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    assert X.shape == (3000, 14) and y.shape == (3000,)
    assert "income" not in X.columns and y.name == "income"
    pd.testing.assert_frame_equal(X, adult.drop(columns="income"))
    pd.testing.assert_series_equal(y, adult["income"])


def test_each_call_returns_a_fresh_copy(adult):
    frame = load_adult()
    frame.loc[0, "age"] = -1
    assert load_adult().loc[0, "age"] == adult.loc[0, "age"]


def test_as_frame_false_matches_frame(adult):
    data = load_adult(as_frame=False)
    assert isinstance(data, np.ndarray) and data.dtype == object
    assert data.shape == (3000, 15)
    for j, column in enumerate(ADULT_COLUMNS):
        expected = adult[column].to_numpy(dtype=object)
        missing = adult[column].isna().to_numpy()
        got_missing = np.array(
            [isinstance(v, float) and np.isnan(v) for v in data[:, j]]
        )
        np.testing.assert_array_equal(got_missing, missing)
        assert list(data[~missing, j]) == list(expected[~missing]), column
        if column in ADULT_INTEGER_COLUMNS:
            assert all(type(value) is int for value in data[:, j])
    X, y = load_adult(as_frame=False, return_X_y=True)
    assert X.shape == (3000, 14) and y.shape == (3000,)
    assert list(y) == list(adult["income"])


def test_as_frame_false_gives_object_arrays():
    data = load_adult(as_frame=False)
    assert isinstance(data, np.ndarray) and data.shape == (3000, 15)
    assert data.dtype == object


def test_keyword_only():
    with pytest.raises(TypeError):
        load_adult(True)


@pytest.mark.skipif(not FULL_ADULT.exists(), reason="full Adult file not available")
def test_sample_rows_come_from_the_full_file(adult):
    from skgan.datasets import _read_adult_frame

    full = _read_adult_frame(FULL_ADULT)
    assert full.shape == (32561, 15)
    assert (full["income"] == ">50K").mean() == pytest.approx(FULL_POSITIVE_SHARE)
    keys = list(ADULT_COLUMNS)
    merged = adult.fillna("<NA>").merge(
        full.fillna("<NA>").drop_duplicates(), on=keys, how="left", indicator=True
    )
    assert len(merged) == len(adult)
    assert (merged["_merge"] == "both").all()
