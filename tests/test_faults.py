"""Ctrl-C during fit, and checkpoints in the safe format."""

import os
import signal
import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import skgan
import skgan._training as training
from skgan import GANSampler


@pytest.fixture
def X():
    return np.random.RandomState(0).normal(size=(200, 3))


def tiny(**params):
    defaults = dict(
        epochs=6,
        latent_dim=8,
        generator_dims=(16,),
        discriminator_dims=(16,),
        batch_size=20,  # 10 steps per epoch on 200 rows
        pac=2,
        device="cpu",
        random_state=0,
    )
    return GANSampler(**{**defaults, **params})


def ctrl_c_at_generator_steps(monkeypatch, *calls, times=1):
    """Send SIGINT to this process at the given generator steps (1-based)."""
    original = training.generator_step
    count = [0]

    def step(*args, **kwargs):
        count[0] += 1
        if count[0] in calls:
            for _ in range(times):
                os.kill(os.getpid(), signal.SIGINT)
        return original(*args, **kwargs)

    monkeypatch.setattr(training, "generator_step", step)


def test_ctrl_c_stops_after_the_current_step_and_warm_start_continues(X, monkeypatch):
    handler = signal.getsignal(signal.SIGINT)
    ctrl_c_at_generator_steps(monkeypatch, 15)  # epoch 2, step 5
    gan = tiny()
    with pytest.warns(UserWarning, match="during epoch 2, after 5 of 10 steps"):
        gan.fit(X)
    assert signal.getsignal(signal.SIGINT) is handler
    assert gan.n_iter_ == 2 and [h["epoch"] for h in gan.history_] == [1, 2]
    assert gan.history_[-1]["interrupted"] is True and gan.history_[-1]["steps"] == 5
    assert "interrupted" not in gan.history_[0]
    assert np.isfinite(gan.sample(50)).all()
    monkeypatch.undo()
    gan.set_params(warm_start=True, epochs=3).fit(X)
    assert [h["epoch"] for h in gan.history_] == [1, 2, 3, 4, 5]
    assert not any(h.get("interrupted") for h in gan.history_[2:])


def test_a_second_ctrl_c_interrupts_at_once_and_leaves_no_fit(X, monkeypatch):
    ctrl_c_at_generator_steps(monkeypatch, 3, times=2)
    gan = tiny()
    with pytest.raises(KeyboardInterrupt):
        gan.fit(X)
    with pytest.raises(NotFittedError):
        gan.sample(1)


def test_ctrl_c_before_the_first_step_leaves_no_fit(X, monkeypatch):
    original = training.train_epoch

    def epoch(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return original(*args, **kwargs)

    monkeypatch.setattr("skgan._sampler.train_epoch", epoch)
    gan = tiny()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(KeyboardInterrupt):
            gan.fit(X)
    assert not hasattr(gan, "generator_")
    # No "the model keeps the weights trained so far" warning: there are none.
    assert not [w for w in caught if "interrupted" in str(w.message)]


def test_a_process_that_ignores_ctrl_c_trains_every_epoch(X, monkeypatch):
    # A background job started with SIGINT ignored: fit must not turn a
    # SIGINT into a stop.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ctrl_c_at_generator_steps(monkeypatch, 15)
        gan = tiny().fit(X)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
    assert gan.n_iter_ == 6 and not any(h.get("interrupted") for h in gan.history_)


def test_a_checkpoint_path_that_cannot_be_written_fails_before_training(X, tmp_path):
    gan = tiny().fit(X)  # a previous fit stays in place
    for path, message in [
        (tmp_path / "no_such_dir" / "run.skgan", "does not exist"),
        (tmp_path, "is a folder"),
    ]:
        with pytest.raises(ValueError, match=f"checkpoint_path=.*{message}"):
            gan.set_params(checkpoint_path=path).fit(X)
        assert gan.n_iter_ == 6


def test_checkpoints_are_saved_and_resume_exactly(X, tmp_path, monkeypatch):
    path = tmp_path / "run.skgan"
    saved = []
    original = skgan._sampler._save

    def spy(snapshot, target):
        saved.append(snapshot.n_iter_)
        original(snapshot, target)

    monkeypatch.setattr(skgan._sampler, "_save", spy)
    gan = tiny(epochs=5, checkpoint_path=path, checkpoint_every=2).fit(X)
    assert saved == [2, 4, 5]
    assert sorted(os.listdir(tmp_path)) == ["run.skgan"]  # no temporary left
    # Checkpointing does not change training.
    plain = tiny(epochs=5).fit(X)
    np.testing.assert_array_equal(
        gan.sample(20, random_state=0), plain.sample(20, random_state=0)
    )
    # The last checkpoint is the fitted model, optimiser and streams included:
    # resuming from it is the same as continuing the model in memory.
    resumed = skgan.load(path)
    assert resumed.n_iter_ == 5 and resumed.checkpoint_path == path
    resumed.set_params(warm_start=True, epochs=2, checkpoint_path=None).fit(X)
    plain.set_params(warm_start=True, epochs=2).fit(X)
    assert resumed.n_iter_ == 7
    np.testing.assert_array_equal(
        resumed.sample(20, random_state=0), plain.sample(20, random_state=0)
    )
    np.testing.assert_array_equal(resumed.sample(20), plain.sample(20))


def test_an_interrupted_run_leaves_a_checkpoint_to_resume_from(
    X, tmp_path, monkeypatch
):
    path = tmp_path / "run.skgan"
    ctrl_c_at_generator_steps(monkeypatch, 25)  # epoch 3, step 5
    with pytest.warns(UserWarning, match="interrupted"):
        tiny(checkpoint_path=str(path), checkpoint_every=100).fit(X)
    monkeypatch.undo()
    resumed = skgan.load(path)
    assert resumed.n_iter_ == 3 and resumed.history_[-1]["interrupted"]
    resumed.set_params(warm_start=True, epochs=1).fit(X)
    assert resumed.n_iter_ == 4
