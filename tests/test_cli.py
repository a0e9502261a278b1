"""The command line: ``python -m skgan demo | fit | sample | evaluate``.

Most tests run the command in a subprocess, as a user would, and check the
exit status, stderr and the files written. Variants of the same error are
run in-process through ``skgan.__main__.main`` to keep the file fast.
"""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import skgan
from skgan.__main__ import main
from skgan.datasets import load_adult

COLUMNS = ["age", "colour", "size", "x", "count", "flag", "grade", "label"]


def run(*args, env=None, timeout=300):
    """``python -m skgan ARGS`` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "skgan", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )


def assert_user_error(result, *fragments):
    """Exit status 2, one line on stderr starting 'skgan: error: '."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("skgan: error: "), lines[0]
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def make_table(n=60, seed=0):
    """A small mixed table: ints, text, floats, an int column with blanks."""
    rng = np.random.RandomState(seed)
    size = rng.choice(["S", "M", "L"], n).astype(object)
    size[::7] = None
    return pd.DataFrame(
        {
            "age": rng.randint(18, 80, n),
            "colour": rng.choice(["red", "blue", "green"], n),
            "size": size,
            "x": rng.normal(size=n).round(3),
            "count": pd.array([1, 2, None] * (n // 3), dtype="Int64"),
            "flag": rng.rand(n) > 0.5,
            "grade": rng.choice([1, 2, 3], n),
            "label": rng.choice(["yes", "no"], n),
        }
    )


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A CSV file and a model fitted on it by ``skgan fit`` with a target."""
    folder = tmp_path_factory.mktemp("cli")
    data = folder / "data.csv"
    make_table().to_csv(data, index=False)
    model = folder / "model.skgan"
    result = run(
        "fit", data, "-o", model, "--target", "label", "--categorical", "grade",
        "--epochs", 2, "--batch-size", 30, "--device", "cpu", "--seed", 0,
    )  # fmt: skip
    return data, model, result


# ------------------------------------------------------------ end to end


def test_fit_sample_evaluate_end_to_end(fitted, tmp_path):
    data, model, fit = fitted
    assert fit.returncode == 0, fit.stderr
    assert f"Wrote the model to {model}" in fit.stdout
    # One progress line per epoch, on stderr; nothing else there.
    epochs = [line for line in fit.stderr.splitlines() if line]
    assert len(epochs) == 2 and epochs[1].startswith("[GANSampler] epoch 2/2")
    gan = skgan.load(model)
    assert list(gan.classes_) == ["no", "yes"] and gan.n_iter_ == 2
    assert gan.batch_size_ == 30

    out = tmp_path / "synthetic.csv"
    result = run("sample", model, "-n", 25, "-o", out, "--seed", 1)
    assert result.returncode == 0, result.stderr
    assert "Wrote 25 rows" in result.stdout
    real, synthetic = pd.read_csv(data), pd.read_csv(out)
    # The target column comes back, last (where it was in this file).
    assert list(synthetic.columns) == COLUMNS and len(synthetic) == 25
    assert set(synthetic["label"]) <= {"yes", "no"}
    for name in ("age", "grade"):
        assert synthetic[name].dtype == np.int64
    assert synthetic["flag"].dtype == bool and synthetic["x"].dtype == np.float64
    assert set(synthetic["colour"]) <= {"red", "blue", "green"}
    assert set(synthetic["grade"]) <= {1, 2, 3}  # categorical: seen values only
    # The integer column with blanks is written as integers, not 1.0.
    counts = [line.split(",")[4] for line in out.read_text().splitlines()[1:]]
    assert all(c in ("", "1", "2") for c in counts), counts
    assert synthetic["age"].between(real["age"].min(), real["age"].max()).all()

    result = run("evaluate", data, out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Synthetic data quality report")
    for metric in ("column_shapes", "column_pair_trends", "detection_auc"):
        assert metric in result.stdout


def test_sample_seed_reproduces_and_stdout(fitted, tmp_path, capsys):
    _, model, _ = fitted
    first = tmp_path / "first.csv"
    assert run("sample", model, "-n", 20, "-o", first, "--seed", 5).returncode == 0
    # Another process, no -o: the same CSV goes to stdout, and nothing else.
    assert main(["sample", str(model), "-n", "20", "--seed", "5"]) == 0
    again = capsys.readouterr().out
    assert again == first.read_text()
    assert main(["sample", str(model), "-n", "20", "--seed", "6", "-o", "-"]) == 0
    other = capsys.readouterr().out
    assert other.splitlines()[0] == ",".join(COLUMNS)
    assert len(other.splitlines()) == 21
    assert other != again
    # Without --seed, every run draws new rows.
    assert main(["sample", str(model), "-n", "20"]) == 0
    assert main(["sample", str(model), "-n", "20"]) == 0
    unseeded = capsys.readouterr().out.split(",".join(COLUMNS))
    assert unseeded[1] != unseeded[2]


def test_sample_conditions_on_features_and_target(fitted, tmp_path):
    _, model, _ = fitted
    out = tmp_path / "conditional.csv"
    result = run(
        "sample", model, "-n", 30, "-o", out, "--seed", 0,
        "--condition", "colour=red", "--condition", "grade=2",
        "--condition", "label=yes",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = pd.read_csv(out)
    assert len(rows) == 30 and list(rows.columns) == COLUMNS
    assert (rows["colour"] == "red").all()
    assert (rows["grade"] == 2).all()
    assert (rows["label"] == "yes").all()


def test_condition_on_the_missing_level_in_process(fitted, tmp_path, capsys):
    _, model, _ = fitted
    out = tmp_path / "missing.csv"
    status = main(
        ["sample", str(model), "-n", "15", "-o", str(out), "--condition", "size="]
    )
    assert status == 0, capsys.readouterr().err
    assert pd.read_csv(out)["size"].isna().all()


def test_model_without_target(tmp_path):
    data = tmp_path / "data.csv"
    make_table(n=30, seed=1).to_csv(data, index=False)
    model = tmp_path / "plain.skgan"
    assert main(["fit", str(data), "-o", str(model), "--epochs", "1", "-q"]) == 0
    out = tmp_path / "plain.csv"
    status = main(
        ["sample", str(model), "-n", "12", "-o", str(out), "--condition", "label=no"]
    )
    assert status == 0
    rows = pd.read_csv(out)
    # label is an ordinary categorical column here, in its own place.
    assert list(rows.columns) == COLUMNS and (rows["label"] == "no").all()


@pytest.mark.parametrize(
    "option, value, param",
    [
        ("--precision", "bf16", "bf16"),
        ("--compile", "reduce-overhead", "reduce-overhead"),
    ],
)
def test_gpu_option_on_the_cpu_warns_in_one_line_and_trains(
    tmp_path, capsys, option, value, param
):
    data = tmp_path / "data.csv"
    make_table(n=30, seed=2).to_csv(data, index=False)
    model = tmp_path / "fast.skgan"
    common = ["--epochs", "1", "-q", "--device", "cpu", "--seed", "0"]
    argv = ["fit", str(data), "-o", str(model), *common, option, value]
    assert main(argv) == 0
    err = capsys.readouterr().err
    name = option.lstrip("-")
    assert f"skgan: warning: {name}={param!r} is ignored" in err
    assert len(err.strip().splitlines()) == 1
    gan = skgan.load(model)
    assert gan.get_params()[name] == param
    # On the CPU the model is the one trained without the option.
    plain = tmp_path / "plain.skgan"
    assert main(["fit", str(data), "-o", str(plain), *common]) == 0
    pd.testing.assert_frame_equal(
        gan.sample(50, random_state=0), skgan.load(plain).sample(50, random_state=0)
    )


def test_failed_save_keeps_the_previous_model(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data.csv"
    make_table(n=30).to_csv(data, index=False)
    model = tmp_path / "model.skgan"
    model.write_bytes(b"previous model")

    def failing_save(payload, path):
        with open(path, "wb") as file:
            file.write(b"half a model")
        raise OSError("No space left on device")

    # skgan.save writes through torch.save to a temporary file, then renames.
    monkeypatch.setattr(skgan.io.torch, "save", failing_save)
    status = main(["fit", str(data), "-o", str(model), "--epochs", "1", "-q"])
    assert status == 2
    assert capsys.readouterr().err == "skgan: error: No space left on device\n"
    assert model.read_bytes() == b"previous model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "model.skgan"]


def test_evaluate_with_holdout_and_target(tmp_path, capsys):
    table = make_table().drop(columns=["size", "count"])  # no missing values
    real, holdout = tmp_path / "real.csv", tmp_path / "holdout.csv"
    synthetic = tmp_path / "synthetic.csv"
    table.iloc[:40].to_csv(real, index=False)
    table.iloc[40:].to_csv(holdout, index=False)
    # Columns in another order are matched by name.
    make_table(seed=3)[list(reversed(table.columns))].to_csv(synthetic, index=False)
    argv = ["evaluate", str(real), str(synthetic), "--holdout", str(holdout)]
    assert main([*argv, "--target", "label", "--categorical", "grade"]) == 0
    report = capsys.readouterr().out
    assert report.startswith("Synthetic data quality report")
    for metric in ("ml_accuracy_synthetic", "ml_f1_macro_real", "dcr_median_holdout"):
        assert metric in report


# ----------------------------------------------------------- user errors


def test_bad_condition_value_lists_valid_values(fitted):
    _, model, _ = fitted
    line = assert_user_error(
        run("sample", model, "-n", 5, "--condition", "colour=purple"),
        "'purple'",
        "'blue', 'green', 'red'",
    )
    assert "valid values" in line


@pytest.mark.parametrize(
    "condition, fragments",
    [
        ("x=1.5", ["continuous", "'colour'"]),
        ("nope=1", ["no column 'nope'", "'label'"]),
        ("colour", ["column=value"]),
        ("grade=4", ["'1', '2', '3'"]),
        ("size=XL", ["'L', 'M', 'S'", "missing value"]),
        ("label=maybe", ["'maybe'", "'no', 'yes'"]),
        # One value per column: the second used to win silently.
        ("colour=red --condition colour=blue", ["'colour' is already fixed"]),
        ("label=yes --condition label=no", ["'label' is already fixed"]),
    ],
)
def test_bad_conditions_in_process(fitted, capsys, condition, fragments):
    _, model, _ = fitted
    options = [
        part
        for text in condition.split(" --condition ")
        for part in ("--condition", text)
    ]
    status = main(["sample", str(model), "-n", "5", *options])
    err = capsys.readouterr().err
    assert status == 2 and len(err.splitlines()) == 1, err
    assert err.startswith("skgan: error: ")
    for fragment in fragments:
        assert fragment in err


def test_missing_files(tmp_path, capsys):
    missing = tmp_path / "nope.csv"
    assert_user_error(run("fit", missing, "-o", tmp_path / "m.skgan"), "no such file")
    for argv in (
        ["sample", str(tmp_path / "nope.skgan"), "-n", "3"],
        ["evaluate", str(missing), str(missing)],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err == f"skgan: error: {argv[1]}: no such file\n"


def test_non_model_file_given_to_sample(fitted):
    data, _, _ = fitted
    assert_user_error(run("sample", data, "-n", 3), "not a skgan model file")


def test_fit_early_stopping_option_in_process(fitted, tmp_path, capsys):
    data, _, _ = fitted
    model = tmp_path / "m.skgan"
    common = ["fit", str(data), "-o", str(model), "--epochs", "3", "--seed", "0"]
    assert main([*common, "--early-stopping", "on", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    gan = skgan.load(model)
    assert gan.early_stopping is True and gan.best_epoch_ == 3
    assert "kept epoch 3, validation score" in out
    # auto, on 60 rows: off; and off by default.
    assert main([*common, "--early-stopping", "auto", "--device", "cpu"]) == 0
    assert "kept epoch" not in capsys.readouterr().out
    assert skgan.load(model).best_epoch_ is None
    assert main([*common, "--device", "cpu"]) == 0
    assert "kept epoch" not in capsys.readouterr().out
    assert skgan.load(model).best_epoch_ is None


@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["--target", "nope"], ["--target", "'nope'", "'label'"]),
        (["--categorical", "grade,nope"], ["--categorical", "'nope'"]),
        (["--device", "tpu"], ["--device tpu"]),
        (["--epochs", "0"], ["--epochs must be a positive integer"]),
        (["--batch-size", "-3"], ["--batch-size"]),
        (["-o", "/no/such/folder/m.skgan"], ["no directory"]),
    ],
)
def test_fit_user_errors_in_process(fitted, tmp_path, capsys, argv, fragments):
    data, _, _ = fitted
    output = ["-o", str(tmp_path / "m.skgan")] if "-o" not in argv else []
    status = main(["fit", str(data), *output, "--epochs", "1", *argv])
    err = capsys.readouterr().err
    assert status == 2 and len(err.splitlines()) == 1, err
    assert err.startswith("skgan: error: ")
    for fragment in fragments:
        assert fragment in err
    assert not (tmp_path / "m.skgan").exists()


def test_other_user_errors_in_process(fitted, tmp_path, capsys):
    data, model, _ = fitted
    model_as_csv = ["fit", str(model), "-o", str(tmp_path / "m.skgan")]
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    fewer = tmp_path / "fewer.csv"
    make_table()[["age", "colour"]].to_csv(fewer, index=False)
    three = tmp_path / "three.csv"
    make_table().head(3).to_csv(three, index=False)
    cases = [
        (model_as_csv, "cannot read"),
        (["sample", str(model), "-n", "0"], "-n must be a positive integer"),
        (["sample", str(model), "-n", "3", "-o", "/no/such/dir/x.csv"], "/no/such"),
        (["evaluate", str(data), str(empty)], "cannot read"),
        (["evaluate", str(data), str(fewer)], "different columns"),
        (["evaluate", str(data), str(three)], "needs at least 5 rows"),
        (["evaluate", str(data), str(data), "--target", "label"], "--holdout"),
        (["sample", str(tmp_path), "-n", "3"], "is a directory"),
    ]
    for argv, fragment in cases:
        status = main(argv)
        err = capsys.readouterr().err
        assert status == 2 and len(err.splitlines()) == 1, (argv, err)
        assert err.startswith("skgan: error: ") and fragment in err, (argv, err)


def test_labels_named_like_a_column_do_not_overwrite_it(tmp_path):
    # A GANOverSampler's labels are unnamed ("y"); here X has a column "y".
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"x": rng.normal(size=120), "y": rng.choice(["u", "v"], 120)})
    labels = np.array(["lo"] * 90 + ["hi"] * 30)
    gan = skgan.GANSampler(
        epochs=1, batch_size=40, pac=4, latent_dim=8, generator_dims=(16,),
        discriminator_dims=(16,), device="cpu", random_state=0,
    ).fit(X, labels)  # fmt: skip
    model, out = tmp_path / "m.skgan", tmp_path / "out.csv"
    skgan.save(gan, model)
    argv = ["sample", str(model), "-n", "40", "-o", str(out), "--seed", "0"]
    assert main([*argv, "--condition", "y_=hi", "--condition", "y=u"]) == 0
    rows = pd.read_csv(out)
    assert list(rows.columns) == ["x", "y", "y_"]
    assert (rows["y"] == "u").all() and (rows["y_"] == "hi").all()


def test_a_closed_pipe_exits_141_without_a_traceback(fitted):
    _, model, _ = fitted
    process = subprocess.Popen(
        [sys.executable, "-m", "skgan", "sample", str(model), "-n", "200000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout.readline().startswith(b"age,colour")
    process.stdout.close()  # as `| head -1` does
    assert process.wait(timeout=120) == 141
    assert process.stderr.read() == b""


def test_demo_checks_its_options_before_training(tmp_path, monkeypatch, capsys):
    def no_training(*args, **kwargs):
        raise AssertionError("demo trained before checking its options")

    monkeypatch.setattr(skgan.GANSampler, "fit", no_training)
    for argv, fragment in [
        (["--epochs", "0"], "--epochs must be a positive integer"),
        (["-n", "0"], "-n must be a positive integer"),
        (["-o", "/no/such/dir/d.csv"], "no directory"),
        (["-o", str(tmp_path)], "is a directory"),
    ]:
        assert main(["demo", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("skgan: error: ") and fragment in err, (argv, err)


def test_unexpected_error_one_line_or_traceback_with_skgan_debug(monkeypatch, capsys):
    import skgan.__main__ as cli

    def broken(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_evaluate", broken)
    monkeypatch.delenv("SKGAN_DEBUG", raising=False)
    assert cli.main(["evaluate", "a.csv", "b.csv"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "RuntimeError: boom" in err
    assert "SKGAN_DEBUG=1" in err
    monkeypatch.setenv("SKGAN_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["evaluate", "a.csv", "b.csv"])


def test_skgan_debug_shows_the_traceback_of_a_user_error(tmp_path):
    result = run("sample", tmp_path / "nope.skgan", "-n", 3, env={"SKGAN_DEBUG": "1"})
    assert result.returncode != 0 and "Traceback" in result.stderr


# ------------------------------------------------------------------ help


@pytest.mark.parametrize(
    "command, options",
    [
        ("fit", ["--output", "--target", "--categorical", "--epochs",
                 "--batch-size", "--device", "--precision", "--compile", "--seed",
                 "--quiet"]),
        ("sample", ["--n-samples", "--output", "--condition", "--seed"]),
        ("evaluate", ["--holdout", "--target", "--categorical", "--seed"]),
        ("demo", ["--epochs", "--n-samples", "--output", "--device", "--verbose"]),
    ],
)  # fmt: skip
def test_help_of_each_command(capsys, command, options):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: skgan {command}")
    for option in options:
        assert option in text


def test_help_in_a_subprocess():
    result = run("--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: skgan")
    for text in ("fit", "sample", "evaluate", "demo", "SKGAN_DEBUG=1"):
        assert text in result.stdout


# ------------------------------------------------------------------ demo


def test_demo_writes_samples_and_prints_comparison(tmp_path):
    out = tmp_path / "samples.csv"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "skgan",
            "demo",
            "--epochs",
            "3",
            "-n",
            "40",
            "-o",
            str(out),
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "epoch 3/3" in result.stdout
    assert "Column shapes, mean over columns" in result.stdout
    assert "Missing values, real / synthetic: workclass" in result.stdout
    real = load_adult()
    samples = pd.read_csv(out)
    assert list(samples.columns) == list(real.columns) and len(samples) == 40
    for name in real.select_dtypes("number").columns:
        assert samples[name].between(real[name].min(), real[name].max()).all()
        assert (samples[name] == samples[name].round()).all()  # integers
    for name in real.select_dtypes(exclude="number").columns:
        assert set(samples[name].dropna()) <= set(real[name].dropna())
    # The conditional sample printed rows of women earning >50K only.
    conditional = result.stdout.split("conditions={'sex': 'Female'")[1]
    lines = conditional.split("Wrote")[0].strip().splitlines()[2:]
    assert len(lines) == 5 and all(
        "Female" in line and ">50K" in line for line in lines
    )


def test_demo_bad_argument_exits_2():
    result = subprocess.run(
        [sys.executable, "-m", "skgan", "demo", "--epochs", "many"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "invalid int value: 'many'" in result.stderr


# ------------------------------------------------- dates and decimals in CSV


def _customers(path, n=600, seed=0):
    rng = np.random.RandomState(seed)
    age = rng.randint(18, 80, n).astype(float)
    age[rng.rand(n) < 0.1] = np.nan
    frame = pd.DataFrame(
        {
            "signup": pd.Timestamp("2023-01-01")
            + pd.to_timedelta(rng.randint(0, 700, n), unit="D"),
            "spend": np.round(rng.gamma(2.0, 40.0, n), 2),
            "plan": rng.choice(["basic", "plus", "pro"], n),
            "age": age,  # written as 34.0, with empty fields
        }
    )
    frame.to_csv(path, index=False)
    return frame


def _decimals(text):
    return 0 if "." not in text else len(text.split(".")[1])


def test_csv_round_trip_keeps_dates_and_decimals(tmp_path):
    data, model, out = tmp_path / "c.csv", tmp_path / "m.skgan", tmp_path / "s.csv"
    real = _customers(data)
    assert run("fit", data, "-o", model, "--epochs", 5, "-q").returncode == 0
    result = run("sample", model, "-n", 500, "-o", out, "--seed", 0)
    assert result.returncode == 0, result.stderr
    # The date column was modelled as dates, not as ~400 categories.
    info = skgan.load(model).encoder_.columns_.infos[0]
    assert info.kind == "continuous" and info.time_unit is not None
    text = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(text.columns) == ["signup", "spend", "plan", "age"]
    # Dates written as dates, inside the training range, and new ones too.
    assert text["signup"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    dates = pd.to_datetime(text["signup"])
    assert dates.between(real["signup"].min(), real["signup"].max()).all()
    assert (~dates.isin(real["signup"])).any()
    # Money with at most two decimals (some with two); whole ages.
    assert max(map(_decimals, text["spend"])) == 2
    ages = text["age"][text["age"] != ""]
    assert len(ages) and all(a.endswith(".0") for a in ages), ages.head()
    assert (text["age"] == "").any()  # missing values kept
    assert set(text["plan"]) <= {"basic", "plus", "pro"}


def test_date_detection_options(tmp_path):
    data = tmp_path / "c.csv"
    _customers(data, n=60)
    model = tmp_path / "m.skgan"
    off = run("fit", data, "-o", model, "--epochs", 1, "-q", "--no-date-detection")
    assert off.returncode == 0, off.stderr
    assert skgan.load(model).encoder_.columns_.infos[0].kind == "categorical"
    forced = run(
        "fit", data, "-o", model, "--epochs", 1, "-q", "--no-date-detection",
        "--dates", "signup",
    )  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert skgan.load(model).encoder_.columns_.infos[0].time_unit is not None
    assert_user_error(
        run("fit", data, "-o", model, "--dates", "plan"),
        "--dates plan",
        "not dates",
    )
    assert_user_error(
        run("fit", data, "-o", model, "--dates", "nope"), "--dates names 'nope'"
    )
