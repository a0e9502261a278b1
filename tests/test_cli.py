"""``python -m skgan demo``: the main job of the README."""

import subprocess
import sys

import pandas as pd

from skgan.datasets import load_adult


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
