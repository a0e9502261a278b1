"""Tests of skgan.metrics on constructions whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from skgan.metrics import (
    QualityReport,
    class_fidelity,
    column_pair_trends,
    column_shapes,
    detection_auc,
    distance_to_closest_record,
    ml_efficacy,
    quality_report,
)


def mixed_table(n, seed=0, shift=0.0):
    """A table with two continuous and two categorical columns."""
    rng = np.random.RandomState(seed)
    x = rng.normal(shift, 1.0, n)
    probabilities = [0.2, 0.3, 0.5] if shift else [0.5, 0.3, 0.2]
    return pd.DataFrame(
        {
            "x": x,
            "y": 2 * x + rng.normal(0, 1, n),
            "colour": rng.choice(["red", "green", "blue"], n, p=probabilities),
            "flag": x + rng.normal(0, 0.5, n) > shift,
        }
    )


# -- column_shapes -----------------------------------------------------------


def test_identical_tables_score_one():
    real = mixed_table(200)
    shuffled = real.sample(frac=1.0, random_state=1)  # row order is irrelevant
    shapes = column_shapes(real, shuffled)
    assert shapes.score == pytest.approx(1.0)
    assert shapes.column_metrics == {
        "x": "KS",
        "y": "KS",
        "colour": "TVD",
        "flag": "TVD",
    }
    assert column_pair_trends(real, shuffled).score == pytest.approx(1.0)


def test_disjoint_categories_score_zero():
    real = pd.DataFrame({"c": ["a", "b"] * 20})
    synthetic = pd.DataFrame({"c": ["c", "d", "e"] * 10})
    assert column_shapes(real, synthetic).column_scores["c"] == pytest.approx(0.0)


def test_shifted_column_scores_one_minus_shift_fraction():
    # Uniform grid of 100 values shifted by 20 steps: the empirical CDFs are
    # 0.2 apart over the overlap, so KS = 0.2 exactly.
    real = np.arange(100.0)[:, None]
    synthetic = real + 20
    result = column_shapes(real, synthetic)
    assert result.column_scores[0] == pytest.approx(0.8)
    assert result.score == pytest.approx(0.8)


def test_tvd_of_known_frequencies():
    real = np.array([["a"]] * 50 + [["b"]] * 50, dtype=object)
    synthetic = np.array([["a"]] * 80 + [["b"]] * 20, dtype=object)
    assert column_shapes(real, synthetic).score == pytest.approx(1 - 0.3)


def test_nan_in_continuous_column_is_dropped():
    real = np.arange(100.0)[:, None]
    with_nan = np.vstack([real + 20, [[np.nan]] * 30])
    assert column_shapes(real, with_nan).score == pytest.approx(0.8)


def test_missing_categorical_value_is_its_own_category():
    real = pd.DataFrame({"c": ["a", None, "a", np.nan]})
    synthetic = pd.DataFrame({"c": ["a", "a", "a", "a"]})
    assert column_shapes(real, synthetic).score == pytest.approx(0.5)


def test_categorical_features_override_dtype_rule():
    real = np.array([[0, 1.0], [1, 2.0], [2, 3.0]])
    by_index = column_shapes(real, real, categorical_features=[0])
    by_mask = column_shapes(real, real, categorical_features=[True, False])
    from_end = column_shapes(real, real, categorical_features=[-2])  # as GANSampler
    assert by_index.column_metrics == by_mask.column_metrics == {0: "TVD", 1: "KS"}
    assert from_end.column_metrics == by_index.column_metrics
    frame = pd.DataFrame(real, columns=["a", "b"])
    by_name = column_shapes(frame, frame, categorical_features=["a"])
    assert by_name.column_metrics == {"a": "TVD", "b": "KS"}


def test_dataframe_columns_are_matched_by_name():
    real = mixed_table(100)
    reordered = real[["flag", "colour", "y", "x"]]
    assert column_shapes(real, reordered).score == pytest.approx(1.0)


# -- column_pair_trends ------------------------------------------------------


def test_correlated_against_anticorrelated_scores_zero():
    x = np.linspace(-1, 1, 50)
    real = np.c_[x, x]
    synthetic = np.c_[x, -x]
    result = column_pair_trends(real, synthetic)
    assert result.pair_scores[(0, 1)] == pytest.approx(0.0)
    assert result.pair_metrics[(0, 1)] == "correlation"


def test_categorical_pair_with_same_marginals_but_swapped_joint():
    real = pd.DataFrame({"a": ["p", "q"] * 20, "b": ["u", "v"] * 20})
    synthetic = pd.DataFrame({"a": ["p", "q"] * 20, "b": ["v", "u"] * 20})
    assert column_shapes(real, synthetic).score == pytest.approx(1.0)
    result = column_pair_trends(real, synthetic)
    assert result.pair_scores[("a", "b")] == pytest.approx(0.0)
    assert result.pair_metrics[("a", "b")] == "contingency"


def test_mixed_pair_uses_quantile_bins_of_real():
    x = np.arange(100.0)
    real = pd.DataFrame({"x": x, "high": np.where(x >= 50, "yes", "no")})
    synthetic = pd.DataFrame({"x": x, "high": np.where(x >= 50, "no", "yes")})
    result = column_pair_trends(real, synthetic)
    assert result.pair_metrics[("x", "high")] == "contingency"
    assert result.pair_scores[("x", "high")] == pytest.approx(0.0)
    assert column_pair_trends(real, real).score == pytest.approx(1.0)


def test_pair_trends_need_two_columns():
    with pytest.raises(ValueError, match="at least 2 columns; the tables have 1"):
        column_pair_trends(np.ones((5, 1)), np.ones((5, 1)))


# -- detection_auc -----------------------------------------------------------


def test_detection_auc_same_distribution_is_near_half():
    result = detection_auc(mixed_table(600, seed=0), mixed_table(700, seed=1), cv=3)
    assert result.auc == pytest.approx(0.5, abs=0.1)
    assert result.n_samples == 600
    assert result.fold_aucs.shape == (3,)


def test_detection_auc_different_distributions_is_high():
    real, synthetic = mixed_table(600, seed=0), mixed_table(600, seed=1, shift=3.0)
    result = detection_auc(real, synthetic, cv=3)
    assert result.auc > 0.9
    assert 0.0 <= result.score < 0.2


def test_detection_auc_rejects_too_many_folds():
    with pytest.raises(ValueError, match="cv=5 folds need at least 5 rows"):
        detection_auc(np.ones((3, 2)), np.ones((10, 2)), cv=5)


@pytest.mark.parametrize("n", [10, 20])
def test_detection_auc_tells_small_tables_apart(n):
    # With HistGradientBoosting's default leaves of 20 rows, folds of under
    # 40 training rows allowed no split: the AUC read 0.5 for any tables.
    rng = np.random.RandomState(0)
    real = rng.normal(size=(n, 2))
    assert detection_auc(real, real + 100).auc > 0.9
    if n >= 20:  # HistGradientBoosting ignores categories of under 10 rows
        words = pd.DataFrame({"w": ["x"] * n}), pd.DataFrame({"w": ["y"] * n})
        assert detection_auc(*words).auc > 0.9


def test_detection_auc_rejects_folds_of_one_table():
    from sklearn.model_selection import KFold

    rng = np.random.RandomState(0)
    real = rng.normal(size=(60, 2))
    with pytest.raises(ValueError, match="rows of one table only.*KFold"):
        detection_auc(real, real + 3, cv=KFold(5))
    shuffled = KFold(5, shuffle=True, random_state=0)
    assert detection_auc(real, real + 3, cv=shuffled).auc > 0.9


# -- ml_efficacy -------------------------------------------------------------


def test_ml_efficacy_synthetic_equal_to_real_gives_identical_scores():
    table = mixed_table(300)
    train, test = table.iloc[:200], table.iloc[200:]
    result = ml_efficacy(train, train.copy(), test, target="colour")
    assert result.task == "classification"
    assert result.synthetic == result.real
    assert set(result.real) == {"f1_macro", "accuracy"}
    assert all(0.0 <= value <= 1.0 for value in result.real.values())
    assert "synthetic" in str(result)


def test_ml_efficacy_regression_on_arrays():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    X[:, 2] = X[:, 0] - X[:, 1] + 0.1 * rng.normal(size=300)
    result = ml_efficacy(X[:200], X[:200], X[200:], target=2)
    assert result.task == "regression"
    assert result.synthetic == result.real
    assert result.real["r2"] > 0.5


def test_ml_efficacy_rejects_unknown_target():
    table = mixed_table(50)
    with pytest.raises(ValueError, match="target 'nope' is not a column"):
        ml_efficacy(table, table, table, target="nope")


def test_ml_efficacy_learns_from_a_small_training_table():
    # 30 training rows: with leaves of at least 20 rows the models could
    # only predict a constant, and synthetic and real always tied.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(230, 2))
    X[:, 1] = (X[:, 0] > 0).astype(float)
    result = ml_efficacy(X[:30], X[:30], X[30:], target=1, task="classification")
    assert result.real["accuracy"] > 0.9


# -- class_fidelity ----------------------------------------------------------


def labelled(n, seed, shift=4.0, minority=0.2):
    """Class "b" (a ``minority`` share) has x shifted by ``shift``; z is noise."""
    rng = np.random.RandomState(seed)
    label = np.where(rng.uniform(size=n) < minority, "b", "a")
    return pd.DataFrame(
        {
            "x": rng.normal(size=n) + shift * (label == "b"),
            "z": rng.normal(size=n),
            "colour": rng.choice(["red", "blue"], n),
            "label": label,
        }
    )


def test_class_fidelity_real_rows_score_about_one():
    train, test, synthetic = labelled(1000, 0), labelled(500, 1), labelled(2000, 2)
    result = class_fidelity(train, synthetic, test, "label")
    assert result.classes == ["a", "b"]  # most frequent first
    assert result.n_real == {c: int((test["label"] == c).sum()) for c in "ab"}
    assert result.n_synthetic == {c: int((synthetic["label"] == c).sum()) for c in "ab"}
    for c in "ab":
        assert result.recall_real[c] > 0.8
        assert result.recall_ratio[c] == pytest.approx(1.0, abs=0.1)
        assert result.column_shapes[c] > 0.85
    assert abs(result.shapes_gap) < 0.1


def test_class_fidelity_minority_rows_that_look_like_the_majority():
    # Rows labelled "b" drawn as class "a": a classifier calls them "a", and
    # their marginals are those of "a", not "b" (x off by 4 sd).
    train, test = labelled(1000, 0), labelled(500, 1)
    synthetic = labelled(2000, 2, shift=0.0)
    result = class_fidelity(train, synthetic, test, "label")
    assert result.recall_ratio["a"] > 0.9
    assert result.recall_ratio["b"] < 0.2
    assert result.min_recall_ratio == result.recall_ratio["b"]
    assert result.column_shapes["b"] < result.column_shapes["a"] - 0.2
    assert result.shapes_gap > 0.2
    frame = result.to_frame()
    assert list(frame.index) == ["a", "b"]
    assert frame.loc["b", "recall_ratio"] == result.recall_ratio["b"]
    assert "recall_ratio" in str(result)


def test_class_fidelity_on_arrays_with_numeric_labels():
    # A numeric label column is a class column whatever its dtype.
    table = labelled(900, 0)
    X = np.column_stack([table["x"], table["z"], (table["label"] == "b") * 7])
    result = class_fidelity(X[:600], X[600:], X[600:], target=2)
    assert result.classes == [0.0, 7.0]
    assert result.recall_ratio == {0.0: 1.0, 7.0: 1.0}


def test_class_fidelity_class_missing_from_synthetic_is_nan():
    train, test = labelled(600, 0), labelled(300, 1)
    synthetic = labelled(300, 2).query("label == 'a'")
    result = class_fidelity(train, synthetic, test, "label")
    assert result.n_synthetic["b"] == 0
    assert np.isnan(result.recall_synthetic["b"])
    assert np.isnan(result.column_shapes["b"])
    assert result.min_recall_ratio == result.recall_ratio["a"]


def test_class_fidelity_rejects_unknown_classes_and_one_class():
    train, test = labelled(600, 0), labelled(300, 1)
    synthetic = labelled(300, 2).replace({"label": {"b": "c"}})
    with pytest.raises(ValueError, match="class\\(es\\) of 'label' that real_train"):
        class_fidelity(train, synthetic, test, "label")
    single = train.assign(label="a")
    with pytest.raises(ValueError, match="at least two classes"):
        class_fidelity(single, single, test, "label")
    with pytest.raises(ValueError, match="target 'nope' is not a column"):
        class_fidelity(train, train, test, "nope")


# -- distance_to_closest_record ----------------------------------------------


def test_dcr_copies_of_training_rows():
    table = mixed_table(200)
    train, holdout = table.iloc[:150], table.iloc[150:]
    copies = train.sample(n=80, replace=True, random_state=0)
    result = distance_to_closest_record(copies, train, holdout)
    assert result.exact_copy_rate == 1.0
    np.testing.assert_array_equal(result.synthetic_distances, np.zeros(80))
    assert result.holdout_exact_copy_rate == 0.0
    assert result.holdout_distances.shape == (50,)
    assert (result.holdout_distances > 0).all()
    assert result.median_ratio == 0.0


def test_dcr_memorised_rows_are_closer_than_holdout():
    rng = np.random.RandomState(0)
    train, holdout = rng.normal(size=(300, 4)), rng.normal(size=(300, 4))
    near_copies = train + rng.normal(0, 0.01, train.shape)
    result = distance_to_closest_record(near_copies, train, holdout)
    assert result.exact_copy_rate == 0.0
    assert result.median_ratio < 0.1
    fresh = distance_to_closest_record(rng.normal(size=(300, 4)), train, holdout)
    assert 0.7 < fresh.median_ratio < 1.4


def test_dcr_rejects_nan():
    train = np.ones((5, 2))
    synthetic = train.copy()
    synthetic[1, 1] = np.nan
    with pytest.raises(ValueError, match="column 1 of synthetic holds 1 NaN"):
        distance_to_closest_record(synthetic, train, train)


@pytest.mark.parametrize("factor", [1e200, 1e-200])
def test_trends_and_distances_do_not_overflow(factor):
    # Sums of squares of values near 1e155 overflow float64 (below 1e-160
    # they underflow): correlations read 0 or NaN, distances all 0.
    rng = np.random.RandomState(0)
    x = rng.normal(size=(200, 2))
    x[:, 1] += x[:, 0]
    opposite = x * [1, -1]
    expected = column_pair_trends(x, opposite).score
    assert 0.2 < expected < 0.4
    assert column_pair_trends(x * factor, opposite * factor).score == pytest.approx(
        expected, abs=1e-9
    )
    train, holdout, fresh = x[:100], x[100:], rng.normal(size=(100, 2))
    plain = distance_to_closest_record(fresh, train, holdout)
    scaled = distance_to_closest_record(
        fresh * factor, train * factor, holdout * factor
    )
    np.testing.assert_allclose(
        scaled.synthetic_distances, plain.synthetic_distances, rtol=1e-9
    )


def test_datetime_and_timedelta_columns_are_continuous():
    # GANSampler generates them; the metrics read them as nanoseconds.
    rng = np.random.RandomState(0)
    days = pd.to_timedelta(rng.randint(0, 365, 300), unit="D")
    real = pd.DataFrame(
        {
            "when": pd.Timestamp("2024-01-01") + days,
            "zoned": (pd.Timestamp("2024-01-01") + days).tz_localize("Europe/Paris"),
            "took": pd.to_timedelta(rng.exponential(3, 300), unit="h"),
            "v": rng.normal(size=300),
        }
    )
    real.loc[5, "when"] = pd.NaT
    # The same instants in another unit are the same values.
    same = real.assign(when=real["when"].astype("datetime64[s]"))
    assert column_shapes(real, same).score == 1.0
    assert column_pair_trends(real, same).score == pytest.approx(1.0)
    later = real.assign(when=real["when"] + pd.Timedelta(days=400))
    assert column_shapes(real, later).column_scores["when"] == pytest.approx(
        0.0, abs=0.01
    )
    report = quality_report(real, later, cv=2)
    assert report.detection.auc > 0.9


# -- quality_report ----------------------------------------------------------


def test_quality_report_keys_and_printing():
    table = mixed_table(400)
    real, holdout = table.iloc[:250], table.iloc[250:]
    synthetic = mixed_table(250, seed=3)
    report = quality_report(real, synthetic, target="flag", real_holdout=holdout, cv=3)
    assert isinstance(report, QualityReport)
    summary = report.to_dict()
    assert list(summary) == [
        "column_shapes",
        "column_pair_trends",
        "detection_auc",
        "ml_f1_macro_synthetic",
        "ml_f1_macro_real",
        "ml_accuracy_synthetic",
        "ml_accuracy_real",
        "dcr_median_synthetic",
        "dcr_median_holdout",
        "exact_copy_rate",
        "holdout_exact_copy_rate",
    ]
    assert all(isinstance(value, float) for value in summary.values())
    text = str(report)
    assert text == repr(report)
    for key in summary:
        assert key in text
    frame = report.to_frame()
    assert list(frame.columns) == ["metric", "value", "reading"]
    assert frame["metric"].tolist() == list(summary)


def test_quality_report_without_holdout_and_plot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    real = np.random.RandomState(0).normal(size=(60, 2))
    report = quality_report(real, real[::-1], cv=3)
    assert list(report.to_dict()) == [
        "column_shapes",
        "column_pair_trends",
        "detection_auc",
    ]
    assert report.ml_efficacy is None and report.privacy is None
    ax = report.plot()
    assert len(ax.patches) == 3
    plt.close(ax.figure)


def test_quality_report_target_needs_holdout():
    real = mixed_table(50)
    with pytest.raises(ValueError, match="target needs real_holdout"):
        quality_report(real, real, target="x")


# -- validation --------------------------------------------------------------


@pytest.mark.parametrize(
    "real, synthetic, match",
    [
        (np.ones((5, 3)), np.ones((5, 2)), "synthetic has 2 columns .* real has 3"),
        (np.ones((0, 2)), np.ones((5, 2)), "real is empty: it has 0 rows"),
        (np.ones((5, 2)), np.ones((0, 2)), "synthetic is empty"),
        (np.ones(5), np.ones(5), r"must be a 2-D table .* shape \(5,\)"),
        (
            np.array([[1.0], [np.inf]]),
            np.ones((2, 1)),
            "Column 0 of real holds infinite values",
        ),
    ],
)
def test_invalid_tables(real, synthetic, match):
    with pytest.raises(ValueError, match=match):
        column_shapes(real, synthetic)


def test_mismatched_dataframe_columns():
    real = pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 2.0]})
    synthetic = pd.DataFrame({"a": [1.0, 2.0], "c": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"missing from synthetic: \['b'\]"):
        column_shapes(real, synthetic)


def test_non_numeric_values_in_continuous_column():
    real = pd.DataFrame({"a": [1.0, 2.0]})
    synthetic = pd.DataFrame({"a": ["x", "y"]})
    with pytest.raises(ValueError, match="Column 'a' is treated as continuous"):
        column_shapes(real, synthetic)


@pytest.mark.parametrize(
    "categorical_features, match",
    [
        (["nope"], "unknown column 'nope'"),
        ([5], "index 5 is out of range for tables with 2 columns"),
        ([-3], "index -3 is out of range for tables with 2 columns"),
        ([True], "boolean mask of length 1, but the tables have 2 columns"),
    ],
)
def test_invalid_categorical_features(categorical_features, match):
    real = pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 2.0]})
    with pytest.raises(ValueError, match=match):
        column_shapes(real, real, categorical_features=categorical_features)


def test_metrics_leave_inputs_unchanged():
    real = mixed_table(80)
    synthetic = mixed_table(80, seed=1)
    before = real.copy(), synthetic.copy()
    column_shapes(real, synthetic)
    column_pair_trends(real, synthetic)
    distance_to_closest_record(synthetic, real, real)
    pd.testing.assert_frame_equal(real, before[0])
    pd.testing.assert_frame_equal(synthetic, before[1])
