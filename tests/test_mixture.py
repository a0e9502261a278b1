"""The batched Gaussian-mixture EM (a building block, not yet in the encoder)."""

import numpy as np
import torch

from skgan._mixture import fit_column_mixtures


def three_modes(n, seed=0):
    rng = np.random.RandomState(seed)
    comp = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    means, stds = np.array([-5.0, 0.0, 8.0]), np.array([0.5, 1.0, 0.3])
    return means[comp] + rng.normal(size=n) * stds[comp]


def test_recovers_a_known_mixture_and_its_number_of_modes():
    x = torch.tensor(three_modes(5000))[:, None]
    mixture = fit_column_mixtures(x, max_modes=10)
    assert mixture.active.sum().item() == 3
    assert (mixture.weights[~mixture.active] == 0).all()
    kept = mixture.active[0]
    order = mixture.means[0][kept].argsort()
    np.testing.assert_allclose(
        mixture.means[0][kept][order], [-5.0, 0.0, 8.0], atol=0.1
    )
    np.testing.assert_allclose(mixture.stds[0][kept][order], [0.5, 1.0, 0.3], rtol=0.1)
    np.testing.assert_allclose(
        mixture.weights[0][kept][order], [0.5, 0.3, 0.2], atol=0.02
    )
    # Each value goes to the component of its own mode.
    modes = mixture.most_likely_mode(torch.tensor([[-5.0], [0.1], [8.2]])).ravel()
    assert mixture.means[0][modes].tolist() == sorted(mixture.means[0][modes].tolist())
    np.testing.assert_allclose(mixture.means[0][modes], [-5.0, 0.0, 8.0], atol=0.1)


def test_one_gaussian_and_a_constant_get_one_mode_each():
    rng = np.random.RandomState(3)
    X = torch.tensor(np.c_[rng.normal(100, 15, 4000), np.full(4000, -2.5)])
    mixture = fit_column_mixtures(X)
    assert mixture.active.sum(dim=1).tolist() == [1, 1]
    mean = mixture.means[0][mixture.active[0]].item()
    std = mixture.stds[0][mixture.active[0]].item()
    assert abs(mean - 100) < 1 and abs(std - 15) < 1


def test_columns_are_fitted_independently_in_one_batch():
    rng = np.random.RandomState(1)
    a, b = three_modes(3000), rng.gamma(2.0, 3.0, 3000)
    both = fit_column_mixtures(torch.tensor(np.c_[a, b]), max_modes=4)
    alone = fit_column_mixtures(torch.tensor(b)[:, None], max_modes=4)
    torch.testing.assert_close(both.active[1], alone.active[0])
    torch.testing.assert_close(both.means[1], alone.means[0])
    torch.testing.assert_close(both.stds[1], alone.stds[0])


def test_constant_and_integer_columns_stay_finite():
    rng = np.random.RandomState(2)
    X = torch.tensor(
        np.c_[np.full(1000, 3.0), rng.poisson(3, 1000)], dtype=torch.float32
    )
    mixture = fit_column_mixtures(X, max_modes=10)
    for tensor in (mixture.means, mixture.stds, mixture.weights):
        assert torch.isfinite(tensor).all()
    assert (mixture.stds > 0).all()
    torch.testing.assert_close(mixture.weights.sum(dim=1), torch.ones(2))
    np.testing.assert_allclose(mixture.means[0][mixture.active[0]], 3.0)


def test_subsample_is_reproducible_with_a_generator():
    X = torch.tensor(three_modes(30_000))[:, None]
    fits = [
        fit_column_mixtures(
            X,
            max_modes=3,
            n_iter=20,
            max_rows=2000,
            generator=torch.Generator().manual_seed(0),
        )
        for _ in range(2)
    ]
    torch.testing.assert_close(fits[0].means, fits[1].means, rtol=0, atol=0)
