#!/usr/bin/env python
"""Training and sampling speed of skgan's GANSampler, next to the ctgan package.

Run from the repository root::

    python benchmarks/speed.py                        # Adult numeric + full Adult
    python benchmarks/speed.py --dataset synthetic --rows 10000,100000,1000000 \\
        --columns 10,100 --max-steps 20               # the size sweep
    python benchmarks/speed.py --smoke --no-ctgan     # a few seconds, for CI
    python benchmarks/speed.py --device cuda --precision bf16   # on a GPU

ctgan is measured only where it can be imported: run the script with the
interpreter of the environment that has it (see ``benchmarks/README.md``).

Tables (``--dataset``, comma-separated; default ``adult-numeric,adult``):

* ``adult-numeric``: the six numeric columns of UCI Adult (age, fnlwgt,
  education-num, capital-gain, capital-loss, hours-per-week) as float64,
  32,561 rows, read from ``--data`` (default ``../shared/data/adult.csv``
  next to the repository). No categorical column, so no condition vector.
* ``adult``: the whole table as :func:`skgan.datasets._read_adult_frame`
  reads it: 15 columns, the six integer ones (int64) and nine object columns
  (the eight categorical features and ``income``, passed as a column of X,
  not as y, to both libraries), NaN where the file has ``?``. skgan gets the
  DataFrame as it is; ctgan gets ``discrete_columns=`` the object columns
  and, for ctgan only, NaN in those columns replaced by the category
  ``"?"`` (ctgan rejects NaN in discrete columns; as in
  ``benchmarks/fidelity.py``).
* ``synthetic``: generated tables, one per combination of ``--rows`` and
  ``--columns`` (comma-separated lists; default 10000 and 10). A table of
  ``c`` columns has ``c - c // 2`` continuous and ``c // 2`` categorical
  columns. The column definitions are drawn first from
  ``RandomState(seed)``, so a column count gives the same columns at every
  row count; the rows are then drawn from ``RandomState(seed + 1)``.
  Continuous column ``j`` (float64) is a Gaussian mixture of 2 or 3 modes
  (equally likely): weights Dirichlet(2, ..., 2), means Normal(0, 5), standard
  deviations Uniform(0.5, 1.5). Categorical column ``j`` (object dtype, str
  values ``"c<j>_<level>"``) has 5 to 50 levels (uniform integer) with
  probabilities Dirichlet(1, ..., 1), so some levels are rare (and a rare
  level may be absent from a small table). No missing values.

``--smoke`` replaces all of this by one synthetic table of 2,000 rows x 4
columns, 1 epoch, 10,000 sampled rows: a few seconds, no data file.

Every (library, table) measurement runs in a fresh Python process (this
script, re-run with a hidden ``--child`` argument by the same interpreter),
one after the other, so that each gets its own peak-memory figure and no
library's state (thread pools, allocator, imported modules) carries over.
In the child, for skgan and (optionally) ctgan:

* encoder: fit + transform of the whole table, timed on its own (skgan's
  ``TableEncoder().fit_transform`` with the mode draws of a fit, then
  ``to_device``; ctgan's ``DataTransformer().fit`` then ``transform``).
* training time: ``GANSampler(epochs=N, device="cpu", random_state=seed,
  batch_size=500, pac=10).fit(X)`` and ``CTGAN(epochs=N, batch_size=500,
  pac=10, cpu, default (256, 256) networks).fit(X, discrete_columns)``.
  Seconds per epoch are the median over epochs 2..N (epoch 1 is warm-up and
  left out whenever N > 1). skgan reports each epoch's time in
  ``history_[i]["seconds"]``. ctgan reports none, so its epoch loop is timed
  from outside: the ``tqdm`` wrapper that ``ctgan.synthesizers.ctgan`` puts
  around ``range(epochs)`` is replaced for the duration of the fit by a
  pass-through generator that records ``time.perf_counter()`` as each epoch
  starts and when the loop ends. If that wrapper cannot be found, the
  fallback is the difference method ``(fit(epochs=N+1) - fit(epochs=1)) /
  N``; the output says which was used. Seconds per step are seconds per
  epoch divided by the steps of that epoch (skgan runs ``ceil(rows / 500)``
  steps per epoch, ctgan ``rows // 500``; one step is one critic and one
  generator update in both).
* ``--max-steps K`` caps the steps of every epoch at K, for tables too big
  to train whole epochs, and the table then reports milliseconds per step
  for both libraries instead of seconds per epoch. skgan: the benchmark
  replaces ``GANSampler._training_config`` by a wrapper that returns
  ``dataclasses.replace(config, steps_per_epoch=min(K, steps))``; the
  encoder, the training table, the condition sampler and the networks are
  the real ones. ctgan computes its steps per epoch from the length of the
  encoded training matrix, so the benchmark gives its fit a subclass of
  ``DataTransformer`` (swapped into ``ctgan.synthesizers.ctgan`` for the
  duration of the fit, like ``tqdm``) whose ``transform`` encodes the whole
  table and then returns a random ``K * 500``-row subset of the encoded
  rows. The transformer is still fitted on, and transforms, every row (so
  its time and the memory of the dense encoded matrix are the real ones)
  and the networks have the real widths; what changes is that ctgan's
  ``DataSampler`` draws the training rows of each condition from the subset
  (one ``np.random.choice`` per row either way, so the cost of a step does
  not depend on the number of rows). Nothing of ctgan's code is changed or
  copied. Its fit-overhead figure (below) then covers a ``DataSampler`` of
  the subset only.
* fit overhead: the fit's wall time minus the time of its epochs
  (validation, preprocessing, network construction, bookkeeping).
* sampling: rows per second of ``sample(100_000)`` (median of 3 calls,
  after a 1,000-row warm-up call).
* peak memory: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the child
  after the encoder, the fit and the sampling (MiB); the child's resident
  memory once the table is loaded is printed with the details. It does not
  include worker processes (ctgan's ``DataTransformer.transform`` runs a
  joblib ``Parallel(n_jobs=-1)`` of worker processes).
* skgan's executed GEMM FLOPs of one training step (below), counted after
  the sampling on a warm-started one-step fit of the first 5,000 rows (so the
  fitted encoder, hence the real encoded and condition widths).

ctgan is skipped with a printed note where it would take too long. For a
synthetic table, the time of ctgan's process is estimated from the largest
smaller table with the same columns that ctgan already ran (a 10,000-row
probe run is made first when there is none): data generation, encoder and
the preprocessing inside the fit scaled with the rows, the epochs at the
probe's seconds per step, sampling and start-up as they were. ctgan is
skipped when the estimate exceeds ``--ctgan-budget`` seconds (default 600),
or when its dense float64 encoded matrix (rows x the smaller run's encoded width x
8 bytes, times 3 for the copies ``transform`` makes) would not fit in the
machine's available memory. The Adult tables are always run.

FLOP counting (skgan, default architecture). Only matrix products are
counted (bias adds, batch norm, activations, dropout and Adam are
elementwise and negligible). ``B`` is the batch (500 rows), ``P = B / pac``
the packs per batch (50), ``L`` the latent size (128), ``d`` the encoded
width, ``c`` the condition width (the sum of the categorical columns'
levels, 0 without categorical columns) and ``e = min(c, 128)`` the width
the condition has inside the networks: a condition wider than 128 first
goes through a learned 128-wide linear embedding (``E = 1``, else ``E =
0``), one for the generator and one for the critic, looked up, not
multiplied out (``ConditionInput``). A narrow condition (``0 < c <= 128``,
``N = 1``, else ``N = 0``) is a one-hot that is never multiplied out
either: a layer gathers its weight columns (``OneHot``,
``_PackedOneHotLinear``), so the products see ``N c`` fewer inputs per
row. Layer shapes (``skgan/_networks.py``), as (rows, in, out) of one
forward pass:

* generator: block 1 ``(B, L + e, 256)``, block 2 ``(B, L + e + 256, 256)``,
  output ``(B, L + e + 512, d)``, each with ``N c`` fewer inputs;
* critic, on packs: layer 1 ``(P, pac (d + e), 256)``, with ``N pac c``
  fewer inputs except in the gradient penalty's products, layer 2 ``(P,
  256, 256)``, output ``(P, 256, 1)``.

A GEMM of ``(m, k, n)`` costs ``2 m k n``. One training step (n_critic=1)
runs each layer's forward GEMM the following number of times (backward
GEMMs, of the same cost, included):

* generator layers: ``2`` (one forward, in the critic step, whose graph
  the generator step reuses, and the weight gradient), plus an input
  gradient for the parts of the layer's input that need one
  (``_ConcatLinear``): the earlier blocks' outputs (256 columns for block 2,
  512 for the output layer) and, when ``E = 1``, the embedded condition
  (``e`` columns), never the noise or a narrow condition; listed as their
  own rows, ``(B, columns, out)``, count 1;
* critic layer 2: ``12``. Critic step, real and fake packs together (``2P``
  packs, so twice the cost): forward, weight gradient, input gradient
  (``6``). Gradient penalty on ``P`` interpolated packs, with the input
  gradient written out (``Discriminator.input_gradient``, no double
  backward): a forward without graph, the input-gradient product, and in
  the backward pass its weight gradient and input gradient (``4``).
  Generator step: forward and input gradient, the critic's weights frozen
  (``2``);
* critic layer 1: ``9 + 2E``: as layer 2, but the critic step's input
  gradient exists only when the input carries an embedded condition, and
  the penalty has no forward of its own (the layer is linear: its output
  for the interpolates is mixed from the real and fake packs' outputs).
  With ``N = 1``, the penalty's ``3`` products (the input gradient is taken
  over every input, conditions included) are listed as their own row at
  the full width, the other ``6`` at ``pac d`` inputs;
* critic output: ``8`` (``6 + 2``: the penalty's input gradient starts from
  its weights, expanded, with no product);
* condition embeddings: none (looked up).

As a check, the script counts the FLOPs of the ``aten.mm``/``aten.addmm``
calls that torch actually executes in one step (a ``TorchDispatchMode``
around skgan's ``train_epoch``) and prints both. Achieved GFLOP/s is the
analytic count over the measured seconds per step; next to it, this
machine's float32 ``torch.matmul`` GFLOP/s at each layer's forward shape
(critic layers at ``2P`` rows, the critic step's shape), measured by the
parent process after all the children, and the GEMM-bound step time
``sum(count x 2 m k n / rate)``.

Threads: ``--threads N`` calls ``torch.set_num_threads(N)`` and limits the
BLAS/OpenMP pools of numpy and scikit-learn to N with threadpoolctl, in every
child. torch's OpenMP workers spin-wait, so on a 2-core machine that is busy
with other work ``--threads 2`` can make a step many times slower than
``--threads 1``: always state the setting with the figures. ctgan's
``DataTransformer.transform`` additionally runs a joblib
``Parallel(n_jobs=-1)`` of worker processes, which no thread setting
controls.

GPU: ``--device cuda`` (default ``cpu``) runs both libraries on the first
CUDA device: ``GANSampler(device="cuda")``, ``CTGAN(enable_gpu=True)`` (or
``cuda=True`` on an older ctgan), skgan's encoder timing with
``fit_transform(X, device=cuda)`` and ``to_device(..., cuda)``. Each child
first creates its CUDA context and cuBLAS handle (a small matmul, counted
in its warm-up, not in any figure) and then resets torch's peak-memory
statistics. Every timed region ends with ``torch.cuda.synchronize()``
(encoder, fit, ctgan's epoch timestamps, each sampling call); skgan's own
per-epoch seconds end at its host synchronisation (the ``.tolist()`` of the
epoch's losses), so they include the GPU's work. The speed table gains
``peak GPU MiB`` (``torch.cuda.max_memory_allocated()`` of the child) and,
for skgan, the GPU utilisation: ``nvidia-smi
--query-gpu=utilization.gpu`` read every 0.2 s by a background thread
during the timed epochs (2..N, or 1 when N = 1; the first GPU nvidia-smi
lists), mean and max, "n/a" without nvidia-smi. The matmul rates are
measured on the GPU (synchronised around each timing loop), in bfloat16
with ``--precision bf16``, and the header names the GPU.
``--precision {float32,bf16}`` (default float32) is skgan's
``GANSampler(precision=...)``, passed only when it is not float32 (bf16 is
autocast on CUDA; on the CPU skgan warns and trains in float32); ctgan
always trains in float32. ``--compile MODE`` (default off) is skgan's
``GANSampler(compile=MODE)``, passed only when not off (torch.compile of the
training step on CUDA; on the CPU skgan warns and does not compile); the
compilation falls in epoch 1, which is never timed when N > 1. On CUDA
skgan replays its step as a CUDA graph, captured in epoch 1;
``--no-cuda-graph`` runs the step eagerly instead, to measure the gain.
``benchmarks/gpu_check.sh`` is the one command a GPU session runs (the cuda
tests, Adult in float32, in bf16 and compiled, the size sweep).

ctgan (Business Source License) is only imported here, optionally, in the
child processes; skgan never depends on it. Install it in a separate
environment (see ``benchmarks/README.md``) or pass ``--no-ctgan``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import importlib.util
import inspect
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from skgan._utils import COMPILE_MODES
from skgan.datasets import ADULT_INTEGER_COLUMNS as ADULT_NUMERIC

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "adult.csv"
BATCH_SIZE = 500
PAC = 10
LATENT_DIM = 128
DIMS = (256, 256)  # generator blocks and critic layers (both libraries' default)
CONDITION_EMBEDDING = 128  # skgan/_networks.py: wider conditions are embedded
DATASETS = ("adult-numeric", "adult", "synthetic")
DATASET_KEYS = ("dataset", "rows", "columns")  # the rest of a spec: settings
PROBE_ROWS = 10_000  # ctgan's time estimate for a synthetic table
COUNT_ROWS = 5_000  # rows of the warm-started fit whose GEMMs are counted


# ------------------------------------------------------------------ data


def make_synthetic(n_rows: int, n_columns: int, seed: int = 0):
    """The generated table of the module docstring, as a DataFrame."""
    import pandas as pd

    n_cat = n_columns // 2
    n_cont = n_columns - n_cat
    spec_rng = np.random.RandomState(seed)
    continuous = []
    for _ in range(n_cont):
        k = spec_rng.randint(2, 4)
        continuous.append(
            (
                spec_rng.dirichlet(np.full(k, 2.0)),
                spec_rng.normal(0.0, 5.0, k),
                spec_rng.uniform(0.5, 1.5, k),
            )
        )
    categorical = []
    for _ in range(n_cat):
        levels = spec_rng.randint(5, 51)
        categorical.append(spec_rng.dirichlet(np.ones(levels)))
    rng = np.random.RandomState(seed + 1)
    columns = {}
    for j, (weights, means, stds) in enumerate(continuous):
        mode = rng.choice(len(weights), n_rows, p=weights)
        columns[f"x{j}"] = means[mode] + stds[mode] * rng.standard_normal(n_rows)
    for j, probabilities in enumerate(categorical):
        names = np.array(
            [f"c{j}_{level}" for level in range(len(probabilities))], dtype=object
        )
        codes = rng.choice(len(probabilities), n_rows, p=probabilities)
        # object dtype explicitly: pandas 3 would otherwise infer its str dtype
        columns[f"c{j}"] = pd.Series(names[codes], dtype=object)
    return pd.DataFrame(columns)


def load_table(spec: dict):
    """The table of a measurement spec, and a description of it."""
    from skgan.datasets import _read_adult_frame

    dataset = spec["dataset"]
    if dataset == "synthetic":
        X = make_synthetic(spec["rows"], spec["columns"], spec["seed"])
        n_cat = spec["columns"] // 2
        return X, (
            f"synthetic, {X.shape[0]:,} rows x {X.shape[1]} "
            f"({X.shape[1] - n_cat} continuous, {n_cat} categorical)"
        )
    path = Path(spec["data"])
    frame = _read_adult_frame(path)
    if dataset == "adult-numeric":
        X = frame[list(ADULT_NUMERIC)].astype(np.float64)
        return X, f"{path}, numeric columns, {X.shape[0]:,} rows x {X.shape[1]}"
    n_object = sum(frame[c].dtype == object for c in frame.columns)
    return frame, (
        f"{path}, all columns, {frame.shape[0]:,} rows x {frame.shape[1]} "
        f"({n_object} object columns, income included)"
    )


def table_label(spec: dict) -> str:
    if spec["dataset"] != "synthetic":
        return spec["dataset"]
    rows = spec["rows"]
    if rows >= 1_000_000 and rows % 1_000_000 == 0:
        short = f"{rows // 1_000_000}M"
    elif rows >= 1_000 and rows % 1_000 == 0:
        short = f"{rows // 1_000}k"
    else:
        short = str(rows)
    return f"synth {short}x{spec['columns']}"


# --------------------------------------------------------------- threads


@contextlib.contextmanager
def limit_threads(n_threads):
    """torch.set_num_threads plus threadpoolctl limits for numpy/sklearn."""
    if not n_threads:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - sklearn depends on it
        threadpool_limits = None
    try:
        if threadpool_limits is None:
            yield
        else:
            with threadpool_limits(limits=n_threads):
                yield
    finally:
        torch.set_num_threads(previous)


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "n/a"


def peak_mib() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def synchronize(device: str) -> None:
    """Wait for the GPU's queued work; ends every timed region (CPU: no-op)."""
    if device == "cuda":
        torch.cuda.synchronize()


def peak_gpu_mib() -> float:
    """torch's peak allocated CUDA memory in this process (reset at start)."""
    return torch.cuda.max_memory_allocated() / 2**20


class GpuUtilisation:
    """``nvidia-smi``'s utilization.gpu (first GPU), every ``interval`` s.

    Sampled by a background thread between :meth:`start` and :meth:`stop`
    (one reading at the start, then one per interval). Without
    ``nvidia-smi``, or where a reading fails, there are no samples and
    :meth:`summary` is None.
    """

    QUERY = (
        "nvidia-smi",
        "--query-gpu=utilization.gpu",
        "--format=csv,noheader,nounits",
    )

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.samples = []
        self._stop = threading.Event()
        self._thread = None

    def _read(self):
        try:
            proc = subprocess.run(
                self.QUERY, capture_output=True, text=True, timeout=5, check=True
            )
            self.samples.append(float(proc.stdout.split()[0]))
        except (OSError, subprocess.SubprocessError, ValueError, IndexError):
            pass

    def _run(self):
        due = time.monotonic()
        while not self._stop.is_set():
            self._read()
            due += self.interval
            self._stop.wait(max(0.0, due - time.monotonic()))

    def start(self):
        if self._thread is None and shutil.which(self.QUERY[0]) is not None:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def summary(self):
        if not self.samples:
            return None
        return {
            "mean": statistics.fmean(self.samples),
            "max": max(self.samples),
            "samples": len(self.samples),
            "interval_s": self.interval,
        }


def available_bytes():
    """MemAvailable from /proc/meminfo (None where there is none)."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


# ----------------------------------------------------------------- FLOPs


def step_gemms(d: int, c: int, batch: int = BATCH_SIZE, pac: int = PAC) -> list:
    """(layer, m, k, n, count) of one skgan training step (module docstring).

    ``m`` is the rows of one forward pass (packs for the critic); the step
    costs ``sum(count * 2 * m * k * n)`` FLOPs.
    """
    E = int(c > CONDITION_EMBEDDING)
    N = int(0 < c <= CONDITION_EMBEDDING)  # a one-hot, gathered
    e = min(c, CONDITION_EMBEDDING)
    packs = batch // pac
    gemms = []
    width = LATENT_DIM + e
    for i, out in enumerate([*DIMS, d]):
        layer = f"G block {i + 1}" if i < len(DIMS) else "G output"
        gemms.append((layer, batch, width - N * c, out, 2))
        # Input gradient: the earlier blocks' outputs and an embedded condition.
        columns = width - LATENT_DIM - e + E * e
        if columns:
            gemms.append((f"{layer}, input grad.", batch, columns, out, 1))
        if i < len(DIMS):
            width += out
    width = pac * (d + e)
    for i, h in enumerate(DIMS):
        if i == 0 and N:
            gemms.append(("D layer 1", packs, pac * d, h, 6))
            gemms.append(("D layer 1, penalty", packs, width, h, 3))
        else:
            gemms.append(
                (f"D layer {i + 1}", packs, width, h, 9 + 2 * E if i == 0 else 12)
            )
        width = h
    gemms.append(("D output", packs, width, 1, 8))
    return gemms


def gemm_flops(gemms) -> int:
    return sum(count * 2 * m * k * n for _, m, k, n, count in gemms)


def rate_shape(layer: str, m: int, k: int, n: int) -> tuple:
    """The shape whose matmul rate stands for a layer (critic: 2P rows)."""
    return (2 * m if layer.startswith("D ") else m, k, n)


def matmul_gflops(
    m: int,
    k: int,
    n: int,
    min_seconds: float,
    repeats: int = 5,
    device: str = "cpu",
    dtype: torch.dtype = torch.float32,
):
    """Median GFLOP/s of ``torch.matmul`` (m x k) @ (k x n) on ``device``."""
    a = torch.randn(m, k, device=device, dtype=dtype)
    b = torch.randn(k, n, device=device, dtype=dtype)
    out = torch.empty(m, n, device=device, dtype=dtype)
    for _ in range(10):
        torch.matmul(a, b, out=out)
    # Size one timing block to about min_seconds / repeats.
    loops, elapsed = 1, 0.0
    while elapsed < min_seconds / repeats / 4:
        loops *= 2
        synchronize(device)
        start = time.perf_counter()
        for _ in range(loops):
            torch.matmul(a, b, out=out)
        synchronize(device)
        elapsed = time.perf_counter() - start
    loops = max(1, int(loops * (min_seconds / repeats) / elapsed))
    rates = []
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        for _ in range(loops):
            torch.matmul(a, b, out=out)
        synchronize(device)
        rates.append(2 * m * k * n * loops / (time.perf_counter() - start) / 1e9)
    return statistics.median(rates)


@contextlib.contextmanager
def count_gemm_flops(counter: dict):
    """Add the FLOPs of every aten.mm/addmm run inside to counter["flops"]."""
    from torch.utils._python_dispatch import TorchDispatchMode

    aten = torch.ops.aten

    class CountGemm(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            packet = func.overloadpacket
            if packet is aten.mm:
                a, b = args[0], args[1]
            elif packet is aten.addmm:
                a, b = args[1], args[2]
            else:
                return out
            counter["flops"] += 2 * a.shape[0] * a.shape[1] * b.shape[1]
            return out

    with CountGemm():
        yield


# ------------------------------------------------------- child: measuring


def median_epoch(seconds: list) -> float:
    timed = seconds[1:] if len(seconds) > 1 else seconds
    return statistics.median(timed)


def time_sampling(sample, n_rows: int, repeats: int, device: str = "cpu"):
    """Median rows/s of ``sample(n_rows)``, and the seconds spent in all."""
    begin = time.perf_counter()
    sample(min(n_rows, 1000))  # warm-up
    synchronize(device)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = sample(n_rows)
        synchronize(device)
        rates.append(n_rows / (time.perf_counter() - start))
        assert len(out) == n_rows
    return statistics.median(rates), time.perf_counter() - begin


def measure_skgan(X, spec: dict) -> dict:
    import skgan
    import skgan._sampler as sampler_module
    from skgan import GANSampler
    from skgan._encoding import TableEncoder  # private: timing only

    seed, cap, device = spec["seed"], spec["max_steps"], spec["device"]
    result = {"library": "skgan", "version": skgan.__version__}

    start = time.perf_counter()
    encoder = TableEncoder()
    if device == "cuda":
        encoded = encoder.fit_transform(
            X, device=torch.device("cuda"), random_state=seed, mode_state=seed
        )
        table = encoder.to_device(*encoded, torch.device("cuda"))
        synchronize(device)
    else:
        encoded = encoder.fit_transform(X, random_state=seed, mode_state=seed)
        table = encoder.to_device(*encoded, torch.device("cpu"))
    result["encoder"] = time.perf_counter() - start
    del encoder, encoded, table

    # Benchmark only: cap the steps of each epoch (the module docstring).
    limit = {"steps": cap or None}
    full_steps = []
    original = GANSampler._training_config

    def capped(self, n_rows):
        config = original(self, n_rows)
        full_steps.append(config.steps_per_epoch)
        if limit["steps"] is None:
            return config
        steps = min(limit["steps"], config.steps_per_epoch)
        return dataclasses.replace(config, steps_per_epoch=steps)

    GANSampler._training_config = capped
    params = dict(
        epochs=spec["epochs"],
        device=device,
        random_state=seed,
        batch_size=BATCH_SIZE,
        pac=PAC,
    )
    if spec["precision"] != "float32":  # a GANSampler without it: float32 only
        params["precision"] = spec["precision"]
    if spec.get("compile", "off") != "off":
        params["compile"] = spec["compile"]
    if spec.get("no_cuda_graph"):  # benchmark only: the eager step on CUDA
        import skgan._training

        skgan._training.GRAPH_DEVICES = ()
    gan = GANSampler(**params)
    real_train_epoch = sampler_module.train_epoch
    monitor = None
    if device == "cuda":
        # GPU utilisation during the timed epochs (2..N; 1 when N = 1).
        monitor = GpuUtilisation()
        first_timed = min(2, spec["epochs"])
        calls = []

        def monitored_epoch(*args, **kwargs):
            calls.append(None)
            if len(calls) == first_timed:
                monitor.start()
            return real_train_epoch(*args, **kwargs)

        sampler_module.train_epoch = monitored_epoch
    try:
        start = time.perf_counter()
        gan.fit(X)
        synchronize(device)
        total = time.perf_counter() - start
    finally:
        sampler_module.train_epoch = real_train_epoch
        if monitor is not None:
            monitor.stop()
    # Each epoch's seconds end at skgan's own host synchronisation (.tolist()
    # of the losses), so they are the GPU's time too.
    seconds = [entry["seconds"] for entry in gan.history_]
    steps = min(cap, full_steps[0]) if cap else full_steps[0]
    encoder = gan.encoder_
    conditional = bool(gan.conditional) and len(encoder.category_spans_) > 0
    rows_per_s, sample_seconds = time_sampling(
        gan.sample, spec["n_sample"], spec["sample_repeats"], device
    )
    if device == "cuda":
        result["peak_gpu_mib"] = peak_gpu_mib()
        result["gpu_util"] = monitor.summary()
    result.update(
        epochs=seconds,
        epoch=median_epoch(seconds),
        steps=steps,
        full_steps=full_steps[0],
        step=median_epoch(seconds) / steps,
        fit=total,
        overhead=total - sum(seconds),
        width=encoder.layout_.width,
        cond=int(sum(encoder.category_sizes_)) if conditional else 0,
        rows_per_s=rows_per_s,
        sample_seconds=sample_seconds,
        peak_mib=peak_mib(),
    )

    # Executed GEMM FLOPs of one step, with the fitted encoder (real widths).
    counter = {"flops": 0}

    def counted_epoch(*args, **kwargs):
        with count_gemm_flops(counter):
            return real_train_epoch(*args, **kwargs)

    limit["steps"] = 1
    sampler_module.train_epoch = counted_epoch
    gan.set_params(warm_start=True, epochs=1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gan.fit(X.iloc[:COUNT_ROWS] if len(X) > COUNT_ROWS else X)
        result["executed_flops"] = counter["flops"]
    except Exception as exc:  # a torch without this private API: skip the check
        result["executed_flops"] = None
        result["count_error"] = f"{type(exc).__name__}: {exc}"
    finally:
        sampler_module.train_epoch = real_train_epoch
        GANSampler._training_config = original
    return result


def make_ctgan(epochs, device="cpu"):
    from ctgan import CTGAN

    kwargs = dict(epochs=epochs, batch_size=BATCH_SIZE, pac=PAC, verbose=False)
    gpu = device == "cuda"
    if "enable_gpu" in inspect.signature(CTGAN).parameters:
        kwargs["enable_gpu"] = gpu  # what the deprecated cuda=gpu means
    else:
        kwargs["cuda"] = gpu
    # Default architecture: embedding 128, generator and critic (256, 256).
    return CTGAN(**kwargs)


def measure_ctgan(X, spec: dict) -> dict:
    import ctgan
    import ctgan.synthesizers.ctgan as ctgan_module
    from ctgan.data_transformer import DataTransformer

    seed, cap, epochs = spec["seed"], spec["max_steps"], spec["epochs"]
    device = spec["device"]
    discrete = [c for c in X.columns if X[c].dtype == object]
    torch.manual_seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - ctgan samples from the global RNG
    result = {"library": "ctgan", "version": ctgan.__version__}

    start = time.perf_counter()
    transformer = DataTransformer()
    transformer.fit(X, discrete)
    transformer.transform(X)
    result["encoder"] = time.perf_counter() - start
    result["width"] = transformer.output_dimensions
    del transformer

    full_steps = max(len(X) // BATCH_SIZE, 1)
    steps = min(cap, full_steps) if cap else full_steps
    subset = steps * BATCH_SIZE if steps < full_steps else None

    class StepCappedTransformer(DataTransformer):
        """Encodes every row, trains on K * batch of them (module docstring)."""

        def transform(self, raw_data):
            data = super().transform(raw_data)
            if subset is None or len(data) <= subset:
                return data
            rows = np.random.RandomState(seed).choice(len(data), subset, replace=False)
            return data[np.sort(rows)]

    stamps = []
    original_tqdm = getattr(ctgan_module, "tqdm", None)
    original_transformer = ctgan_module.DataTransformer

    def timed_epochs(iterable, *args, **kwargs):
        for item in iterable:
            synchronize(device)
            stamps.append(time.perf_counter())
            yield item
        synchronize(device)
        stamps.append(time.perf_counter())

    @contextlib.contextmanager
    def patched(timestamps):
        if timestamps:
            ctgan_module.tqdm = timed_epochs
        if subset is not None:
            ctgan_module.DataTransformer = StepCappedTransformer
        try:
            yield
        finally:
            ctgan_module.DataTransformer = original_transformer
            if timestamps:
                ctgan_module.tqdm = original_tqdm

    model = make_ctgan(epochs, device)
    total = None
    if original_tqdm is not None:
        with patched(True):
            start = time.perf_counter()
            model.fit(X, discrete)
            synchronize(device)
            total = time.perf_counter() - start
    if total is not None and len(stamps) == epochs + 1:
        seconds = list(np.diff(stamps))
        result.update(
            method="per-epoch timestamps around ctgan's epoch loop",
            epochs=seconds,
            epoch=median_epoch(seconds),
            fit=total,
            overhead=total - sum(seconds),
        )
    else:
        # Difference method: (fit(N+1 epochs) - fit(1 epoch)) / N.
        n = max(epochs, 1)
        with patched(False):
            start = time.perf_counter()
            make_ctgan(1, device).fit(X, discrete)
            synchronize(device)
            one = time.perf_counter() - start
            model = make_ctgan(n + 1, device)
            start = time.perf_counter()
            model.fit(X, discrete)
            synchronize(device)
            total = time.perf_counter() - start
        per_epoch = (total - one) / n
        result.update(
            method="(fit(N+1 epochs) - fit(1 epoch)) / N",
            epochs=[per_epoch],
            epoch=per_epoch,
            fit=total,
            overhead=one - per_epoch,
        )
    try:
        result["cond"] = int(model._data_sampler.dim_cond_vec())  # private
    except AttributeError:
        result["cond"] = None
    rows_per_s, sample_seconds = time_sampling(
        model.sample, spec["n_sample"], spec["sample_repeats"], device
    )
    if device == "cuda":
        result["peak_gpu_mib"] = peak_gpu_mib()
        result["torch_device"] = str(getattr(model, "_device", None))  # private
    result.update(
        steps=steps,
        full_steps=full_steps,
        step=result["epoch"] / steps,
        rows_per_s=rows_per_s,
        sample_seconds=sample_seconds,
        peak_mib=peak_mib(),
    )
    return result


def fill_discrete_nan(X):
    """For ctgan only, in place: NaN in object columns becomes the category "?".

    ctgan rejects NaN in discrete columns. Column by column, so that no second
    copy of the table stays in memory (it would count in the peak RSS).
    """
    for column in X.columns:
        if X[column].dtype == object and X[column].isna().any():
            X[column] = X[column].fillna("?")


def to_json(value):
    """numpy scalars (ctgan's widths, for one) as Python numbers."""
    return value.item() if hasattr(value, "item") else str(value)


def child_main(spec: dict) -> int:
    begin = time.perf_counter()
    with limit_threads(spec["threads"]):
        start = time.perf_counter()
        X, _ = load_table(spec)
        n_object = int(sum(X[c].dtype == object for c in X.columns))
        if spec["library"] == "ctgan":
            fill_discrete_nan(X)
        data_seconds = time.perf_counter() - start
        rss_data = peak_mib()
        # torch.optim imports torch._dynamo on first use (about 2 s once per
        # process): pay it here so that no fit is charged for it.
        start = time.perf_counter()
        torch.optim.Adam([torch.zeros(1, requires_grad=True)])
        if spec["device"] == "cuda":
            # CUDA context and cuBLAS handle: not charged to the encoder.
            ones = torch.ones(64, 64, device="cuda")
            torch.matmul(ones, ones)
            torch.cuda.synchronize()
            del ones
            torch.cuda.reset_peak_memory_stats()
        warm_up = time.perf_counter() - start
        if spec["library"] == "ctgan":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = measure_ctgan(X, spec)
        else:
            result = measure_skgan(X, spec)
    result.update(
        rows=int(X.shape[0]),
        continuous=int(X.shape[1] - n_object),
        categorical=n_object,
        data_seconds=data_seconds,
        rss_data_mib=rss_data,
        warm_up=warm_up,
        wall=time.perf_counter() - begin,
        threads=torch.get_num_threads(),
    )
    with open(spec["out"], "w") as handle:
        json.dump(result, handle, default=to_json)
    return 0


# ------------------------------------------------------- parent: running


def run_child(spec: dict, note: str = "") -> dict:
    """Run one measurement in a fresh process of this interpreter."""
    label = f"{spec['library']} on {table_label(spec)}{note}"
    print(f"  running  {label} ...", end="", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        spec = dict(spec, out=str(Path(tmp) / "result.json"))
        start = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                json.dumps(spec),
            ],
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        if proc.returncode == 0 and Path(spec["out"]).exists():
            with open(spec["out"]) as handle:
                result = json.load(handle)
            result["process_seconds"] = wall  # interpreter start to exit
            print(f" {wall:.1f} s", flush=True)
            return result
    tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-8:]
    reason = f"exit status {proc.returncode}"
    if proc.returncode < 0:
        reason += " (killed by a signal; out of memory?)"
    print(f" FAILED after {wall:.1f} s: {reason}", flush=True)
    for line in tail:
        print(f"           {line}")
    return {"library": spec["library"], "error": reason, "stderr_tail": tail}


def ctgan_estimate(reference: dict, spec: dict) -> float:
    """Seconds of a ctgan child on spec's table, from a smaller table's run."""
    scale = spec["rows"] / reference["rows"]
    full = max(spec["rows"] // BATCH_SIZE, 1)
    steps = min(spec["max_steps"], full) if spec["max_steps"] else full
    result = reference["result"]
    trained = sum(result["epochs"])
    preprocessing = result["fit"] - trained
    fixed = result["process_seconds"] - (
        result["data_seconds"]
        + result["encoder"]
        + result["fit"]
        + result["sample_seconds"]
    )
    return (
        max(fixed, 0.0)
        + scale * (result["data_seconds"] + result["encoder"] + preprocessing)
        + spec["epochs"] * steps * result["step"]
        + result["sample_seconds"]
    )


def ok(result):
    return result is not None and "error" not in result


# ----------------------------------------------------------------- output


def fmt(value, digits=3):
    if value is None:
        return "n/a"
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}" if abs(value) < 1 else f"{value:.{digits + 1}g}"


def print_table(rows, headers):
    """Left-aligned first column; a header may have two lines ("a\\nb")."""
    head = [h.split("\n") for h in headers]
    depth = max(len(h) for h in head)
    head = [[""] * (depth - len(h)) + h for h in head]
    widths = [
        max([len(str(r[i])) for r in rows] + [len(x) for x in head[i]])
        for i in range(len(headers))
    ]
    line = "  ".join("-" * w for w in widths)
    print(line)
    for level in range(depth):
        print(
            "  ".join(
                h[level].ljust(w) if i == 0 else h[level].rjust(w)
                for i, (h, w) in enumerate(zip(head, widths, strict=True))
            ).rstrip()
        )
    print(line)
    for row in rows:
        print(
            "  ".join(
                str(c).ljust(w) if i == 0 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    print(line)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.3g}"


def get(result, key, scale=1.0):
    if not ok(result) or result.get(key) is None:
        return None
    return result[key] if scale == 1.0 else result[key] * scale


def parse_list(text: str, name: str) -> list:
    try:
        values = [int(x.replace("_", "")) for x in text.split(",") if x.strip()]
    except ValueError:
        sys.exit(f"error: {name} takes comma-separated integers, got {text!r}.")
    if not values or min(values) < 1:
        sys.exit(f"error: {name} needs positive integers, got {text!r}.")
    return values


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--dataset",
        default="adult-numeric,adult",
        help="comma-separated tables: adult-numeric, adult, synthetic "
        "(default adult-numeric,adult)",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--rows", help="synthetic: comma-separated row counts (default 10000)"
    )
    parser.add_argument(
        "--columns",
        help="synthetic: comma-separated column counts, half continuous and "
        "half categorical (default 10)",
    )
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--max-steps",
        type=int,
        default=0,
        help="cap the training steps of each epoch (0: whole epochs); the "
        "table then reports ms per step",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch.set_num_threads and BLAS/OpenMP limits (default 1; 0 keeps "
        "torch's default)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="one synthetic 2,000 x 4 table, 1 epoch: seconds, no data file",
    )
    parser.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="where both libraries train and sample, and the matmul rates are "
        "measured (default cpu)",
    )
    parser.add_argument(
        "--precision",
        choices=("float32", "bf16"),
        default="float32",
        help="skgan's GANSampler(precision=...) (default float32; bf16 is "
        "autocast on CUDA only); ctgan always trains in float32",
    )
    parser.add_argument(
        "--compile",
        choices=("off", *COMPILE_MODES),
        default="off",
        help="skgan's GANSampler(compile=...) mode (default off; compiles on "
        "CUDA only; epoch 1, which pays the compilation, is not timed)",
    )
    parser.add_argument(
        "--no-cuda-graph",
        action="store_true",
        help="train skgan's step eagerly on CUDA instead of replaying it as a "
        "CUDA graph (to measure what the graph gains)",
    )
    parser.add_argument("--no-ctgan", action="store_true")
    parser.add_argument(
        "--ctgan-budget",
        type=float,
        default=600.0,
        help="skip ctgan on a synthetic table whose estimated time exceeds "
        "this many seconds (default 600)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return args, None

    if args.smoke:
        datasets, rows_list, columns_list, epochs = ["synthetic"], [2000], [4], 1
    else:
        datasets = [d.strip() for d in args.dataset.split(",") if d.strip()]
        unknown = sorted(set(datasets) - set(DATASETS))
        if unknown or not datasets:
            parser.error(f"--dataset takes {', '.join(DATASETS)}; got {unknown}")
        if (args.rows or args.columns) and "synthetic" not in datasets:
            parser.error("--rows and --columns size the --dataset synthetic tables")
        rows_list = sorted(set(parse_list(args.rows or "10000", "--rows")))
        columns_list = sorted(set(parse_list(args.columns or "10", "--columns")))
        epochs = args.epochs
    if epochs < 1:
        parser.error("--epochs must be >= 1")
    if args.max_steps < 0:
        parser.error("--max-steps must be >= 0")
    if ("adult" in datasets or "adult-numeric" in datasets) and not args.data.exists():
        sys.exit(f"error: data file {args.data} not found (pass --data PATH).")
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("error: --device cuda, but torch sees no CUDA device.")

    base = dict(
        data=str(args.data),
        seed=args.seed,
        epochs=epochs,
        max_steps=args.max_steps,
        n_sample=10_000 if args.smoke else 100_000,
        sample_repeats=1 if args.smoke else 3,
        threads=args.threads,
        device=args.device,
        precision=args.precision,
        compile=args.compile,
        no_cuda_graph=args.no_cuda_graph,
    )
    tables = [
        dict(base, dataset=d, rows=None, columns=None)
        for d in datasets
        if d != "synthetic"
    ]
    if "synthetic" in datasets:
        # Columns first, rows ascending: ctgan's estimates use the smaller runs.
        tables += [
            dict(base, dataset="synthetic", rows=r, columns=c)
            for c in columns_list
            for r in rows_list
        ]
    return args, tables


def print_header(args, settings, threads, ctgan_note):
    print("skgan speed benchmark")
    print(f"  date       {datetime.date.today().isoformat()}")
    print(
        f"  machine    {platform.machine()}, {os.cpu_count()} logical CPUs, "
        f"{platform.processor() or platform.platform()}"
    )
    print(f"  python     {platform.python_version()}, torch {torch.__version__}")
    print(
        f"  threads    torch.set_num_threads({threads})"
        f"{'' if args.threads else ' (torch default)'} in each process, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"
    )
    print(
        f"  settings   epochs={settings['epochs']}, batch_size={BATCH_SIZE}, "
        f"pac={PAC}, max_steps={args.max_steps or 'none'}, sample "
        f"{settings['n_sample']:,} rows x{settings['sample_repeats']}, "
        f"device={args.device}, precision={args.precision}, "
        f"compile={args.compile}, seed={args.seed}"
        + (", no CUDA graph" if args.no_cuda_graph else "")
        + (", --smoke" if args.smoke else "")
    )
    if args.device == "cuda":
        props = torch.cuda.get_device_properties(torch.cuda.current_device())
        print(
            f"  gpu        {torch.cuda.get_device_name()}, "
            f"{props.total_memory / 2**30:.0f} GiB, CUDA {torch.version.cuda}, "
            f"float32 matmul precision {torch.get_float32_matmul_precision()!r}"
        )
    print(f"  ctgan      {ctgan_note or f'budget {args.ctgan_budget:g} s per table'}")
    print(f"  load avg   {load_average()} (start)")


def ctgan_skip_note(record, ctgan_runs, budget):
    """Why ctgan should not run on a synthetic table (None: run it).

    Estimates its time from the largest smaller table with the same columns
    that ctgan ran, after a probe run on PROBE_ROWS rows where there is none.
    """
    spec, label = record["spec"], record["label"]
    runs = ctgan_runs.setdefault(spec["columns"], [])
    previous = [(rows, res) for rows, res in runs if rows < spec["rows"] and ok(res)]
    if not previous and spec["rows"] > PROBE_ROWS:
        probe = run_child(
            dict(spec, rows=PROBE_ROWS, library="ctgan"), " (probe for an estimate)"
        )
        record["ctgan_probe"] = probe
        runs.append((PROBE_ROWS, probe))
        if ok(probe):
            previous = [(PROBE_ROWS, probe)]
    if not previous:
        return None
    rows, reference = max(previous, key=lambda pair: pair[0])
    estimate = ctgan_estimate({"rows": rows, "result": reference}, spec)
    record["ctgan_estimate"] = estimate
    if estimate > budget:
        return (
            f"ctgan skipped on {label}: estimated {estimate:,.0f} s from its "
            f"{rows:,}-row run, over --ctgan-budget {budget:g} s"
        )
    dense = 3 * 8 * spec["rows"] * reference["width"]
    free = available_bytes()
    if free is not None and dense > free:
        return (
            f"ctgan skipped on {label}: its dense encoded matrix (x3 copies) "
            f"needs about {dense / 2**30:,.1f} GiB, {free / 2**30:,.1f} GiB "
            "available"
        )
    return None


def run_tables(tables, ctgan_note, budget, done=None) -> list:
    """One record per table: skgan's and ctgan's child results, notes.

    ``done(records)``, if given, is called after each table.
    """
    records = []
    ctgan_runs = {}  # columns -> [(rows, result)] of ctgan's synthetic runs
    for spec in tables:
        record = {"spec": spec, "label": table_label(spec), "ctgan": None}
        records.append(record)
        record["skgan"] = run_child(dict(spec, library="skgan"))
        run_ctgan(record, ctgan_note, ctgan_runs, budget)
        if done is not None:
            done(records)
    return records


def run_ctgan(record, ctgan_note, ctgan_runs, budget):
    """ctgan's child on the record's table, unless it is skipped (a note)."""
    spec = record["spec"]
    if ctgan_note:
        record["ctgan_note"] = ctgan_note
        return
    if spec["dataset"] == "synthetic":
        note = ctgan_skip_note(record, ctgan_runs, budget)
        if note:
            record["ctgan_note"] = note
            print(f"  {note}", flush=True)
            return
    ct = record["ctgan"] = run_child(dict(spec, library="ctgan"))
    if spec["dataset"] == "synthetic":
        ctgan_runs[spec["columns"]].append((spec["rows"], ct))
    if not ok(ct):
        record["ctgan_note"] = f"ctgan failed on {record['label']}: {ct['error']}"


def rate_dtype(settings) -> torch.dtype:
    """The matmul dtype of skgan's training GEMMs (bf16: autocast on CUDA)."""
    if settings["device"] == "cuda" and settings["precision"] == "bf16":
        return torch.bfloat16
    return torch.float32


def measure_rates(records, min_seconds, device="cpu", dtype=torch.float32) -> dict:
    """skgan's step GEMMs per table, and matmul GFLOP/s at their shapes."""
    rates = {}
    for record in records:
        sk = record["skgan"]
        if not ok(sk):
            continue
        gemms = record["gemms"] = step_gemms(sk["width"], sk["cond"])
        for layer, m, k, n, _ in gemms:
            shape = rate_shape(layer, m, k, n)
            if shape not in rates:
                rates[shape] = matmul_gflops(
                    *shape, min_seconds=min_seconds, device=device, dtype=dtype
                )
        analytic = gemm_flops(gemms)
        bound = sum(
            count * 2 * m * k * n / (rates[rate_shape(layer, m, k, n)] * 1e9)
            for layer, m, k, n, count in gemms
        )
        record["flops"] = {
            "analytic": analytic,
            "executed": sk.get("executed_flops"),
            "achieved_gflops": analytic / sk["step"] / 1e9,
            "bound_seconds": bound,
        }
    return rates


def steps_cell(result) -> str:
    if not ok(result):
        return "n/a"
    if result["steps"] < result["full_steps"]:
        return f"{result['steps']:,} of {result['full_steps']:,}"
    return f"{result['steps']:,}"


def print_shapes(records):
    print("Tables")
    rows = []
    for record in records:
        sk, ct = record["skgan"], record["ctgan"]
        known = sk if ok(sk) else ct if ok(ct) else None
        rows.append(
            (
                record["label"],
                fmt(known["rows"]) if known else "n/a",
                f"{known['continuous']}+{known['categorical']}" if known else "n/a",
                fmt(get(sk, "width")),
                fmt(get(ct, "width")),
                fmt(get(sk, "cond")),
                fmt(get(ct, "cond")),
                steps_cell(sk),
                steps_cell(ct),
            )
        )
    print_table(
        rows,
        (
            "table",
            "rows",
            "columns\ncont+cat",
            "encoded width\nskgan",
            "ctgan",
            "condition width\nskgan",
            "ctgan",
            "steps timed / epoch\nskgan",
            "ctgan",
        ),
    )


def print_speed(records, settings, per_step):
    unit = "ms / step" if per_step else "s / epoch"
    if settings["epochs"] > 1:
        epoch_note = "median of epochs 2..N"
    else:
        epoch_note = "single epoch, no warm-up epoch left out"
    print(f"Speed and memory, skgan next to ctgan ({unit}: {epoch_note})")

    def train_time(result):
        return get(result, "step", 1e3) if per_step else get(result, "epoch")

    gpu = settings["device"] == "cuda"
    rows = []
    for record in records:
        sk, ct = record["skgan"], record["ctgan"]
        cells = [record["label"]]
        pairs = [
            (get(sk, "encoder"), get(ct, "encoder")),
            (train_time(sk), train_time(ct)),
            (get(sk, "rows_per_s"), get(ct, "rows_per_s")),
            (get(sk, "peak_mib"), get(ct, "peak_mib")),
        ]
        if gpu:
            pairs.append((get(sk, "peak_gpu_mib"), get(ct, "peak_gpu_mib")))
        for a, b in pairs:
            cells += [fmt(a), fmt(b), ratio(a, b)]
        if gpu:
            util = get(sk, "gpu_util")
            cells.append(f"{util['mean']:.0f} / {util['max']:.0f}" if util else "n/a")
        rows.append(cells)
    headers = [
        "table",
        "encoder fit+transform s\nskgan",
        "ctgan",
        "sk/ct",
        f"training {unit}\nskgan",
        "ctgan",
        "sk/ct",
        f"sample {settings['n_sample']:,} rows/s\nskgan",
        "ctgan",
        "sk/ct",
        "peak RSS MiB\nskgan",
        "ctgan",
        "sk/ct",
    ]
    if gpu:
        headers += [
            "peak GPU MiB\nskgan",
            "ctgan",
            "sk/ct",
            "skgan GPU util %\nmean / max",
        ]
    print_table(rows, headers)
    print(
        "sk/ct: below 1 means skgan is faster (times) or smaller (memory); "
        "above 1 means faster for rows/s."
    )
    if gpu:
        print(
            "peak GPU MiB: torch.cuda.max_memory_allocated() of the child "
            "process. GPU util: nvidia-smi utilization.gpu every 0.2 s during "
            "skgan's timed epochs (n/a: no nvidia-smi or no reading). skgan "
            f"precision={settings['precision']}; ctgan trains in float32."
        )
    for note in sorted({r["ctgan_note"] for r in records if r.get("ctgan_note")}):
        print(note)
    ran = [r["ctgan"] for r in records if ok(r["ctgan"])]
    if ran:
        print(
            f"ctgan {', '.join(sorted({r['version'] for r in ran}))}: epoch time "
            f"by {'; '.join(sorted({r['method'] for r in ran}))}; "
            "CTGAN(batch_size=500, pac=10, "
            f"{'enable_gpu=True' if gpu else 'cpu'}, default (256, 256) networks)"
        )
    if any(r["steps"] < r["full_steps"] for r in ran):
        print(
            "ctgan with --max-steps: transformer fitted on and applied to every "
            "row, the epoch loop given a random (max-steps x 500)-row subset of "
            "the encoded rows (see the script's docstring)."
        )


def print_flops(records, threads, settings):
    print(
        "skgan training FLOPs per step (GEMMs only; analytic formula of the "
        "docstring, and the mm/addmm torch executed in one step)"
    )
    rows = []
    for record in records:
        sk, flops = record["skgan"], record.get("flops")
        if flops is None:
            rows.append((record["label"], *["n/a"] * 7))
            continue
        analytic, executed = flops["analytic"], flops["executed"]
        bound = flops["bound_seconds"]
        rows.append(
            (
                record["label"],
                f"{analytic / 1e6:,.1f}",
                f"{executed / 1e6:,.1f}" if executed else "n/a",
                f"{sk['step'] * 1e3:.2f}",
                f"{flops['achieved_gflops']:.2f}",
                f"{bound * 1e3:.2f}",
                f"{analytic / bound / 1e9:.2f}",
                f"{sk['step'] / bound:.1f}",
            )
        )
    print_table(
        rows,
        (
            "table",
            "MFLOP / step\nanalytic",
            "executed",
            "measured\nms / step",
            "achieved\nGFLOP/s",
            "GEMM-bound\nms / step",
            "GFLOP/s",
            "measured\n/ bound",
        ),
    )
    for record in records:
        if ok(record["skgan"]) and record["skgan"].get("count_error"):
            print(
                f"{record['label']}: executed count unavailable "
                f"({record['skgan']['count_error']})"
            )
    if settings["device"] == "cuda":
        dtype = str(rate_dtype(settings)).removeprefix("torch.")
        where = f"{gpu_name(settings)}'s {dtype} torch.matmul rate for its shape"
    else:
        where = (
            "this machine's float32 torch.matmul rate for its shape, "
            f"{threads} thread(s)"
        )
    print(
        f"GEMM-bound: each GEMM at {where}; critic layers at "
        f"{2 * BATCH_SIZE // PAC} packs (the critic step's shape)."
    )


def print_details(records, rates):
    print("Details")
    for record in records:
        print(f"  {record['label']}:")
        for name in ("skgan", "ctgan"):
            result = record[name]
            if result is None:
                continue
            if not ok(result):
                print(f"    {name}  failed: {result['error']}")
                continue
            print(
                f"    {name}  epochs (s): "
                + ", ".join(f"{s:.3f}" for s in result["epochs"])
                + f"; {result['step'] * 1e3:.2f} ms / step; fit {result['fit']:.2f}"
                f" s, overhead {result['overhead']:.2f} s; RSS with the table "
                f"loaded {result['rss_data_mib']:,.0f} MiB; process "
                f"{result['process_seconds']:.1f} s"
            )
            if result.get("peak_gpu_mib") is not None:
                util = result.get("gpu_util")
                print(
                    f"           peak GPU {result['peak_gpu_mib']:,.0f} MiB"
                    + (
                        f"; GPU util mean {util['mean']:.1f} %, max "
                        f"{util['max']:.0f} %, {util['samples']} readings"
                        if util
                        else ""
                    )
                    + (
                        f"; torch device {result['torch_device']}"
                        if result.get("torch_device")
                        else ""
                    )
                )
        probe = record.get("ctgan_probe")
        if ok(probe):
            print(
                f"    ctgan probe on {PROBE_ROWS:,} rows: {probe['step'] * 1e3:.2f}"
                f" ms / step, encoder {probe['encoder']:.2f} s, process "
                f"{probe['process_seconds']:.1f} s"
            )
        if record.get("ctgan_estimate") is not None:
            print(f"    ctgan's process estimated at {record['ctgan_estimate']:,.0f} s")
        for layer, m, k, n, count in record.get("gemms", []):
            shape = rate_shape(layer, m, k, n)
            print(
                f"    {layer:<16} {m:>4} x {k:<6} @ {k:>6} x {n:<5} x{count:<3} "
                f"matmul at {shape[0]} rows {rates[shape]:8.2f} GFLOP/s"
            )


def gpu_name(settings):
    return torch.cuda.get_device_name() if settings["device"] == "cuda" else None


def write_json(path, records, rates, settings, threads, complete=True):
    """All the figures; ``complete=False``: the tables measured so far only."""
    keys = ("label", "spec", "skgan", "ctgan", "ctgan_note", "ctgan_probe")
    keys += ("ctgan_estimate", "gemms", "flops")
    payload = {
        "complete": complete,
        "date": datetime.date.today().isoformat(),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "threads": threads,
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "gpu": gpu_name(settings),
            "cuda": torch.version.cuda if settings["device"] == "cuda" else None,
        },
        "settings": settings,
        "tables": [{key: record.get(key) for key in keys} for record in records],
        "matmul_gflops": [
            {"m": m, "k": k, "n": n, "gflops": rate}
            for (m, k, n), rate in rates.items()
        ],
        "matmul_dtype": str(rate_dtype(settings)).removeprefix("torch."),
    }
    path.write_text(json.dumps(payload, indent=2, default=to_json) + "\n")
    if complete:
        print(f"\nresults written to {path}")


def main(argv=None):
    args, tables = parse_args(argv)
    if args.child:
        return child_main(json.loads(args.child))
    settings = {k: v for k, v in tables[0].items() if k not in DATASET_KEYS}
    settings["smoke"] = args.smoke
    settings["unit"] = "ms / step" if args.max_steps else "s / epoch"
    if args.no_ctgan:
        ctgan_note = "ctgan skipped (--no-ctgan)"
    elif importlib.util.find_spec("ctgan") is None:
        ctgan_note = (
            "ctgan skipped: not installed in this environment "
            "(see benchmarks/README.md)"
        )
    else:
        ctgan_note = None
    with limit_threads(args.threads):
        threads = torch.get_num_threads()
    print_header(args, settings, threads, ctgan_note)

    def save_so_far(records):
        # A run stopped part-way (a time limit) still leaves its finished tables.
        if args.json:
            write_json(args.json, records, {}, settings, threads, complete=False)

    records = run_tables(tables, ctgan_note, args.ctgan_budget, save_so_far)
    with limit_threads(args.threads):
        rates = measure_rates(
            records,
            min_seconds=0.05 if args.smoke else 0.5,
            device=args.device,
            dtype=rate_dtype(settings),
        )
    print(f"  load avg   {load_average()} (end)")

    print()
    print_shapes(records)
    print()
    print_speed(records, settings, per_step=bool(args.max_steps))
    print()
    print_flops(records, threads, settings)
    print()
    print_details(records, rates)
    if args.json:
        write_json(args.json, records, rates, settings, threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
