"""Encoders: exact round trips and the published layout."""

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skgan._encoding import ModeNormalizer, TableEncoder


def mixed_columns(n=3000, seed=0):
    rng = np.random.RandomState(seed)
    comp = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    bimodal = (
        np.array([-5.0, 0.0, 8.0])[comp]
        + rng.normal(size=n) * np.array([0.5, 1.0, 0.3])[comp]
    )
    return np.c_[bimodal, rng.normal(100, 15, n), np.full(n, 2.0), rng.poisson(3, n)]


def test_mode_normalizer_round_trip_and_layout():
    X = torch.tensor(mixed_columns())
    normalizer = ModeNormalizer().fit(X)
    encoded = normalizer.transform(X)
    torch.testing.assert_close(
        normalizer.inverse_transform(encoded), X, rtol=0, atol=1e-9
    )
    spans = normalizer.spans_
    # Contiguous [tanh scalar, softmax modes] blocks that cover the encoding.
    assert [s.activation for s in spans] == ["tanh", "softmax"] * 4
    assert sum(s.width for s in spans) == normalizer.width_ == encoded.shape[1]
    assert all(a.start + a.width == b.start for a, b in zip(spans, spans[1:], strict=False))
    assert spans[1].width == 3  # the three-mode column
    assert [spans[3].width, spans[5].width] == [1, 1]  # one Gaussian, a constant
    for span in spans[1::2]:
        block = encoded[:, span.start : span.start + span.width]
        assert set(block.unique().tolist()) <= {0.0, 1.0}
        assert (block.sum(dim=1) == 1).all()
    scalars = encoded[:, [s.start for s in spans[0::2]]]
    assert (scalars.abs() <= 1).double().mean() > 0.99


def test_mode_normalizer_decodes_soft_generator_output():
    X = torch.tensor(mixed_columns(500))
    normalizer = ModeNormalizer().fit(X)
    encoded = normalizer.transform(X)
    # What a generator emits: probabilities, not one-hots. Argmax decides.
    soft = encoded.clone()
    for span in normalizer.spans_[1::2]:
        block = soft[:, span.start : span.start + span.width]
        soft[:, span.start : span.start + span.width] = 0.2 / span.width + 0.8 * block
    torch.testing.assert_close(normalizer.inverse_transform(soft), X, rtol=0, atol=1e-9)


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
    decoded = normalizer.inverse_transform(normalizer.transform(X))
    torch.testing.assert_close(decoded, X, rtol=1e-9, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(finite_tables)
def test_table_encoder_round_trip_property(X):
    encoder = TableEncoder().fit(X)
    decoded = encoder.inverse_transform(encoder.transform(X, torch.device("cpu")))
    # float32 encoding: exact up to float32 resolution of each column's range.
    tolerance = 1e-6 * (np.abs(X).max(axis=0) + 1)
    assert (np.abs(decoded - X) <= tolerance).all()
