"""Does the GAN learn? Seeded statistical tests with tolerances a broken model fails.

Each test states what a broken model scores on the same measure, measured
with the same seeds, so the thresholds are shown to discriminate.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skgan import GANSampler
from skgan.metrics import class_fidelity

pytestmark = pytest.mark.slow

# Small, fast networks for the low-dimensional tests: they are sized to the
# problem, not to the defaults (which the digits test uses).
SMALL = dict(
    latent_dim=16,
    generator_dims=(64, 64),
    discriminator_dims=(64, 64),
    batch_size=100,
    device="cpu",
    random_state=0,
    # One thread: the same seed gives the same model whatever the CI
    # machine's core count (reproducibility is per thread count).
    n_jobs=1,
)


def ring_data(n, sigma, seed=0):
    rng = np.random.RandomState(seed)
    angles = 2 * np.pi * np.arange(8) / 8
    centers = 2.0 * np.c_[np.cos(angles), np.sin(angles)]
    return centers[rng.randint(8, size=n)] + rng.normal(0, sigma, (n, 2)), centers


def ring_scores(samples, centers, sigma):
    """Fraction of samples within 2 sigma of a mode; smallest mode's share."""
    distances = np.linalg.norm(samples[:, None, :] - centers[None], axis=2)
    near = distances.min(axis=1) < 2 * sigma
    counts = np.bincount(distances.argmin(axis=1)[near], minlength=len(centers))
    return near.mean(), counts.min() / len(samples)


def test_ring_of_eight_gaussians_every_mode_present():
    # Broad modes (sigma 0.3 on a ring of radius 2) and 6,000 steps. With
    # mode-specific normalisation (the default) this scores (0.832, 0.091);
    # with the quantile encoding of the core issue it scored (0.647, 0.056).
    sigma = 0.3
    X, centers = ring_data(2000, sigma)
    gan = GANSampler(epochs=300, loss="bce", pac=1, **SMALL).fit(X)
    near, smallest_mode = ring_scores(gan.sample(4000, random_state=0), centers, sigma)
    print(f"ring: near={near:.3f} smallest_mode={smallest_mode:.4f}")
    # The real data scores (0.875, 0.104). A single Gaussian fitted to the
    # ring scores (0.26, 0.03); a uniform ring without modes (0.65, 0.07);
    # a model that collapsed onto fewer modes has smallest_mode 0.
    assert smallest_mode >= 0.05, smallest_mode
    assert near >= 0.5, near


def test_correlated_gaussian_moments_and_correlations():
    rng = np.random.RandomState(0)
    corr = np.array(
        [
            [1.0, 0.8, -0.5, 0.3],
            [0.8, 1.0, -0.4, 0.2],
            [-0.5, -0.4, 1.0, 0.0],
            [0.3, 0.2, 0.0, 1.0],
        ]
    )
    std = np.array([1.0, 5.0, 0.1, 2.0])
    mean = np.array([0.0, 10.0, -1.0, 3.0])
    X = rng.multivariate_normal(mean, corr * np.outer(std, std), size=2000)
    # One Gaussian per column: the quantile encoding, which trains better on
    # such columns. (Mode-specific normalisation, measured on this test at
    # 300-600 epochs and seeds 0-2: mean errors up to 0.47 sd and
    # correlation errors up to 0.38.)
    gan = GANSampler(epochs=600, pac=5, continuous_encoding="quantile", **SMALL)
    gan.fit(X)
    samples = gan.sample(5000, random_state=0)
    real_std = X.std(axis=0)
    learned = np.corrcoef(samples, rowvar=False)
    print(
        "gaussian: mean error / std",
        np.round((samples.mean(axis=0) - X.mean(axis=0)) / real_std, 3),
        "std ratio",
        np.round(samples.std(axis=0) / real_std, 3),
        "max correlation error",
        np.abs(learned - np.corrcoef(X, rowvar=False)).max().round(3),
    )
    # How much a healthy fit varies: over training seeds 0-9 (this test's
    # settings, with torch's dropout and with skgan's CPU dropout), the largest mean
    # error was 0.10-0.41 sd (median 0.19) and the largest correlation
    # error 0.09-0.77 (median 0.27); seed 0 gave 0.41 and 0.30. So:
    # means within 0.45 standard deviations, spreads within 30 %.
    np.testing.assert_array_less(
        np.abs(samples.mean(axis=0) - X.mean(axis=0)) / real_std, 0.45
    )
    np.testing.assert_array_less(np.abs(samples.std(axis=0) / real_std - 1), 0.3)
    # Every correlation within 0.5 (a model of independent columns misses
    # the 0.8 correlation by 0.8), and the strong ones keep their sign.
    np.testing.assert_array_less(np.abs(learned - np.corrcoef(X, rowvar=False)), 0.5)
    assert learned[0, 1] > 0.5 and learned[0, 2] < -0.2


def test_digits_are_recognisable_and_diverse():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    classifier = LogisticRegression(max_iter=2000).fit(X, y)
    # Image-like columns: the quantile encoding (mode-specific normalisation
    # measured 0.57 mean confidence, 6.5 % above 0.9, on the same seed).
    gan = GANSampler(
        device="cpu", random_state=0, n_jobs=1, continuous_encoding="quantile"
    ).fit(X)
    proba = classifier.predict_proba(gan.sample(2000, random_state=0))
    confidence = proba.max(axis=1)
    shares = np.bincount(proba.argmax(axis=1), minlength=10) / len(proba)
    print(
        f"digits: mean confidence {confidence.mean():.3f}, "
        f"share > 0.9 {(confidence > 0.9).mean():.3f}, "
        f"classes >= 3 % {(shares >= 0.03).sum()}, shares {np.round(shares, 3)}"
    )
    # On the same classifier: real digits score a mean confidence of 0.92;
    # pixels drawn independently from their marginals 0.56 (5.7 % above
    # 0.9); averages of two random real digits 0.61 (11 % above 0.9).
    assert confidence.mean() >= 0.65, confidence.mean()
    assert (confidence > 0.9).mean() >= 0.15, (confidence > 0.9).mean()
    # No mode collapse: at least 8 of the 10 digits make up 3 % or more.
    assert (shares >= 0.03).sum() >= 8, shares


def rare_class_table(n, seed):
    """10 % "rare" rows: a shifted, a wider skewed and a reversed column."""
    rng = np.random.RandomState(seed)
    rare = rng.uniform(size=n) < 0.1
    colours = [rng.choice(["red", "blue"], n, p=p) for p in ([0.8, 0.2], [0.2, 0.8])]
    return pd.DataFrame(
        {
            "a": rng.normal(size=n) + 3.0 * rare,
            "b": rng.exponential(1.0 + 2.0 * rare),
            "colour": np.where(rare, *colours),
            "label": np.where(rare, "rare", "common"),
        }
    )


def test_rows_sampled_for_a_rare_class_carry_it():
    train, test = rare_class_table(2000, 0), rare_class_table(1000, 1)
    gan = GANSampler(epochs=100, **SMALL)  # 2,000 steps
    gan.fit(train.drop(columns="label"), train["label"])
    rows = pd.concat(
        [
            gan.sample(int(n), y=c, random_state=0).assign(label=c)
            for c, n in train["label"].value_counts().items()
        ]
    )
    result = class_fidelity(train, rows, test, "label")
    print(result)
    # This test: worst recall ratio 0.89 (the rare class), gap -0.08; over
    # training seeds 0-3 (outside pytest) 0.88-1.00 and gaps of 0.05-0.10.
    # The same model trained for 30 epochs (600 steps) makes rare rows that
    # look common: ratio 0.10 here (0.08 outside pytest, gap 0.28).
    assert result.min_recall_ratio >= 0.75, result.recall_ratio
    assert result.shapes_gap <= 0.15, result.column_shapes
