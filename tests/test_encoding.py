"""Encoders: exact round trips, the published layout and the compact table."""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skgan._encoding import ModeNormalizer, Span, TableEncoder


def mixed_columns(n=3000, seed=0):
    rng = np.random.RandomState(seed)
    comp = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    bimodal = (
        np.array([-5.0, 0.0, 8.0])[comp]
        + rng.normal(size=n) * np.array([0.5, 1.0, 0.3])[comp]
    )
    return np.c_[bimodal, rng.normal(100, 15, n), np.full(n, 2.0), rng.poisson(3, n)]


def test_mode_normalizer_round_trip_and_modes():
    X = torch.tensor(mixed_columns())
    normalizer = ModeNormalizer().fit(X)
    scalar, mode = normalizer.transform(X)
    torch.testing.assert_close(
        normalizer.inverse_transform(scalar, mode), X, rtol=0, atol=1e-9
    )
    # Three modes found in the bimodal-plus column, one for the Gaussian and
    # the constant; every value's mode is one of its column's.
    assert normalizer.n_modes_[0] == 3
    assert normalizer.n_modes_[1:3] == [1, 1]
    assert (mode >= 0).all() and (mode < torch.tensor(normalizer.n_modes_)).all()
    assert (scalar.abs() <= 1).double().mean() > 0.99


finite_tables = arrays(
    np.float64,
    st.tuples(st.integers(1, 40), st.integers(1, 4)),
    elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=40, deadline=None)
@given(finite_tables)
def test_mode_normalizer_round_trip_property(X):
    X = torch.tensor(X)
    normalizer = ModeNormalizer(max_modes=4).fit(X)
    decoded = normalizer.inverse_transform(*normalizer.transform(X))
    torch.testing.assert_close(decoded, X, rtol=1e-9, atol=1e-6)
    # Modes drawn from the posterior decode exactly too.
    drawn = normalizer.inverse_transform(*normalizer.transform(X, random_state=0))
    torch.testing.assert_close(drawn, X, rtol=1e-9, atol=1e-6)


def test_posterior_modes_split_overlapping_values():
    rng = np.random.RandomState(0)
    X = torch.tensor(np.r_[rng.normal(0, 1, 3000), rng.normal(2.5, 1, 3000)][:, None])
    normalizer = ModeNormalizer().fit(X)
    assert normalizer.n_modes_ == [2]
    _, argmax_mode = normalizer.transform(X)
    _, drawn_mode = normalizer.transform(X, random_state=0)
    # Near the boundary (1.25) the most likely mode flips sharply; drawn
    # modes are mixed there, and agree with argmax far from it.
    near = (X[:, 0] - 1.25).abs() < 0.3
    far = (X[:, 0] - 1.25).abs() > 3
    assert (argmax_mode[near] != drawn_mode[near]).double().mean() > 0.2
    assert (argmax_mode[far] == drawn_mode[far]).all()


def round_trip(X, y=None, **params):
    encoder = TableEncoder(**params).fit(X, y, random_state=0)
    return encoder, encoder.inverse_transform(*encoder.transform(X, y))


@settings(max_examples=40, deadline=None)
@given(
    finite_tables.filter(lambda X: True),
    st.sampled_from(["float64", "float32", "int64"]),
)
def test_table_encoder_round_trips_numeric_arrays(X, dtype):
    X = X.astype(dtype)
    _, (decoded, y) = round_trip(X)
    assert y is None and decoded.dtype == X.dtype
    np.testing.assert_allclose(
        decoded, X, rtol=1e-6 if dtype == "float32" else 1e-9, atol=1e-6
    )


rows = st.integers(1, 30)


@st.composite
def mixed_frames(draw):
    n = draw(rows)
    floats = st.one_of(st.floats(-1e5, 1e5, allow_nan=False), st.just(np.nan))
    levels = st.sampled_from(["a", "b", "c d", None])
    frame = pd.DataFrame(
        {
            "x": pd.Series(draw(st.lists(floats, min_size=n, max_size=n)), dtype=float),
            "i": pd.Series(
                draw(st.lists(st.integers(-1000, 1000), min_size=n, max_size=n)),
                dtype="int64",
            ),
            "cat": pd.Categorical(
                draw(st.lists(levels, min_size=n, max_size=n)),
                categories=["c d", "b", "a", "unused"],
            ),
            "obj": pd.Series(
                draw(st.lists(levels, min_size=n, max_size=n)), dtype=object
            ),
            "flag": pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n))),
            "nullable": pd.array(
                draw(
                    st.lists(
                        st.one_of(st.integers(0, 9), st.none()), min_size=n, max_size=n
                    )
                ),
                dtype="Int64",
            ),
            "when": pd.to_datetime("2024-01-01")
            + pd.to_timedelta(
                draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n)),
                unit="s",
            ),
        }
    )
    return frame


@settings(max_examples=40, deadline=None)
@given(mixed_frames())
def test_table_encoder_round_trips_mixed_frames(frame):
    _, (decoded, _) = round_trip(frame)
    assert list(decoded.columns) == list(frame.columns)
    assert list(decoded.dtypes) == list(frame.dtypes)
    pd.testing.assert_frame_equal(decoded, frame, check_exact=False, rtol=1e-9)


def test_round_trip_of_object_and_string_arrays_and_labels():
    X = np.array([[1.5, "a", None], [2, "b", 3], [3.25, None, "x"]], dtype=object)
    y = np.array(["p", "q", "p"])
    encoder, (decoded, labels) = round_trip(X, y)
    assert decoded.dtype == object
    assert [info.kind for info in encoder.columns_.infos] == [
        "continuous",
        "categorical",
        "categorical",
    ]
    assert decoded.tolist() == X.tolist()
    assert labels.dtype == y.dtype and labels.tolist() == y.tolist()
    S = np.array([["u", "v"], ["w", "v"]])
    _, (decoded, _) = round_trip(S)
    assert decoded.dtype == S.dtype and (decoded == S).all()


def test_categorical_features_by_index_name_and_mask():
    frame = pd.DataFrame({"a": [1.0, 2.0, 1.0], "b": [3, 4, 5], "c": ["x", "y", "x"]})
    for spec in ([0, 2], ["a", "c"], [True, False, True], [-3, -1]):
        encoder = TableEncoder(categorical_features=spec).fit(frame)
        kinds = [info.kind for info in encoder.columns_.infos]
        assert kinds == ["categorical", "continuous", "categorical"], spec
    with pytest.raises(
        ValueError, match=r"column 'zz'.*Valid names: \['a', 'b', 'c'\]"
    ):
        TableEncoder(categorical_features=["zz"]).fit(frame)
    with pytest.raises(ValueError, match="index 7.*only 3 columns"):
        TableEncoder(categorical_features=[7]).fit(frame)
    with pytest.raises(ValueError, match="one entry per column"):
        TableEncoder(categorical_features=[True]).fit(frame)
    with pytest.raises(ValueError, match="Column 'c' is not numeric"):
        TableEncoder(categorical_features=["a"]).fit(frame)


def test_layout_and_compact_rows_match():
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "x": np.where(rng.rand(200) < 0.2, np.nan, rng.normal(size=200)),
            "c": rng.choice(list("abcde"), 200),
        }
    )
    encoder = TableEncoder().fit(frame, random_state=0)
    scalars, codes = encoder.transform(frame)
    spans = encoder.layout_.spans
    # x: scalar (tanh), modes (softmax), missing indicator (softmax of 2); c:
    # a softmax of 5. The scalar comes first, then the softmax spans by width.
    assert [s.activation for s in spans] == ["tanh", "softmax", "softmax", "softmax"]
    assert spans[0] == Span(0, 1, "tanh")
    assert encoder.softmax_spans_ == list(spans[1:])
    widths = [s.width for s in spans[1:]]
    assert widths == sorted(widths)
    assert all(
        a.start + a.width == b.start for a, b in zip(spans, spans[1:], strict=False)
    )
    ((column, missing_span),) = encoder.missing_spans_
    assert column == 0 and encoder.softmax_spans_[missing_span].width == 2
    (category_span,) = encoder.category_spans_
    assert encoder.softmax_spans_[category_span].width == 5
    (mode_span,) = encoder.mode_spans_
    assert encoder.softmax_spans_[mode_span].width == encoder.normalizer_.n_modes_[0]
    table = encoder.to_device(scalars, codes, torch.device("cpu"))
    dense = table.rows(torch.arange(200))
    assert dense.shape == (200, encoder.layout_.width)
    # The dense rows decode to exactly the compact codes (each softmax
    # span's argmax).
    decoded_codes = [
        dense[:, s.start : s.start + s.width].argmax(dim=1)
        for s in encoder.softmax_spans_
    ]
    np.testing.assert_array_equal(torch.stack(decoded_codes, dim=1).numpy(), codes)
    assert (
        dense[:, encoder.softmax_spans_[missing_span].start + 1]
        == torch.tensor(frame["x"].isna().values, dtype=torch.float32)
    ).all()


def test_high_cardinality_column_is_stored_as_one_code_per_row():
    n, levels = 20_000, 5_000
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {"id": rng.randint(0, levels, n).astype(str), "v": rng.normal(size=n)}
    )
    encoder = TableEncoder().fit(frame, random_state=0)
    width = encoder.layout_.width
    assert width > 4_900
    table = encoder.to_device(*encoder.transform(frame), torch.device("cpu"))
    # Memory: (n, 1) scalars and (n, 2) codes, never an (n, width) one-hot.
    stored = (
        table.scalars.numel() * 4 + table.codes.numel() * table.codes.element_size()
    )
    assert stored <= n * 3 * 8
    assert stored < n * width * 4 / 1000


def test_unseen_category_and_infinity_are_named():
    frame = pd.DataFrame({"c": ["a", "b"], "v": [1.0, 2.0]})
    encoder = TableEncoder().fit(frame)
    with pytest.raises(ValueError, match=r"Column 'c' has categories never seen.*'z'"):
        encoder.transform(pd.DataFrame({"c": ["z", "a"], "v": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="Column 'v' contains infinity"):
        TableEncoder().fit(pd.DataFrame({"v": [1.0, np.inf]}))


def test_identifier_like_column_warns():
    frame = pd.DataFrame({"id": [f"u{i}" for i in range(200)], "v": np.arange(200.0)})
    with pytest.warns(UserWarning, match=r"Column 'id' has 200 distinct values in 200"):
        TableEncoder().fit(frame)


@settings(max_examples=30, deadline=None)
@given(
    levels=st.lists(st.text(max_size=3), min_size=1, max_size=8, unique=True),
    picks=st.lists(st.integers(0, 9), min_size=1, max_size=40),
)
def test_string_fast_path_matches_the_dict_loop(levels, picks):
    # Strings go through pandas' hash table; everything else through a
    # Python dict. Both must give the same levels and codes (-1: unseen).
    from skgan._columns import ColumnInfo, _levels, _string_codes

    pool = np.array(levels + ["unseen-1", "unseen-2"], dtype=object)
    values = pool[[p % len(pool) for p in picks]]
    seen = values[np.isin(values, levels)]
    if len(seen):
        assert list(_levels(seen)) == sorted(set(seen))
    info = ColumnInfo(name="c", kind="categorical", dtype=object)
    info.categories = np.array(sorted(levels), dtype=object)
    assert _string_codes(info.categories, values) is not None  # the fast path ran
    fast = info._codes_of(values)
    slow = np.fromiter(
        ({c: i for i, c in enumerate(info.categories)}.get(v, -1) for v in values),
        dtype=np.int64,
    )
    np.testing.assert_array_equal(fast, slow)
