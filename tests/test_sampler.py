"""The contract of GANSampler that scikit-learn's checks do not test."""

import pickle
import re
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils._testing import create_memmap_backed_data

from skgan import GANSampler

TINY = dict(
    latent_dim=8,
    generator_dims=(16,),
    discriminator_dims=(16,),
    epochs=2,
    batch_size=32,
    pac=4,
    device="cpu",
)


def tiny(**params):
    return GANSampler(**{**TINY, "random_state": 0, **params})


@pytest.fixture(scope="module")
def X():
    rng = np.random.RandomState(42)
    return rng.normal(size=(100, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -2.0]


def state(estimator):
    return {
        f"{name}.{key}": value.clone()
        for name in ("generator_", "discriminator_")
        for key, value in getattr(estimator, name).state_dict().items()
    }


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)


# ----------------------------------------------------------------- sample


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int64, np.int64),
        (np.int32, np.int32),
    ],
)
def test_sample_shape_and_training_dtype(X, dtype, expected):
    data = (X * 10).astype(dtype)
    samples = tiny().fit(data).sample(17)
    assert isinstance(samples, np.ndarray)
    assert samples.shape == (17, 3)
    assert samples.dtype == expected
    assert np.isfinite(samples).all()


def test_list_of_lists_gives_float64_array(X):
    samples = tiny().fit(X.tolist()).sample(4)
    assert isinstance(samples, np.ndarray) and samples.dtype == np.float64
    assert samples.shape == (4, 3)


def test_samples_stay_in_observed_range(X):
    samples = tiny(epochs=1).fit(X).sample(2000)
    assert (samples >= X.min(axis=0)).all() and (samples <= X.max(axis=0)).all()


def test_dataframe_in_dataframe_out(X):
    frame = pd.DataFrame(
        {
            "height": X[:, 0],
            "count": np.round(X[:, 1]).astype(np.int64),
            "ratio": X[:, 2].astype(np.float32),
        },
        index=np.arange(100, 200),
    )
    gan = tiny().fit(frame)
    samples = gan.sample(50)
    assert isinstance(samples, pd.DataFrame)
    assert list(samples.columns) == ["height", "count", "ratio"]
    assert list(samples.dtypes) == [np.float64, np.int64, np.float32]
    assert samples.shape == (50, 3)
    assert list(gan.feature_names_in_) == ["height", "count", "ratio"]
    # Rounded, not truncated, and inside the observed range.
    assert samples["count"].between(frame["count"].min(), frame["count"].max()).all()


def test_dataframe_with_non_string_column_names(X):
    frame = pd.DataFrame(X)
    samples = tiny().fit(frame).sample(5)
    assert isinstance(samples, pd.DataFrame)
    assert list(samples.columns) == [0, 1, 2]


def test_sample_before_fit_raises():
    with pytest.raises(NotFittedError):
        GANSampler().sample(3)


@pytest.mark.parametrize(
    "n_samples", [0, -3, 2.5, 1.0, None, "10", True, np.float64(3)]
)
def test_invalid_n_samples_is_named(X, n_samples):
    gan = tiny(epochs=1).fit(X)
    with pytest.raises(
        ValueError, match=r"'n_samples'.*int >= 1.*Got " + re.escape(repr(n_samples))
    ):
        gan.sample(n_samples)


def test_numpy_integer_n_samples_is_accepted(X):
    assert tiny(epochs=1).fit(X).sample(np.int64(3)).shape == (3, 3)


def test_sample_leaves_fitted_state_untouched(X):
    gan = tiny().fit(X)
    before = state(gan)
    gan.sample(10_000)
    assert_same_state(before, state(gan))
    assert not gan.generator_.training


def test_large_sample_is_chunked_and_finite(X):
    # More rows than one CPU chunk (8192), so several chunks are stitched.
    samples = tiny(epochs=1).fit(X).sample(20_000, random_state=1)
    assert samples.shape == (20_000, 3)
    assert np.isfinite(samples).all()
    # Different chunks get different noise: no repeated block of rows.
    assert not np.allclose(samples[:8192], samples[8192:16384])


# ------------------------------------------------------------ randomness


def test_same_seed_same_model_and_samples(X):
    a, b = tiny().fit(X), tiny().fit(X)
    assert_same_state(state(a), state(b))
    np.testing.assert_array_equal(a.sample(50), b.sample(50))
    assert a.history_[-1]["d_loss"] == b.history_[-1]["d_loss"]


def test_different_seeds_differ(X):
    a, b = tiny(random_state=0).fit(X), tiny(random_state=1).fit(X)
    assert not np.allclose(a.sample(50, random_state=0), b.sample(50, random_state=0))


def test_sampling_stream_advances_and_is_reproducible(X):
    gan = tiny().fit(X)
    first, second = gan.sample(20), gan.sample(20)
    assert not np.allclose(first, second)
    refit = tiny().fit(X)
    np.testing.assert_array_equal(refit.sample(20), first)
    np.testing.assert_array_equal(refit.sample(20), second)


def test_explicit_random_state_gives_identical_draws(X):
    gan = tiny().fit(X)
    a = gan.sample(30, random_state=7)
    gan.sample(5)  # advancing the stream does not matter
    np.testing.assert_array_equal(a, gan.sample(30, random_state=7))
    assert not np.allclose(a, gan.sample(30, random_state=8))


def test_random_state_instance_advances(X):
    gan = tiny().fit(X)
    rng = np.random.RandomState(3)
    assert not np.allclose(
        gan.sample(10, random_state=rng), gan.sample(10, random_state=rng)
    )


def test_fit_leaves_global_rngs_and_input_untouched(X):
    data = X.copy()
    torch.manual_seed(123)
    np.random.seed(123)  # noqa: NPY002 (the global RNG is under test)
    expected_torch = torch.rand(3)
    expected_numpy = np.random.rand(3)  # noqa: NPY002
    torch.manual_seed(123)
    np.random.seed(123)  # noqa: NPY002 (the global RNG is under test)
    gan = tiny(random_state=None).fit(data)
    gan.sample(10)
    np.testing.assert_array_equal(torch.rand(3).numpy(), expected_torch.numpy())
    np.testing.assert_array_equal(np.random.rand(3), expected_numpy)  # noqa: NPY002
    np.testing.assert_array_equal(data, X)


def test_fit_does_not_write_into_readonly_input(X):
    data = X.copy()
    data.setflags(write=False)
    tiny().fit(data).sample(3)
    np.testing.assert_array_equal(data, X)


# ------------------------------------------------------- batches and pac


@pytest.mark.parametrize(
    "n_rows, batch_size, pac",
    [
        (1, 500, 10),
        (1, 1, 1),
        (2, 1, 1),
        (3, 500, 10),
        (9, 500, 10),
        (101, 50, 1),
        (101, 7, 3),
        (100, 500, 7),
        (37, 10, 10),
    ],
)
def test_any_batch_size_and_pac(n_rows, batch_size, pac):
    X = np.random.RandomState(0).normal(size=(n_rows, 2))
    gan = tiny(batch_size=batch_size, pac=pac).fit(X)
    assert gan.batch_size_ % pac == 0 and gan.batch_size_ >= 2
    assert gan.batch_size_ <= max(batch_size, n_rows) + pac
    samples = gan.sample(11)
    assert samples.shape == (11, 2) and np.isfinite(samples).all()


def test_one_row_and_constant_columns_come_back_exactly():
    X = np.array([[1.5, -2.0, 7.0]])
    samples = tiny().fit(X).sample(5)
    np.testing.assert_array_equal(samples, np.repeat(X, 5, axis=0))
    X = np.c_[np.random.RandomState(0).normal(size=50), np.full(50, 3.25)]
    samples = tiny().fit(X).sample(20)
    np.testing.assert_array_equal(samples[:, 1], 3.25)


# ------------------------------------------------ history, verbose, warm start


def test_history_and_n_iter(X):
    gan = tiny(epochs=3).fit(X)
    assert gan.n_iter_ == 3
    assert [h["epoch"] for h in gan.history_] == [1, 2, 3]
    for entry in gan.history_:
        assert set(entry) == {"epoch", "d_loss", "g_loss", "seconds"}
        assert np.isfinite(entry["d_loss"]) and np.isfinite(entry["g_loss"])
        assert entry["seconds"] > 0


def test_verbose_prints_one_line_per_epoch(X, capsys):
    tiny(epochs=3, verbose=1).fit(X)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert re.match(
        r"\[GANSampler\] epoch 3/3 +d_loss=-?\d+\.\d+ +g_loss=-?\d+\.\d+ +\(\d+\.\d+s\)",
        lines[-1],
    )
    tiny(epochs=3, verbose=0).fit(X)
    assert capsys.readouterr().out == ""


def test_warm_start_continues_training(X):
    gan = tiny(epochs=2, warm_start=True).fit(X)
    after_two = state(gan)
    adam_steps = gan._optimizer_states[0]["state"][0]["step"].item()
    gan.fit(X)
    assert gan.n_iter_ == 4
    assert [h["epoch"] for h in gan.history_] == [1, 2, 3, 4]
    # The optimizer state was kept: Adam's step counter went on.
    assert gan._optimizer_states[0]["state"][0]["step"].item() == 2 * adam_steps
    changed = state(gan)
    assert any(not torch.equal(after_two[k], changed[k]) for k in after_two)
    # A cold fit starts over.
    gan.set_params(warm_start=False).fit(X)
    assert gan.n_iter_ == 2


def test_warm_start_starts_from_the_fitted_weights(X):
    gan = tiny(epochs=2, warm_start=True).fit(X)
    before = state(gan)
    # With a negligible learning rate the continuation barely moves the
    # weights: it began from the fitted ones, not from a new initialisation.
    gan.set_params(generator_lr=1e-12, discriminator_lr=1e-12, epochs=1).fit(X)
    after = state(gan)
    for key in before:
        if "running" in key or "num_batches" in key:
            continue  # batch-norm statistics move without the optimizer
        torch.testing.assert_close(after[key], before[key], rtol=0, atol=1e-6, msg=key)


def test_warm_start_sequences_are_reproducible(X):
    runs = []
    for _ in range(2):
        gan = tiny(epochs=1, warm_start=True)
        for _ in range(3):
            gan.fit(X)
        runs.append(state(gan))
    assert_same_state(*runs)


def test_warm_start_on_rows_outside_the_first_range_stays_finite(X):
    first = np.c_[X[:, :2], np.full(len(X), 1.0)]  # a constant third column
    gan = tiny(epochs=1, warm_start=True).fit(first)
    shifted = np.c_[X[:, :2] * 3 + 10, np.random.RandomState(1).normal(size=len(X))]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        gan.fit(shifted)
    assert gan.n_iter_ == 2
    samples = gan.sample(200)
    # The encoding of the first fit is kept, so is its range.
    assert (samples >= first.min(axis=0)).all() and (samples <= first.max(axis=0)).all()


def test_warm_start_rejects_new_feature_count_and_architecture(X):
    gan = tiny(warm_start=True).fit(X)
    with pytest.raises(
        ValueError, match="X has 2 features, but GANSampler is expecting 3"
    ):
        gan.fit(X[:, :2])
    gan.set_params(latent_dim=9)
    with pytest.raises(ValueError, match="warm_start=True .* cannot\\s+change"):
        gan.fit(X)


def test_failed_refit_does_not_leave_a_fitted_looking_estimator(X):
    gan = tiny().fit(X)
    gan.set_params(generator_dims=(0,))
    with pytest.raises(
        ValueError, match="'generator_dims'.*positive ints.*Got \\(0,\\)"
    ):
        gan.fit(X)
    with pytest.raises(NotFittedError):
        gan.sample(1)


@pytest.mark.parametrize(
    "param, value, pattern",
    [
        ("discriminator_dims", (16, -1), "'discriminator_dims'.*Got \\(16, -1\\)"),
        ("betas", (0.5, 1.0), "'betas'.*\\[0, 1\\).*Got \\(0.5, 1.0\\)"),
        ("betas", (0.5,), "'betas'.*two floats"),
        ("device", "tpu", "'device'.*Got 'tpu'"),
        ("device", "cuda:x", "'device'.*Got 'cuda:x'"),
    ],
)
def test_bad_parameter_values_are_named(X, param, value, pattern):
    with pytest.raises(ValueError, match=pattern):
        tiny(**{param: value}).fit(X)


def test_unavailable_cuda_is_a_clear_error(X, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(
        ValueError, match="'device' parameter is 'cuda' but CUDA is not available"
    ):
        tiny(device="cuda").fit(X)
    gan = tiny(device="auto").fit(X)
    assert gan.device_ == torch.device("cpu")


def test_empty_layer_tuples_make_linear_networks(X):
    gan = tiny(generator_dims=(), discriminator_dims=[]).fit(X)
    assert gan.sample(3).shape == (3, 3)


# ------------------------------------------------------------ divergence


def test_divergence_keeps_last_good_weights(X):
    # An absurd learning rate blows the weights up within one epoch.
    gan = tiny(epochs=5, generator_lr=1e30, discriminator_lr=1e30, loss="bce", pac=1)
    with pytest.warns(
        ConvergenceWarning, match=r"diverged at epoch 1.*initial weights.*generator_lr"
    ):
        gan.fit(X)
    assert gan.n_iter_ < 5
    assert len(gan.history_) == gan.n_iter_
    for module in (gan.generator_, gan.discriminator_):
        assert all(torch.isfinite(p).all() for p in module.state_dict().values())
    samples = gan.sample(100)
    assert np.isfinite(samples).all()


def test_divergence_after_good_epochs_keeps_their_weights(X):
    gan = tiny(epochs=2, warm_start=True).fit(X)
    good = state(gan)
    gan.set_params(generator_lr=1e30, discriminator_lr=1e30, epochs=3)
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 3.*end of epoch 2"):
        gan.fit(X)
    assert gan.n_iter_ == 2 and [h["epoch"] for h in gan.history_] == [1, 2]
    assert_same_state(good, state(gan))
    # Training can go on from there with a sane learning rate.
    gan.set_params(generator_lr=2e-4, discriminator_lr=2e-4, epochs=1).fit(X)
    assert gan.n_iter_ == 3 and np.isfinite(gan.sample(50)).all()


# ----------------------------------------------------------- persistence


def test_pickle_and_joblib_round_trips_give_identical_samples(X, tmp_path):
    gan = tiny().fit(X)
    expected = gan.sample(40, random_state=5)
    clone = pickle.loads(pickle.dumps(gan))
    np.testing.assert_array_equal(clone.sample(40, random_state=5), expected)
    joblib.dump(gan, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib", mmap_mode="r")
    np.testing.assert_array_equal(loaded.sample(40, random_state=5), expected)
    memmapped = create_memmap_backed_data(gan)
    np.testing.assert_array_equal(memmapped.sample(40, random_state=5), expected)
    # The sampling stream is part of the state: the next unseeded draws agree.
    np.testing.assert_array_equal(clone.sample(7), gan.sample(7))


def test_model_trained_on_cuda_samples_on_a_cpu_only_machine(X, monkeypatch):
    gan = tiny().fit(X)
    expected = gan.sample(25, random_state=2)
    # Simulate: the model says it was trained on CUDA, and this machine has none.
    gan.device_ = torch.device("cuda", 0)
    blob = pickle.dumps(gan)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = pickle.loads(blob)
    with pytest.warns(UserWarning, match="trained on cuda:0, which is not available"):
        samples = loaded.sample(25, random_state=2)
    np.testing.assert_array_equal(samples, expected)


def test_cuda_location_tags_would_fail_without_cpu_copies(X, monkeypatch):
    # The simulation above is meaningful: a storage tagged "cuda:0" cannot be
    # unpickled here, which is exactly what keeping CPU copies avoids.
    module = torch.nn.Linear(2, 2)
    monkeypatch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
    blob = pickle.dumps(module)
    monkeypatch.undo()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="CUDA"):
        pickle.loads(blob)


# -------------------------------------------------------------- tags, CUDA


def test_tags():
    tags = GANSampler(device="cpu").__sklearn_tags__()
    assert tags.target_tags.required is False
    assert tags.input_tags.allow_nan is True
    assert tags.input_tags.string is True
    assert tags.non_deterministic is False


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@cuda
@pytest.mark.cuda
def test_cuda_fit_and_sample(X):
    gan = tiny(device="cuda").fit(X)
    assert gan.device_.type == "cuda"
    assert all(p.device.type == "cpu" for p in gan.generator_.parameters())
    samples = gan.sample(10_000, random_state=0)
    assert samples.shape == (10_000, 3) and np.isfinite(samples).all()
    np.testing.assert_array_equal(samples, gan.sample(10_000, random_state=0))


@cuda
@pytest.mark.cuda
def test_cuda_model_loads_in_a_cpu_only_process(X, tmp_path):
    import subprocess
    import sys

    gan = tiny(device="cuda").fit(X)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(gan))
    code = (
        "import pickle, sys, warnings, numpy as np, torch;"
        "assert not torch.cuda.is_available();"
        f"gan = pickle.load(open({str(path)!r}, 'rb'));"
        "warnings.simplefilter('ignore');"
        "s = gan.sample(100, random_state=0); assert np.isfinite(s).all(); print(s.shape)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"CUDA_VISIBLE_DEVICES": "", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "(100, 3)" in result.stdout


def test_repr_and_io_do_not_break_on_buffers(X):
    # The fitted estimator prints and its HTML repr renders.
    gan = tiny().fit(X)
    assert "GANSampler(" in repr(gan)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        html = gan._repr_html_()
    assert "GANSampler" in html
    try:  # the scikit-learn releases whose HTML repr lists fitted attributes
        import sklearn.utils._repr_html.fitted_attributes  # noqa: F401
    except ImportError:
        return
    assert "n_iter_" in html


@pytest.mark.parametrize("n_jobs, expected", [(1, 1), (2, 2), (-1, None)])
def test_n_jobs_sets_threads_during_fit_and_restores_them(
    X, monkeypatch, n_jobs, expected
):
    import os

    import skgan._training as training

    seen = []
    original = training.train_epoch

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(*args, **kwargs)

    monkeypatch.setattr(training, "train_epoch", spy)
    monkeypatch.setattr("skgan._sampler.train_epoch", spy)
    before = torch.get_num_threads()
    tiny(n_jobs=n_jobs).fit(X)
    assert set(seen) == {expected if expected is not None else os.cpu_count()}
    assert torch.get_num_threads() == before


def test_n_jobs_zero_is_rejected(X):
    with pytest.raises(ValueError, match="'n_jobs' parameter"):
        tiny(n_jobs=0).fit(X)


def test_random_state_instance_passed_to_fit_is_advanced(X):
    rng = np.random.RandomState(0)
    a = tiny(random_state=rng).fit(X)
    b = tiny(random_state=rng).fit(X)
    assert not np.allclose(a.sample(20, random_state=0), b.sample(20, random_state=0))


def test_sample_restores_threads(X):
    gan = tiny(n_jobs=1).fit(X)
    before = torch.get_num_threads()
    gan.set_params(n_jobs=2).sample(10)
    assert torch.get_num_threads() == before


def test_fit_restores_flush_denormal(X):
    from skgan._utils import _flush_denormal_is_on

    assert not _flush_denormal_is_on()
    tiny().fit(X)
    assert not _flush_denormal_is_on()
    torch.set_flush_denormal(True)
    try:
        tiny().fit(X)
        assert _flush_denormal_is_on()
    finally:
        torch.set_flush_denormal(False)


def test_nullable_and_bool_dataframe_columns_round_trip(X):
    frame = pd.DataFrame(
        {
            "count": pd.array(np.round(X[:, 1]).astype(int), dtype="Int64"),
            "flag": X[:, 0] > 0,
            "amount": pd.array(X[:, 2], dtype="Float64"),
        }
    )
    samples = tiny().fit(frame).sample(30)
    assert list(samples.dtypes) == list(frame.dtypes)
    assert set(samples["flag"].unique()) <= {True, False}
    assert samples["count"].between(frame["count"].min(), frame["count"].max()).all()


@pytest.mark.parametrize(
    "frame, pattern",
    [
        (
            pd.DataFrame({"a": [1.0, 2.0], "b": [1j, 2.0]}),
            r"Complex data not supported: columns \['b'\]",
        ),
        (
            pd.DataFrame({"a": [1.0, np.inf], "b": ["x", "y"]}),
            r"Column 'a' contains infinity",
        ),
        (pd.DataFrame({"a": []}), r"0 sample\(s\)"),
        (
            pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=["a", "a"]),
            r"duplicate column names \['a'\]",
        ),
    ],
)
def test_unsupported_dataframes_are_rejected_before_training(frame, pattern):
    gan = tiny()
    with pytest.raises(ValueError, match=pattern):
        gan.fit(frame)
    with pytest.raises(NotFittedError):
        gan.sample(1)


def test_epochs_auto_trains_at_least_the_step_budget(monkeypatch):
    import skgan._sampler as module

    # The real budget: 3,000 steps and 300 epochs at least.
    class Config:
        steps_per_epoch = 1

    assert module.n_epochs("auto", Config) == 3000  # a table of <= 500 rows
    Config.steps_per_epoch = 6  # the 3,000-row Adult sample at batch 500
    assert module.n_epochs("auto", Config) == 500
    Config.steps_per_epoch = 66  # full Adult
    assert module.n_epochs("auto", Config) == 300
    assert module.n_epochs(7, Config) == 7
    # In fit, with a small budget: 60 rows.
    monkeypatch.setattr(module, "_AUTO_EPOCHS", 3)
    monkeypatch.setattr(module, "_AUTO_STEPS", 20)
    X = np.random.RandomState(0).normal(size=(60, 2))
    gan = GANSampler(
        latent_dim=4, generator_dims=(8,), discriminator_dims=(8,), device="cpu"
    )
    assert gan.epochs == "auto"
    assert gan.fit(X).n_iter_ == 20  # batch capped at 60 rows: 1 step an epoch
    assert gan.set_params(batch_size=10).fit(X).n_iter_ == 4  # 6 steps an epoch
    assert gan.set_params(batch_size=2, pac=1).fit(X).n_iter_ == 3  # 30 steps
    assert gan.set_params(epochs=2).fit(X).n_iter_ == 2


def test_verbose_1_prints_about_100_lines_of_a_long_fit(X, capsys):
    # epochs="auto" gives a small table thousands of one-step epochs.
    tiny(epochs=201, verbose=1).fit(X)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 67 and lines[-1].startswith("[GANSampler] epoch 201/201")
    assert lines[0].startswith("[GANSampler] epoch 3/201")
    tiny(epochs=7, verbose=2, warm_start=True).fit(X).set_params(epochs=201).fit(X)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 7 + 201 and lines[-1].startswith("[GANSampler] epoch 208/208")
