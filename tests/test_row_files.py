"""GANSampler.sample_to_file and ``skgan sample -o``: rows streamed to a file."""

import bz2
import gzip
import io
import lzma
import sys

import numpy as np
import pandas as pd
import pytest

import skgan._sampler
from skgan import GANSampler
from skgan.__main__ import main

BLOCK = skgan._sampler._SAMPLE_BLOCK
TINY = dict(
    latent_dim=4,
    generator_dims=(8,),
    discriminator_dims=(8,),
    epochs=1,
    device="cpu",
    random_state=0,
)


@pytest.fixture(scope="module")
def fitted():
    """A class-conditional model of a mixed table (its y named like nothing)."""
    rng = np.random.default_rng(0)
    n = 200
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n).round(2),
            "k": rng.integers(0, 5, n),
            "colour": pd.Categorical(rng.choice(["red", "blue"], n)),
            "note": np.where(rng.random(n) < 0.2, None, "ok").astype(object),
        }
    )
    y = pd.Series(rng.choice(["a", "b", "c"], n), name="label")
    return GANSampler(**TINY).fit(X, y)


def _expected(gan, n, **options):
    X, y = gan.sample(n, return_y=True, **options)
    return X.assign(label=y.to_numpy())


def test_csv_file_holds_the_rows_sample_returns_across_blocks(fitted, tmp_path):
    n = BLOCK + 1_000  # two blocks
    path = tmp_path / "rows.csv"
    assert fitted.sample_to_file(path, n, random_state=3) == str(path)
    expected = _expected(fitted, n, random_state=3)
    assert path.read_text() == expected.to_csv(index=False)
    # The label is the last column, named as y was.
    assert path.read_text().splitlines()[0] == "x,k,colour,note,label"


def test_each_block_draws_from_its_own_seed(fitted):
    # Block 0 comes from the call's seed, whatever follows it (so samples of
    # up to one block are those of earlier versions); block 1 from another.
    two = _expected(fitted, BLOCK + 1_000, random_state=3)
    one = _expected(fitted, BLOCK, random_state=3)
    pd.testing.assert_frame_equal(two.iloc[:BLOCK], one)
    # Block 1 (1,000 rows) from the call's seed would be sample(1_000) itself.
    second = two.iloc[BLOCK:].reset_index(drop=True)
    alone = _expected(fitted, 1_000, random_state=3)
    assert (second["x"] != alone["x"]).mean() > 0.9
    again = fitted.sample(BLOCK + 1_000, random_state=3)
    pd.testing.assert_frame_equal(again, two.drop(columns="label"))


@pytest.mark.parametrize(
    "suffix, opener",
    [(".csv.gz", gzip.open), (".CSV.bz2", bz2.open), (".csv.xz", lzma.open)],
)
def test_compressed_csv_holds_the_same_text(fitted, tmp_path, suffix, opener):
    path = tmp_path / f"rows{suffix}"
    fitted.sample_to_file(path, 300, random_state=4)
    with opener(path, "rt", newline="") as file:
        text = file.read()
    assert text == _expected(fitted, 300, random_state=4).to_csv(index=False)


def test_labels_one_per_row_and_conditions_follow_the_blocks(fitted, tmp_path):
    n = BLOCK + 10
    labels = np.array(["a", "c"] * (n // 2), dtype=object)
    options = dict(y=labels, conditions={"colour": "red"}, random_state=1)
    path = tmp_path / "rows.csv"
    fitted.sample_to_file(path, n, **options)
    rows = pd.read_csv(path)
    assert (rows["label"].to_numpy() == labels).all()
    assert (rows["colour"] == "red").all()
    assert path.read_text() == _expected(fitted, n, **options).to_csv(index=False)


def test_parquet_file_holds_the_rows_with_their_types(fitted, tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "rows.parquet"
    fitted.sample_to_file(path, BLOCK + 7, random_state=5)
    rows = pd.read_parquet(path)
    expected = _expected(fitted, BLOCK + 7, random_state=5)
    assert rows["k"].dtype == np.int64 and rows["x"].dtype == np.float64
    assert isinstance(rows["colour"].dtype, pd.CategoricalDtype)
    # pandas reads text back as its string dtype (pandas >= 3): same values.
    pd.testing.assert_frame_equal(rows.astype(object), expected.astype(object))


def test_an_array_model_writes_numbered_columns(tmp_path):
    X = np.random.default_rng(0).normal(size=(50, 3))
    gan = GANSampler(**TINY).fit(X)
    out = io.StringIO()
    gan.sample_to_file(out, 4, random_state=0)
    lines = out.getvalue().splitlines()
    assert lines[0] == "0,1,2" and len(lines) == 5
    values = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    assert np.allclose(values, gan.sample(4, random_state=0))


def test_each_block_is_written_before_the_next_is_generated(fitted, monkeypatch):
    # What keeps memory at one block: the writer has block i before block
    # i + 1 exists (sample, which returns all rows, holds them all).
    generated, seen = [], []
    original = GANSampler._generate

    def counting(self, *args, **kwargs):
        generated.append(args[1])  # the block's number of rows
        return original(self, *args, **kwargs)

    monkeypatch.setattr(GANSampler, "_generate", counting)
    out = io.StringIO()
    fitted.sample_to_file(
        out, 3 * BLOCK, random_state=0, progress=lambda *a: seen.append(len(generated))
    )
    assert generated == [BLOCK] * 3 and seen == [1, 2, 3]


def test_a_bad_path_is_an_error_before_any_row_and_the_stream_stays(fitted, tmp_path):
    before = fitted._sampling_rng.get_state()[1].copy()
    with pytest.raises(ValueError, match=r"suffix: use one of \.csv, \.csv\.gz"):
        fitted.sample_to_file(tmp_path / "rows.txt", 10)
    with pytest.raises(ValueError, match="no directory"):
        fitted.sample_to_file(tmp_path / "missing" / "rows.csv", 10)
    with pytest.raises(TypeError, match="path must be"):
        fitted.sample_to_file(3, 10)
    with pytest.raises(ValueError, match="Unknown labels"):
        fitted.sample_to_file(tmp_path / "rows.csv", 10, y="zzz")
    assert (fitted._sampling_rng.get_state()[1] == before).all()
    assert list(tmp_path.iterdir()) == []


def test_parquet_without_pyarrow_says_what_to_install(fitted, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"pip install \"skgan\[parquet\]\""):
        fitted.sample_to_file(tmp_path / "rows.parquet", 10)


def test_an_interrupted_write_leaves_the_old_file_and_no_partial_one(fitted, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("old\n")

    def interrupt(done, total):
        assert (done, total) == (BLOCK, 2 * BLOCK)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fitted.sample_to_file(path, 2 * BLOCK, progress=interrupt)
    assert path.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


def test_cli_sample_streams_to_parquet_with_a_progress_bar(fitted, tmp_path, capsys):
    pytest.importorskip("pyarrow")
    model = tmp_path / "m.skgan"
    skgan.save(fitted, model)
    out = tmp_path / "rows.parquet"
    n = BLOCK + 1
    assert (
        main(["sample", str(model), "-n", str(n), "-o", str(out), "--seed", "2"]) == 0
    )
    captured = capsys.readouterr()
    assert captured.out == f"Wrote {n:,} rows to {out}.\n"
    bars = captured.err.splitlines()
    assert bars[-1].endswith(f"rows {n:,}/{n:,}") and len(bars) == 2
    rows = pd.read_parquet(out)
    pd.testing.assert_frame_equal(
        rows.astype(object), _expected(fitted, n, random_state=2).astype(object)
    )
    # --quiet: no bar; a bad suffix: a one-line user error before sampling.
    assert main(["sample", str(model), "-n", str(n), "-o", str(out), "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["sample", str(model), "-n", "3", "-o", str(tmp_path / "r.txt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skgan: error: -o ") and "suffix" in err
