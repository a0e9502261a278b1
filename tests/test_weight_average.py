"""ema_decay: an exponential moving average of the generator's weights."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

import skgan
import skgan._sampler
import skgan._training
from skgan import GANSampler
from skgan._training import WeightAverage

TINY = dict(
    latent_dim=8,
    generator_dims=(16,),
    discriminator_dims=(16,),
    batch_size=50,
    device="cpu",
    random_state=0,
)


@pytest.fixture(scope="module")
def X():
    rng = np.random.RandomState(42)
    return rng.normal(size=(100, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -2.0]


def _ema(states, decay):
    """The average of a list of state dicts, step by step, by hand."""
    average = {k: v.clone() for k, v in states[0].items()}
    for t, current in enumerate(states[1:]):
        d = min(decay, (1 + t) / (10 + t))
        for k, v in current.items():
            if v.is_floating_point():
                average[k] = d * average[k] + (1 - d) * v
            else:
                average[k] = v.clone()
    return average


def test_weight_average_follows_the_warmed_up_decay_and_copies_counters():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    average = WeightAverage(module, 0.9)
    states = [{k: v.clone() for k, v in module.state_dict().items()}]
    for _ in range(30):  # past the warm-up: (1 + t) / (10 + t) > 0.9 at t = 80
        module(torch.randn(8, 3))  # moves the batch-norm statistics
        with torch.no_grad():
            for p in module.parameters():
                p.add_(torch.randn_like(p))
        average.update()
        states.append({k: v.clone() for k, v in module.state_dict().items()})
    expected = _ema(states, 0.9)
    for k, v in average.module.state_dict().items():
        torch.testing.assert_close(v, expected[k], rtol=1e-5, atol=1e-6, msg=k)
    assert average.module[1].num_batches_tracked == 30
    # Not the last weights, and not the first.
    assert not torch.allclose(average.module[0].weight, module[0].weight)
    assert not torch.allclose(average.module[0].weight, states[0]["0.weight"])


def test_the_fitted_generator_is_the_average_of_the_trained_ones(X, monkeypatch):
    # The weights after every generator step of a fit without averaging...
    states = []
    step = skgan._training.generator_step

    def recording(generator, *args, **kwargs):
        loss = step(generator, *args, **kwargs)
        states.append({k: v.clone() for k, v in generator.state_dict().items()})
        return loss

    plain = GANSampler(epochs=6, ema_decay=0.0, **TINY)
    initial = {}
    build = plain._build_networks

    def building(*args, **kwargs):
        networks = build(*args, **kwargs)
        initial.update({k: v.clone() for k, v in networks[0].state_dict().items()})
        return networks

    monkeypatch.setattr(plain, "_build_networks", building)
    monkeypatch.setattr(skgan._training, "generator_step", recording)
    plain.fit(X)
    monkeypatch.undo()
    assert len(states) == 12  # 2 steps per epoch
    # ema_decay=0: the fitted generator is the last one trained.
    for name, value in plain.generator_.state_dict().items():
        assert torch.equal(value, states[-1][name]), name
    # ... are those of the same fit with averaging (it uses no random
    # numbers), whose generator is their average, initial weights first.
    averaged = GANSampler(epochs=6, ema_decay=0.5, **TINY).fit(X)
    for name, value in plain.discriminator_.state_dict().items():
        assert torch.equal(value, averaged.discriminator_.state_dict()[name]), name
    expected = _ema([initial, *states], 0.5)
    for name, value in averaged.generator_.state_dict().items():
        torch.testing.assert_close(value, expected[name], rtol=1e-5, atol=1e-6)
    assert not torch.allclose(
        averaged.generator_.linear.weight, plain.generator_.linear.weight
    )


def test_early_stopping_scores_and_keeps_the_average(monkeypatch):
    monkeypatch.setattr(skgan._sampler, "_SCORE_STEPS", 2)  # a score every epoch
    rng = np.random.RandomState(42)
    a = rng.normal(size=600)
    X = np.c_[a, a**2 + 0.1 * rng.normal(size=600), rng.exponential(size=600)]
    params = dict(TINY, batch_size=100, early_stopping=True, validation_fraction=0.5)
    params.update(n_iter_no_change=50, ema_decay=0.5, random_state=5)
    gan = GANSampler(epochs=12, **params).fit(X)
    scored = [h["validation_score"] for h in gan.history_]
    best = gan.best_epoch_
    assert scored[best - 1] == max(scored) == gan.best_validation_score_
    assert 1 < best < 12, "pick a setting where the best epoch is not the last"
    # The same fit stopped at the best epoch ends with the same average.
    stopped = GANSampler(epochs=best, **params).fit(X)
    for name, value in gan.generator_.state_dict().items():
        assert torch.equal(value, stopped.generator_.state_dict()[name]), name
    assert stopped.best_validation_score_ == gan.best_validation_score_
    # The scores are the average's: the same fit without averaging trains the
    # same raw weights (averaging draws no random numbers) and scores others.
    plain = GANSampler(epochs=12, **dict(params, ema_decay=0.0)).fit(X)
    assert [h["validation_score"] for h in plain.history_] != scored


def test_checkpoints_hold_the_average(X, tmp_path):
    path = tmp_path / "model.skgan"
    gan = GANSampler(
        epochs=4, ema_decay=0.9, checkpoint_path=path, checkpoint_every=2, **TINY
    ).fit(X)
    loaded = skgan.load(path)
    for name, value in gan.generator_.state_dict().items():
        assert torch.equal(value, loaded.generator_.state_dict()[name]), name
    np.testing.assert_array_equal(
        loaded.sample(10, random_state=0), gan.sample(10, random_state=0)
    )


def test_warm_start_continues_from_the_average(X):
    gan = GANSampler(epochs=2, ema_decay=0.9, warm_start=True, **TINY).fit(X)
    first = {k: v.clone() for k, v in gan.generator_.state_dict().items()}
    gan.fit(X)
    assert gan.n_iter_ == 4
    moved = [
        not torch.equal(v, first[k]) for k, v in gan.generator_.state_dict().items()
    ]
    assert any(moved)
    assert np.isfinite(gan.sample(20)).all()


def test_divergence_restores_the_average_too(X):
    gan = GANSampler(
        epochs=5,
        ema_decay=0.9,
        generator_lr=1e30,
        discriminator_lr=1e30,
        loss="bce",
        pac=1,
        **TINY,
    )
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 1"):
        gan.fit(X)
    for value in gan.generator_.state_dict().values():
        assert torch.isfinite(value.float()).all()
    assert np.isfinite(gan.sample(50)).all()


@pytest.mark.parametrize("decay", [-0.1, 1.0, 1.5])
def test_ema_decay_out_of_range_is_an_error(X, decay):
    with pytest.raises(ValueError, match="ema_decay"):
        GANSampler(ema_decay=decay, **TINY).fit(X)
