"""``python -m skgan demo``: the main job of the README."""

import subprocess
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer


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
    assert "Column shapes, mean 1 - KS" in result.stdout
    names = list(load_breast_cancer().feature_names)
    header = out.read_text().splitlines()[0]
    assert header.split(",") == names
    samples = np.loadtxt(out, delimiter=",", skiprows=1)
    assert samples.shape == (40, 30) and np.isfinite(samples).all()
    real = load_breast_cancer().data
    assert (samples >= real.min(axis=0)).all() and (samples <= real.max(axis=0)).all()


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
