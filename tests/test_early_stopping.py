"""Early stopping: the validation score, the stopping rule, and fit with them."""

import numpy as np
import pandas as pd
import pytest
import torch

import skgan._sampler
from skgan import GANSampler
from skgan._scoring import DetectionScore, EarlyStopping

TINY = dict(
    latent_dim=8,
    generator_dims=(16,),
    discriminator_dims=(16,),
    device="cpu",
    random_state=0,
)


def _rows(rng, n, shift=0.0):
    """Two correlated continuous columns (one with NaN), two categoricals."""
    a = rng.standard_normal(n) + shift
    b = a + 0.3 * rng.standard_normal(n)
    a[rng.random(n) < 0.05] = np.nan
    colour = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    size = (colour + rng.integers(0, 2, n)) % 4  # depends on colour
    return np.stack([a, b], axis=1), np.stack([colour, size], axis=1)


# ------------------------------------------------------------- the score


def test_detection_score_is_near_one_for_real_rows_and_lower_for_wrong_ones():
    rng = np.random.default_rng(0)
    score = DetectionScore(*_rows(rng, 1_000))
    values, codes = _rows(rng, 1_000)
    fresh = score(values, codes)
    assert fresh > 0.9  # AUC below 0.55
    # A shift of half a standard deviation (more for a larger one), a broken
    # dependency between two columns, a categorical column's frequencies
    # changed: each is detected.
    half, whole = (score(*_rows(rng, 1_000, shift=s)) for s in (0.5, 1.0))
    assert whole < half - 0.1 and half < fresh - 0.15
    broken = values.copy()
    broken[:, 1] = rng.permutation(broken[:, 1])
    assert score(broken, codes) < fresh - 0.4
    uniform = codes.copy()
    uniform[:, 0] = rng.integers(0, 3, len(codes))
    assert score(values, uniform) < fresh - 0.2
    # The same rows score the same (fixed classifier and folds).
    assert score(values, codes) == fresh


def test_detection_score_takes_many_levels_and_missing_values():
    rng = np.random.default_rng(1)
    values, codes = _rows(rng, 400)
    codes = np.c_[codes, rng.integers(0, 1_000, 400)]  # beyond HGB's 255
    score = DetectionScore(values, codes)
    values, codes = _rows(rng, 500)
    assert 0.0 <= score(values, np.c_[codes, rng.integers(0, 1_000, 500)]) <= 1.0
    assert score(np.full_like(values, np.nan), np.zeros((500, 3))) < 0.2


# -------------------------------------------------------------- the rule


def test_early_stopping_follows_sklearn_rule_and_keeps_the_best_weights():
    module = torch.nn.Linear(2, 1)
    scores = iter([0.5, 0.7, 0.70005, 0.6, 0.71, 0.2])
    scored = []  # the module each score was asked for: the first kept

    def score(generator):
        scored.append(generator)
        return next(scores)

    rule = EarlyStopping(score, every=1, n_iter_no_change=2, tol=1e-3)
    seen = []
    for epoch in range(1, 7):
        with torch.no_grad():
            module.weight.fill_(epoch)
        seen.append(rule.check(epoch, epoch == 6, epoch, [module]))
        if rule.should_stop:
            break
    # 0.70005 is a new best, but not by tol (1 without improvement); 0.6 is
    # the 2nd, not more than n_iter_no_change; 0.71 improves by tol (back to
    # 0); 0.2 is the 1st again.
    assert seen == [0.5, 0.7, 0.70005, 0.6, 0.71, 0.2]
    assert all(generator is module for generator in scored)
    assert not rule.should_stop
    assert rule.best_score == 0.71 and rule.best_epoch == 5
    rule.restore([module])
    assert torch.all(module.weight == 5)
    # Two more without improvement: 3 > n_iter_no_change.
    rule.score = lambda generator: 0.705
    rule.check(7, False, 7, [module])
    assert not rule.should_stop
    rule.check(8, False, 8, [module])
    assert rule.should_stop and rule.best_epoch == 5


def test_early_stopping_scores_only_every_k_epochs_and_after_the_last():
    calls = []
    rule = EarlyStopping(
        lambda generator: calls.append(1) or 0.0, every=3, n_iter_no_change=9, tol=0
    )
    module = torch.nn.Linear(2, 1)
    checked = [rule.check(n, n == 7, n, [module]) is not None for n in range(1, 8)]
    assert checked == [False, False, True, False, False, True, True]
    assert len(calls) == 3


# ------------------------------------------------------------ in the fit


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    n = 600
    values, codes = _rows(rng, n)
    return pd.DataFrame(
        {
            "a": values[:, 0],
            "b": values[:, 1],
            "colour": np.array(["red", "green", "blue"], dtype=object)[codes[:, 0]],
            "size": codes[:, 1].astype(np.int64),
        }
    ).astype({"size": "category"})


# 600 rows, 540 training rows, batch 300: 2 steps per epoch, a score every
# EVERY epochs.
EVERY = -(-skgan._sampler._SCORE_STEPS // 2)


def test_fit_records_scores_and_keeps_the_best_epochs_networks(table):
    params = dict(TINY, early_stopping=True, n_iter_no_change=50, batch_size=300)
    params["random_state"] = 2  # a fit whose best score is not its last
    gan = GANSampler(epochs=4 * EVERY, **params).fit(table)
    scored = {
        h["epoch"]: h["validation_score"]
        for h in gan.history_
        if "validation_score" in h
    }
    assert sorted(scored) == [EVERY, 2 * EVERY, 3 * EVERY, 4 * EVERY]
    assert all(0 < s <= 1 for s in scored.values())
    best = max(scored, key=scored.get)
    assert gan.best_epoch_ == best and gan.best_validation_score_ == scored[best]
    # The kept generator is the one of the best epoch, not the last: the same
    # fit stopped at that epoch (same split, same training stream: the
    # score's own noise never touches it) has exactly these weights.
    assert best < 4 * EVERY, "pick a setting where the best epoch is not the last"
    stopped = GANSampler(epochs=best, **params).fit(table)
    for name, value in gan.generator_.state_dict().items():
        assert torch.equal(value, stopped.generator_.state_dict()[name]), name
    assert stopped.best_epoch_ == best


def test_fit_stops_after_n_iter_no_change_scores_without_improvement(table):
    # tol=1: no score improves on the first by 1, so the fit ends at the
    # (n_iter_no_change + 2)-th score.
    gan = GANSampler(
        epochs=10 * EVERY,
        early_stopping=True,
        n_iter_no_change=1,
        tol=1.0,
        batch_size=300,
        **TINY,
    ).fit(table)
    assert gan.n_iter_ == 3 * EVERY and len(gan.history_) == 3 * EVERY
    scored = {
        h["epoch"]: h["validation_score"]
        for h in gan.history_
        if "validation_score" in h
    }
    assert sorted(scored) == [EVERY, 2 * EVERY, 3 * EVERY]
    assert gan.best_epoch_ == max(scored, key=scored.get)


def test_early_stopping_auto_turns_on_above_the_row_threshold(table, monkeypatch):
    monkeypatch.setattr(skgan._sampler, "_AUTO_EARLY_STOPPING_ROWS", 599)
    on = GANSampler(epochs=3, early_stopping="auto", **TINY).fit(table)
    assert on.best_epoch_ == 3 and "validation_score" in on.history_[-1]
    monkeypatch.setattr(skgan._sampler, "_AUTO_EARLY_STOPPING_ROWS", 600)
    off = GANSampler(epochs=3, early_stopping="auto", **TINY).fit(table)
    assert off.best_epoch_ is None and off.best_validation_score_ is None
    assert not any("validation_score" in h for h in off.history_)


def test_held_back_rows_are_stratified_by_class_and_never_trained_on(table):
    X, y = table.drop(columns="colour"), table["colour"]
    gan = GANSampler(epochs=1, early_stopping=True, validation_fraction=0.2, **TINY)
    encoded = gan.fit(X, y).encoder_.transform(X, y)
    train, held = gan._hold_back(encoded, y.to_numpy(), seed=0)
    assert held[1].shape[0] == 120 and train[1].shape[0] == 480
    label = gan.encoder_.category_spans_[-1]  # the label's code
    counts = np.bincount(held[1][:, label], minlength=3) / 120
    assert np.allclose(counts, np.bincount(encoded[1][:, label]) / 600, atol=0.01)
    # The fitted condition counts are those of the 480 training rows.
    assert int(gan._category_counts[-3:].sum()) == 480


def test_a_validation_fraction_that_leaves_no_row_is_an_error(table):
    gan = GANSampler(epochs=1, early_stopping=True, validation_fraction=0.5, **TINY)
    with pytest.raises(ValueError, match="n_samples = 1 gives 1 and 0"):
        gan.fit(table.iloc[:1])
    with pytest.raises(ValueError, match="n_samples = 3 gives 3 and 0"):
        gan.set_params(validation_fraction=0.9).fit(table.iloc[:3])
    with pytest.raises(ValueError, match="n_samples = 3 gives 1 and 2"):
        gan.set_params(validation_fraction=0.3).fit(table.iloc[:3])
    gan.set_params(validation_fraction=0.5).fit(table.iloc[:4])  # 2 and 2
    assert gan.best_epoch_ == 1


def test_early_stopping_model_saves_loads_and_continues(table, tmp_path):
    gan = GANSampler(epochs=2, early_stopping=True, **TINY).fit(table)
    skgan.save(gan, tmp_path / "m.skgan")
    loaded = skgan.load(tmp_path / "m.skgan")
    assert loaded.best_epoch_ == gan.best_epoch_
    assert loaded.best_validation_score_ == gan.best_validation_score_
    pd.testing.assert_frame_equal(
        loaded.sample(20, random_state=0), gan.sample(20, random_state=0)
    )
    loaded.set_params(warm_start=True).fit(table)
    # The continuation scores its own last epoch (its epochs 1-2 are short
    # of the every-EVERY-epochs cadence).
    assert loaded.n_iter_ == 4 and loaded.best_epoch_ == 4
