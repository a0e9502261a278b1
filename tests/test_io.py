"""skgan.save / skgan.load: exact round trips, and files that must be refused."""

import io
import json
import os
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

import skgan
from skgan import GANAugmentedClassifier, GANSampler


def tiny(**params):
    defaults = dict(
        epochs=2,
        latent_dim=8,
        generator_dims=(16,),
        discriminator_dims=(16,),
        batch_size=40,
        pac=4,
        device="cpu",
        random_state=0,
    )
    return GANSampler(**{**defaults, **params})


def messy_frame(n=80):
    rng = np.random.RandomState(0)
    X = pd.DataFrame(
        {
            "f": rng.normal(size=n),
            "i": rng.randint(0, 5, n),
            "I": pd.array(rng.randint(0, 5, n), dtype="Int64"),
            "c": pd.Categorical(rng.choice(["a", "b"], n), categories=["b", "a"]),
            "o": rng.choice(["x", "y", None], n).astype(object),
            "s": pd.array(rng.choice(["p", "q"], n), dtype="string"),
            "b": rng.rand(n) < 0.5,
            "t": pd.date_range("2020-01-01", periods=n, freq="D", tz="Europe/Paris"),
            "d": pd.to_timedelta(rng.randint(0, 9, n), unit="h"),
        }
    )
    X.loc[3, "f"] = np.nan
    y = pd.Series(rng.choice(["u", "v"], n), name="label")
    return X, y


def round_trip(estimator, tmp_path):
    path = tmp_path / "model.skgan"
    skgan.save(estimator, path)
    return skgan.load(path)


def test_time_zones_come_back_from_the_library_that_made_them(tmp_path):
    # pandas < 3 makes pytz zones from a name, pandas 3 zoneinfo ones; the
    # two make different dtypes, so a loaded model keeps the one of fit.
    import zoneinfo

    pytz = pytest.importorskip("pytz", reason="pytz comes with pandas < 3")
    days = pd.to_timedelta(np.arange(40), unit="D") + pd.Timestamp("2024-01-01")
    X = pd.DataFrame(
        {
            "p": days.tz_localize(pytz.timezone("Europe/Paris")),
            "z": days.tz_localize(zoneinfo.ZoneInfo("Asia/Tokyo")),
        }
    )
    loaded = round_trip(tiny().fit(X), tmp_path)
    assert list(loaded.sample(5).dtypes) == list(X.dtypes)


def test_mixed_frame_model_round_trips_exactly(tmp_path):
    X, y = messy_frame()
    X.columns.name = "features"
    gan = tiny().fit(X, y)
    loaded = round_trip(gan, tmp_path)
    assert type(loaded) is GANSampler and loaded.get_params() == gan.get_params()
    # Same rows for a fixed seed, and the same sampling stream afterwards.
    a, ya = gan.sample(50, random_state=3, return_y=True)
    b, yb = loaded.sample(50, random_state=3, return_y=True)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_series_equal(ya, yb)
    pd.testing.assert_frame_equal(gan.sample(30), loaded.sample(30))
    pd.testing.assert_frame_equal(
        gan.sample(20, conditions={"c": "a"}), loaded.sample(20, conditions={"c": "a"})
    )
    assert list(b.dtypes) == list(X.dtypes)
    assert b.columns.name == "features"
    np.testing.assert_array_equal(loaded.classes_, gan.classes_)
    assert loaded.history_ == gan.history_ and loaded.n_iter_ == 2
    np.testing.assert_array_equal(loaded.feature_names_in_, X.columns)
    for name, tensor in gan.generator_.state_dict().items():
        assert torch.equal(tensor, loaded.generator_.state_dict()[name]), name
    # Training continues from the saved weights and optimiser state, exactly
    # as the original does.
    gan.set_params(warm_start=True).fit(X, y)
    loaded.set_params(warm_start=True).fit(X, y)
    assert loaded.n_iter_ == 4
    pd.testing.assert_frame_equal(
        gan.sample(20, random_state=1), loaded.sample(20, random_state=1)
    )


@pytest.mark.parametrize(
    "X",
    [
        np.random.RandomState(0).normal(size=(60, 3)).astype(np.float32),
        np.array([[1.5, "a"], [2, "b"], [3.25, None]] * 20, dtype=object),
        np.array([["u", "v"], ["w", "v"]] * 20),
    ],
    ids=["float32", "object", "str"],
)
def test_array_models_round_trip(X, tmp_path):
    gan = tiny().fit(X)
    loaded = round_trip(gan, tmp_path)
    a, b = gan.sample(25, random_state=2), loaded.sample(25, random_state=2)
    assert a.dtype == b.dtype == X.dtype
    assert [[type(v) for v in row] for row in a] == [
        [type(v) for v in row] for row in b
    ]
    np.testing.assert_array_equal(a, b)


def test_unfitted_model_keeps_its_parameters(tmp_path):
    gan = GANSampler(generator_dims=[64], betas=(0.4, 0.8), device=torch.device("cpu"))
    loaded = round_trip(gan, tmp_path)
    assert loaded.get_params() == gan.get_params()
    with pytest.raises(NotFittedError):
        loaded.sample(1)


def test_file_objects_work_and_the_file_is_a_weights_only_torch_file(tmp_path):
    gan = tiny().fit(np.random.RandomState(0).normal(size=(40, 2)))
    buffer = io.BytesIO()
    skgan.save(gan, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(
        skgan.load(buffer).sample(5, random_state=0), gan.sample(5, random_state=0)
    )
    buffer.seek(0)
    payload = torch.load(buffer, weights_only=True, map_location="cpu")
    assert payload["format"] == "skgan-model"
    assert json.loads(payload["metadata"])["estimator"]["class"].endswith("GANSampler")


def test_oversampler_and_the_meta_estimators_sampler(tmp_path):
    pytest.importorskip("imblearn")
    from skgan import GANOverSampler

    X, y = messy_frame()
    over = GANOverSampler(sampling_strategy={"u": 60, "v": 60}, sampler=tiny())
    over.set_params(random_state=0).fit_resample(X, y)
    loaded = round_trip(over, tmp_path)
    assert loaded.get_params()["sampling_strategy"] == {"u": 60, "v": 60}
    assert dict(loaded.sampling_strategy_) == dict(over.sampling_strategy_)
    pd.testing.assert_frame_equal(
        loaded.sampler_.sample(10, random_state=0),
        over.sampler_.sample(10, random_state=0),
    )
    # A callable strategy cannot be stored safely: a clear error.
    with pytest.raises(TypeError, match="cannot store a builtins.function"):
        skgan.save(GANOverSampler(sampling_strategy=lambda y: {}), tmp_path / "x")

    Xn = np.random.RandomState(0).normal(size=(60, 2))
    meta = GANAugmentedClassifier(
        LogisticRegression(), sampler=tiny(), random_state=0
    ).fit(Xn, (Xn[:, 0] > 0).astype(int))
    with pytest.raises(TypeError, match=r"skgan.save\(model.sampler_, path\)"):
        skgan.save(meta, tmp_path / "meta.skgan")
    loaded = round_trip(meta.sampler_, tmp_path)
    np.testing.assert_array_equal(
        loaded.sample(5, random_state=0), meta.sampler_.sample(5, random_state=0)
    )
    with pytest.raises(TypeError, match="saves GANSampler and GANOverSampler"):
        skgan.save(LogisticRegression(), tmp_path / "lr.skgan")


def test_parameters_changed_after_fit_apply_to_the_next_fit_only(tmp_path):
    # sample and save/load use the fitted networks' architecture, not the
    # current parameters.
    X, _ = messy_frame()
    gan = tiny().fit(X)
    before = gan.sample(30, random_state=0)
    gan.set_params(conditional=False, generator_dims=(32, 32), latent_dim=4, pac=2)
    pd.testing.assert_frame_equal(gan.sample(30, random_state=0), before)
    pd.testing.assert_frame_equal(
        round_trip(gan, tmp_path).sample(30, random_state=0), before
    )
    pd.testing.assert_frame_equal(
        gan.sample(30, conditions={"c": "a"}, random_state=0)[["c"]],
        pd.DataFrame({"c": pd.Categorical(["a"] * 30, categories=["b", "a"])}),
    )
    # The next fit builds the new architecture.
    gan.fit(X)
    assert gan.generator_.embed.width == 0  # conditional=False
    assert [b.linear.out_features for b in gan.generator_.blocks] == [32, 32]


def test_numpy_scalars_round_trip_as_scalars(tmp_path):
    # Parameters given as numpy scalars, and an oversampler fitted on integer
    # labels (its sampling_strategy_ is keyed by np.int64), come back as the
    # same scalars, not as 1-element arrays.
    pytest.importorskip("imblearn")
    from skgan import GANOverSampler

    gan = tiny(epochs=np.int64(2), gradient_penalty=np.float32(10.0))
    loaded = round_trip(gan, tmp_path).get_params()
    for name in ("epochs", "gradient_penalty"):
        value, original = loaded[name], gan.get_params()[name]
        assert type(value) is type(original) and value == original

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(120, 3)), (np.arange(120) < 30).astype(int)
    over = GANOverSampler(sampler=tiny(), random_state=0)
    over.fit_resample(X, y)
    loaded = round_trip(over, tmp_path)
    strategy = loaded.sampling_strategy_
    assert list(strategy) == list(over.sampling_strategy_)
    for key, count in strategy.items():
        assert type(key) is np.int64 and np.ndim(count) == 0
        assert count == over.sampling_strategy_[key]
    np.testing.assert_array_equal(
        loaded.sampler_.sample(10, random_state=0),
        over.sampler_.sample(10, random_state=0),
    )

    # Categories held as numpy scalars in an object column.
    codes = np.array([np.int64(v) for v in rng.choice([10, 20], 80)], dtype=object)
    Xo = np.column_stack([rng.normal(size=80), codes]).astype(object)
    gan = tiny(categorical_features=[1]).fit(Xo)
    loaded = round_trip(gan, tmp_path)
    a, b = gan.sample(20, random_state=0), loaded.sample(20, random_state=0)
    assert [type(v) for v in b[:, 1]] == [type(v) for v in a[:, 1]]
    np.testing.assert_array_equal(a, b)
    assert set(loaded.sample(10, conditions={1: 20})[:, 1]) == {20}


def test_numpy_scalars_from_older_files_load_as_scalars():
    # Files written before the fix stored a numpy scalar as a shape-(1,) array.
    from skgan.io import _Reader

    reader = _Reader({"t0": torch.tensor([7])})
    stored = {
        "__t": "np_scalar",
        "v": {"__t": "ndarray", "dtype": "<i8", "tensor": "t0"},
    }
    value = reader.value(stored)
    assert type(value) is np.int64 and value == 7


def test_model_saved_from_cuda_loads_on_a_cpu_machine(tmp_path, monkeypatch):
    # Tag every stored tensor as a CUDA tensor, as a GPU machine would (the
    # bytes torch writes are the same), and record the CUDA device.
    X = np.random.RandomState(0).normal(size=(40, 2))
    gan = tiny().fit(X)
    expected = gan.sample(8, random_state=0)
    gan.device_ = torch.device("cuda:0")
    import torch.serialization as serialization

    monkeypatch.setattr(serialization, "location_tag", lambda storage: "cuda:0")
    skgan.save(gan, tmp_path / "gpu.skgan")
    monkeypatch.undo()
    with pytest.raises(RuntimeError, match="CUDA"):
        if torch.cuda.is_available():
            pytest.skip("this machine has CUDA")
        torch.load(tmp_path / "gpu.skgan", weights_only=True)  # without map_location
    loaded = skgan.load(tmp_path / "gpu.skgan")
    assert loaded.device_ == torch.device("cuda:0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sampling on the CPU"
        np.testing.assert_array_equal(loaded.sample(8, random_state=0), expected)


class _Payload:
    """Unpickling this creates a file: what a malicious model file would do."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


@pytest.mark.parametrize("writer", ["pickle", "torch.save"])
def test_pickles_are_refused_without_running_them(writer, tmp_path):
    target = tmp_path / "pwned.txt"
    path = tmp_path / "model.skgan"
    with open(path, "wb") as f:
        if writer == "pickle":
            pickle.dump({"format": "skgan-model", "x": _Payload(target)}, f)
        else:
            torch.save({"format": "skgan-model", "x": _Payload(target)}, f)
    with pytest.raises(ValueError, match="not a skgan model file"):
        skgan.load(path)
    assert not target.exists()
    # The payload does work when unpickled, so the test above can fail.
    if writer == "pickle":
        with open(path, "rb") as f:
            pickle.load(f)
        assert target.exists()


def _tamper(path, edit):
    """Edit a file's JSON as an attacker would: the digest recomputed."""
    from skgan.io import _digest

    payload = torch.load(path, weights_only=True)
    metadata = json.loads(payload["metadata"])
    edit(metadata)
    payload["metadata"] = json.dumps(metadata)
    payload["digest"] = _digest(payload["metadata"], payload["tensors"])
    torch.save(payload, path)


def test_tampered_files_are_refused(tmp_path):
    X, y = messy_frame()
    path = tmp_path / "model.skgan"
    skgan.save(tiny().fit(X, y), path)

    def rename_estimator(metadata):
        metadata["estimator"]["class"] = "subprocess.Popen"

    _tamper(path, rename_estimator)
    with pytest.raises(ValueError, match="refused: 'subprocess.Popen'"):
        skgan.load(path)

    skgan.save(tiny().fit(X, y), path)

    def rename_object(metadata):
        state = dict(metadata["estimator"]["state"]["v"])
        state["encoder_"]["class"] = "os.system"

    _tamper(path, rename_object)
    with pytest.raises(ValueError, match="names the class 'os.system'"):
        skgan.load(path)


def test_other_files_and_truncated_files_are_clear_errors(tmp_path):
    gan = tiny().fit(np.random.RandomState(0).normal(size=(40, 2)))
    path = tmp_path / "model.skgan"
    skgan.save(gan, path)
    data = path.read_bytes()
    (tmp_path / "cut.skgan").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="damaged or truncated"):
        skgan.load(tmp_path / "cut.skgan")
    (tmp_path / "table.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a skgan model file"):
        skgan.load(tmp_path / "table.csv")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="a torch file but not a skgan model file"):
        skgan.load(tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError):
        skgan.load(tmp_path / "missing.skgan")


def test_a_file_from_another_version_warns(tmp_path):
    path = tmp_path / "model.skgan"
    skgan.save(tiny().fit(np.random.RandomState(0).normal(size=(40, 2))), path)

    def older(metadata):
        metadata["versions"]["skgan"] = "0.0.1"

    _tamper(path, older)
    with pytest.warns(UserWarning, match="saved by skgan 0.0.1"):
        skgan.load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        skgan.save(tiny(), tmp_path / "new.skgan")
        skgan.load(tmp_path / "new.skgan")  # the same version: no warning
    assert os.path.getsize(tmp_path / "new.skgan") > 0


# ------------------------------------------------------------------ integrity


def _saved(tmp_path):
    X, y = messy_frame()
    gan = tiny().fit(X, y)
    path = tmp_path / "model.skgan"
    skgan.save(gan, path)
    return gan, path


def test_a_changed_weight_or_json_value_is_refused_at_load(tmp_path):
    # Damage that the container does not notice: a value changed inside the
    # payload, written back without the digest being updated. Without the
    # digest these files load and sample other rows.
    gan, path = _saved(tmp_path)
    payload = torch.load(path, weights_only=True)
    name = next(k for k, t in payload["tensors"].items() if t.is_floating_point())
    payload["tensors"][name] = payload["tensors"][name] + 1
    torch.save(payload, tmp_path / "weight.skgan")
    payload = torch.load(path, weights_only=True)
    payload["metadata"] = payload["metadata"].replace('["epochs", 2]', '["epochs", 3]')
    assert '["epochs", 3]' in payload["metadata"]
    torch.save(payload, tmp_path / "json.skgan")
    for name in ("weight", "json"):
        with pytest.raises(ValueError, match="does not match the SHA-256 digest"):
            skgan.load(tmp_path / f"{name}.skgan")
    assert skgan.load(path).get_params() == gan.get_params()


def test_a_version_1_file_without_digest_still_loads(tmp_path):
    gan, path = _saved(tmp_path)
    payload = torch.load(path, weights_only=True)
    del payload["digest"]
    payload["format_version"] = 1
    metadata = json.loads(payload["metadata"])
    metadata["format_version"] = 1
    payload["metadata"] = json.dumps(metadata)
    torch.save(payload, path)
    loaded = skgan.load(path)
    pd.testing.assert_frame_equal(
        loaded.sample(5, random_state=2), gan.sample(5, random_state=2)
    )
    # A version 2 file whose version number alone was damaged to 1 is refused.
    _, path = _saved(tmp_path)
    payload = torch.load(path, weights_only=True)
    payload["format_version"] = 1
    torch.save(payload, path)
    with pytest.raises(ValueError, match="damaged"):
        skgan.load(path)


def test_damaged_copies_are_refused_at_load_or_sample_the_same_rows(tmp_path):
    # Seeded fuzzing: random byte changes, truncations and appended bytes.
    # Every copy is refused by load with a ValueError, or loads a model that
    # samples exactly the rows of the original: none fails later.
    gan, path = _saved(tmp_path)
    data = path.read_bytes()
    expected = gan.sample(4, random_state=1)
    rng = np.random.RandomState(0)
    refused = 0
    for i in range(240):
        damaged = bytearray(data)
        if i % 3 == 0:
            for position in rng.randint(len(data), size=rng.randint(1, 5)):
                damaged[position] ^= rng.randint(1, 256)
        elif i % 3 == 1:
            damaged = damaged[: rng.randint(len(data))]
        else:
            damaged += rng.bytes(rng.randint(1, 64))
        copy = tmp_path / "damaged.skgan"
        copy.write_bytes(bytes(damaged))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch's notes on odd archives
                loaded = skgan.load(copy)
        except ValueError:
            refused += 1
            continue
        pd.testing.assert_frame_equal(loaded.sample(4, random_state=1), expected)
    # The damage is real: every truncation and most byte changes are refused.
    assert refused >= 80
