#!/usr/bin/env python
"""Training and sampling speed of skgan's GANSampler, next to the ctgan package.

Run from the repository root::

    python benchmarks/speed.py --threads 1            # skgan and ctgan
    python benchmarks/speed.py --threads 2 --epochs 10
    python benchmarks/speed.py --smoke --no-ctgan     # a few seconds, for CI

Data: the six numeric columns of UCI Adult (age, fnlwgt, education-num,
capital-gain, capital-loss, hours-per-week), 32,561 rows, read from ``--data``
(default ``../shared/data/adult.csv`` next to the repository). With
``--smoke`` a missing file is replaced by a synthetic table of the same shape
(stated in the output) so that CI needs no data download.

What is measured, for skgan and (optionally) ctgan, in the same process:

* seconds per epoch: the median over epochs 2..N (epoch 1 is warm-up and is
  left out whenever N > 1). skgan reports each epoch's time in
  ``history_[i]["seconds"]``. ctgan reports none, so its epoch loop is timed
  from outside: the ``tqdm`` wrapper that ``ctgan.synthesizers.ctgan`` puts
  around ``range(epochs)`` is replaced for the duration of the fit by a
  pass-through generator that records ``time.perf_counter()`` as each epoch
  starts and when the loop ends. Nothing of ctgan's code is changed or
  copied; its preprocessing (``DataTransformer`` fit and transform, which
  run before the loop) therefore falls outside every epoch. If that wrapper
  cannot be found, the fallback is the difference method
  ``(fit(epochs=N+1) - fit(epochs=1)) / N``; the output says which was used.
* preprocessing: the encoder's fit + transform timed on its own (skgan's
  ``TableEncoder``, ctgan's ``DataTransformer``), and the "fit overhead",
  the fit's wall time minus the time of its epochs (validation,
  preprocessing, network construction, bookkeeping).
* sampling: rows per second of ``sample(100_000)`` (median of 3 calls).
* skgan's achieved training GFLOP/s, next to this machine's float32
  ``torch.matmul`` GFLOP/s at the GEMM shapes of the training step.

FLOP counting (skgan, default architecture). Only matrix products are
counted (bias adds, batch norm, activations, dropout and Adam are
elementwise and negligible). Write ``B`` for the batch (500 rows), ``P =
B / pac`` for the packs per batch, ``d`` for the encoded width (6), ``L`` for
the latent size (128) and ``h = 256`` for the layer widths. Forward FLOPs:

* generator, per batch: ``G = 2 B (L h + (L + h) h + (L + 2 h) d)``
  (residual blocks 128->256 and 384->256, then the 640->d output layer);
* critic, per B rows: ``C = 2 P (pac d h + h h + h)``.

One training step (n_critic=1) is one critic step and one generator step:

* critic step: generator forward without gradients ``1 G``; critic on the
  real and fake packs together (2B rows), forward + backward ``3 x 2 C``;
  gradient penalty on B interpolated rows: forward ``1 C``, the
  ``autograd.grad`` input gradient ``1 C`` and the double backward through
  that gradient graph (weight gradients and gradient of the gradient)
  ``2 C``, so ``4 C``;
* generator step: generator forward + backward ``3 G``; critic forward and
  input gradient only (its weights are frozen) ``2 C``.

Total: ``4 G + 12 C`` per step (forward + backward ~ 3x forward). As a check,
the script also counts the FLOPs of the ``aten.mm``/``aten.addmm`` calls
that torch actually executes in one step (a ``TorchDispatchMode`` over a
one-step fit) and prints both.

Threads: ``--threads N`` calls ``torch.set_num_threads(N)`` and limits the
BLAS/OpenMP pools of numpy and scikit-learn to N with threadpoolctl. torch's
OpenMP workers spin-wait, so on a 2-core machine that is busy with other work
``--threads 2`` can make a step many times slower than ``--threads 1``: always
state the setting with the figures. ctgan's ``DataTransformer.transform``
additionally runs a joblib ``Parallel(n_jobs=-1)`` of worker processes, which
no thread setting controls.

ctgan (Business Source License) is only imported here, optionally; skgan
never depends on it. Install it in a separate environment (see
``benchmarks/README.md``) or pass ``--no-ctgan``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import inspect
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from skgan.datasets import ADULT_INTEGER_COLUMNS as ADULT_NUMERIC

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "adult.csv"
BATCH_SIZE = 500
PAC = 10
LATENT_DIM = 128
DIMS = (256, 256)


# ------------------------------------------------------------------ data


def load_numeric(path: Path, smoke: bool, seed: int = 0):
    """The numeric Adult columns as float64, and a description of the source."""
    if not path.exists():
        if not smoke:
            sys.exit(f"error: data file {path} not found (pass --data PATH).")
        # CI has no copy of Adult: a synthetic table of the same shape.
        rng = np.random.RandomState(seed)
        n = 2000
        X = np.column_stack(
            [
                rng.randint(17, 91, n),
                rng.lognormal(12, 0.5, n),
                rng.randint(1, 17, n),
                np.where(rng.rand(n) < 0.08, rng.lognormal(8, 1.2, n), 0.0),
                np.where(rng.rand(n) < 0.05, rng.lognormal(7.5, 0.3, n), 0.0),
                rng.randint(1, 100, n),
            ]
        ).astype(np.float64)
        return X, f"SYNTHETIC stand-in ({path} not found), {n} rows x 6"
    with open(path, newline="") as handle:
        reader = csv.reader(handle, skipinitialspace=True)
        header = next(reader)
        columns = [header.index(name) for name in ADULT_NUMERIC]
        X = np.array([[float(row[i]) for i in columns] for row in reader if row])
    source = f"{path}, numeric columns, {X.shape[0]} rows x {X.shape[1]}"
    if smoke and X.shape[0] > 2000:
        rows = np.random.RandomState(seed).choice(X.shape[0], 2000, replace=False)
        X = X[np.sort(rows)]
        source += ", random 2000-row subsample (--smoke)"
    return X, source


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


# ----------------------------------------------------------------- FLOPs


def skgan_step_flops(d: int, batch: int = BATCH_SIZE, pac: int = PAC) -> dict:
    """Analytic GEMM FLOPs of one training step (see the module docstring)."""
    h1, h2 = DIMS
    L = LATENT_DIM
    G = 2 * batch * (L * h1 + (L + h1) * h2 + (L + h1 + h2) * d)
    packs = batch // pac
    C = 2 * packs * (pac * d * DIMS[0] + DIMS[0] * DIMS[1] + DIMS[1])
    return {"G": G, "C": C, "step": 4 * G + 12 * C}


def executed_step_flops(d: int, seed: int = 0):
    """FLOPs of the mm/addmm calls torch runs in one skgan training step.

    A fit on exactly one batch of rows with epochs=1 is one critic step and
    one generator step; sampling and preprocessing run no matrix products.
    """
    from torch.utils._python_dispatch import TorchDispatchMode

    from skgan import GANSampler

    aten = torch.ops.aten

    class CountGemm(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.flops = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            packet = func.overloadpacket
            if packet is aten.mm:
                a, b = args[0], args[1]
            elif packet is aten.addmm:
                a, b = args[1], args[2]
            else:
                return out
            self.flops += 2 * a.shape[0] * a.shape[1] * b.shape[1]
            return out

    X = np.random.RandomState(seed).lognormal(size=(BATCH_SIZE, d))
    gan = GANSampler(
        epochs=1, device="cpu", random_state=seed, batch_size=BATCH_SIZE, pac=PAC
    )
    try:
        with CountGemm() as counter:
            gan.fit(X)
    except Exception as exc:  # a torch without this private API: skip the check
        return None, f"{type(exc).__name__}: {exc}"
    return counter.flops, None


def matmul_gflops(m: int, k: int, n: int, min_seconds: float, repeats: int = 5):
    """Median float32 GFLOP/s of ``torch.matmul`` (m x k) @ (k x n)."""
    a = torch.randn(m, k)
    b = torch.randn(k, n)
    out = torch.empty(m, n)
    for _ in range(10):
        torch.matmul(a, b, out=out)
    # Size one timing block to about min_seconds / repeats.
    loops, elapsed = 1, 0.0
    while elapsed < min_seconds / repeats / 4:
        loops *= 2
        start = time.perf_counter()
        for _ in range(loops):
            torch.matmul(a, b, out=out)
        elapsed = time.perf_counter() - start
    loops = max(1, int(loops * (min_seconds / repeats) / elapsed))
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            torch.matmul(a, b, out=out)
        rates.append(2 * m * k * n * loops / (time.perf_counter() - start) / 1e9)
    return statistics.median(rates)


# ------------------------------------------------------------- benchmarks


def median_epoch(seconds: list) -> float:
    timed = seconds[1:] if len(seconds) > 1 else seconds
    return statistics.median(timed)


def time_sampling(sample, n_rows: int, repeats: int) -> float:
    sample(min(n_rows, 1000))  # warm-up
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = sample(n_rows)
        rates.append(n_rows / (time.perf_counter() - start))
        assert len(out) == n_rows
    return statistics.median(rates)


def bench_skgan(X, epochs, n_sample, sample_repeats, seed):
    from skgan import GANSampler

    result = {}
    try:
        from skgan._encoding import TableEncoder  # private: timing only

        start = time.perf_counter()
        encoder = TableEncoder().fit(X)
        encoder.to_device(*encoder.transform(X), torch.device("cpu"))
        result["encoder"] = time.perf_counter() - start
    except ImportError:
        result["encoder"] = None
    gan = GANSampler(
        epochs=epochs, device="cpu", random_state=seed, batch_size=BATCH_SIZE, pac=PAC
    )
    start = time.perf_counter()
    gan.fit(X)
    total = time.perf_counter() - start
    seconds = [entry["seconds"] for entry in gan.history_]
    result.update(
        epochs=seconds,
        epoch=median_epoch(seconds),
        fit=total,
        overhead=total - sum(seconds),
        steps=-(-X.shape[0] // gan.batch_size_),
        width=gan.encoder_.layout_.width,
        rows_per_s=time_sampling(gan.sample, n_sample, sample_repeats),
    )
    return result


def ctgan_available():
    try:
        import ctgan  # noqa: F401
    except ImportError:
        return False
    return True


def make_ctgan(epochs):
    from ctgan import CTGAN

    kwargs = dict(epochs=epochs, batch_size=BATCH_SIZE, pac=PAC, verbose=False)
    if "enable_gpu" in inspect.signature(CTGAN).parameters:
        kwargs["enable_gpu"] = False  # what the deprecated cuda=False means
    else:
        kwargs["cuda"] = False
    # Default architecture: embedding 128, generator and critic (256, 256).
    return CTGAN(**kwargs)


def bench_ctgan(X, epochs, n_sample, sample_repeats, seed):
    import ctgan
    import ctgan.synthesizers.ctgan as ctgan_module
    from ctgan.data_transformer import DataTransformer

    torch.manual_seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - ctgan samples from the global RNG
    result = {"version": ctgan.__version__}

    start = time.perf_counter()
    transformer = DataTransformer()
    transformer.fit(X, ())
    transformer.transform(X)
    result["encoder"] = time.perf_counter() - start
    result["width"] = transformer.output_dimensions

    stamps = []
    original = getattr(ctgan_module, "tqdm", None)

    def timed_epochs(iterable, *args, **kwargs):
        for item in iterable:
            stamps.append(time.perf_counter())
            yield item
        stamps.append(time.perf_counter())

    model = make_ctgan(epochs)
    if original is not None:
        ctgan_module.tqdm = timed_epochs
        try:
            start = time.perf_counter()
            model.fit(X, ())
            total = time.perf_counter() - start
        finally:
            ctgan_module.tqdm = original
    if original is not None and len(stamps) == epochs + 1:
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
        start = time.perf_counter()
        make_ctgan(1).fit(X, ())
        one = time.perf_counter() - start
        model = make_ctgan(n + 1)
        start = time.perf_counter()
        model.fit(X, ())
        total = time.perf_counter() - start
        per_epoch = (total - one) / n
        result.update(
            method="(fit(N+1 epochs) - fit(1 epoch)) / N",
            epochs=[per_epoch],
            epoch=per_epoch,
            fit=total,
            overhead=one - per_epoch,
        )
    result["steps"] = max(X.shape[0] // BATCH_SIZE, 1)
    result["rows_per_s"] = time_sampling(model.sample, n_sample, sample_repeats)
    return result


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
    widths = [
        max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))
    ]
    line = "  ".join("-" * w for w in widths)
    print(line)
    print("  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)))
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch.set_num_threads and BLAS/OpenMP limits (default 1; 0 keeps "
        "torch's default)",
    )
    parser.add_argument("--smoke", action="store_true", help="2,000 rows, 1 epoch")
    parser.add_argument("--no-ctgan", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    epochs = 1 if args.smoke else args.epochs
    n_sample = 10_000 if args.smoke else 100_000
    sample_repeats = 1 if args.smoke else 3
    matmul_seconds = 0.05 if args.smoke else 1.0
    if epochs < 1:
        parser.error("--epochs must be >= 1")

    X, source = load_numeric(args.data, args.smoke, args.seed)
    with limit_threads(args.threads):
        threads = torch.get_num_threads()
        print("skgan speed benchmark")
        print(f"  date       {datetime.date.today().isoformat()}")
        print(
            f"  machine    {platform.machine()}, {os.cpu_count()} logical CPUs, "
            f"{platform.processor() or platform.platform()}"
        )
        print(f"  python     {platform.python_version()}, torch {torch.__version__}")
        print(
            f"  threads    torch.set_num_threads({threads})"
            f"{'' if args.threads else ' (torch default)'}, "
            f"interop {torch.get_num_interop_threads()}, "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"
        )
        print(f"  data       {source}")
        print(
            f"  settings   epochs={epochs}, batch_size={BATCH_SIZE}, pac={PAC}, "
            f"sample {n_sample:,} rows x{sample_repeats}, device=cpu"
        )
        # torch.optim imports torch._dynamo on first use (about 2 s once per
        # process): pay it here so neither library's fit is charged for it.
        start = time.perf_counter()
        torch.optim.Adam([torch.zeros(1, requires_grad=True)])
        print(
            f"  warm-up    first torch.optim.Adam() in this process: "
            f"{time.perf_counter() - start:.2f} s (excluded from the figures)"
        )
        print(f"  load avg   {load_average()} (start)")

        sk = bench_skgan(X, epochs, n_sample, sample_repeats, args.seed)
        ct, ct_note = None, None
        if args.no_ctgan:
            ct_note = "ctgan skipped (--no-ctgan)"
        elif not ctgan_available():
            ct_note = (
                "ctgan skipped: not installed in this environment "
                "(see benchmarks/README.md)"
            )
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ct = bench_ctgan(X, epochs, n_sample, sample_repeats, args.seed)

        d = X.shape[1]
        flops = skgan_step_flops(d)
        executed, executed_error = executed_step_flops(d, args.seed)
        h1, h2 = DIMS
        packs2 = 2 * BATCH_SIZE // PAC
        # (m, k, n, weight): each forward GEMM of the step and how many
        # forward-equivalents of it one step runs (4 G + 12 C = 4 G + 6 C(2B)).
        shapes = [
            (BATCH_SIZE, LATENT_DIM, h1, 4),
            (BATCH_SIZE, LATENT_DIM + h1, h2, 4),
            (BATCH_SIZE, LATENT_DIM + h1 + h2, d, 4),
            (BATCH_SIZE, h1, h2, 0),  # reference shape only
            (packs2, PAC * d, DIMS[0], 6),
            (packs2, DIMS[0], DIMS[1], 6),
            (packs2, DIMS[1], 1, 6),
        ]
        matmul = {s: matmul_gflops(*s[:3], min_seconds=matmul_seconds) for s in shapes}
        print(f"  load avg   {load_average()} (end)")

    print()
    if ct is not None:
        print(
            f"ctgan {ct['version']}: epoch time by {ct['method']}; "
            "CTGAN(batch_size=500, pac=10, cpu, default (256, 256) networks), "
            "no discrete columns"
        )
    else:
        print(ct_note)
    epoch_note = "median of epochs 2..N" if epochs > 1 else "single epoch"
    rows = [
        (
            "seconds / epoch (" + epoch_note + ")",
            fmt(sk["epoch"]),
            fmt(ct and ct["epoch"]),
            ratio(sk["epoch"], ct and ct["epoch"]),
        ),
        (
            "encoder fit+transform, standalone (s)",
            fmt(sk["encoder"]),
            fmt(ct and ct["encoder"]),
            ratio(sk["encoder"], ct and ct["encoder"]),
        ),
        (
            "fit overhead = fit - epochs (s)",
            fmt(sk["overhead"]),
            fmt(ct and ct["overhead"]),
            ratio(sk["overhead"], ct and ct["overhead"]),
        ),
        (
            f"fit wall time, {epochs} epoch(s) (s)",
            fmt(sk["fit"]),
            fmt(ct and ct["fit"]),
            ratio(sk["fit"], ct and ct["fit"]),
        ),
        (
            f"sample {n_sample:,} rows (rows/s)",
            fmt(sk["rows_per_s"]),
            fmt(ct and ct["rows_per_s"]),
            ratio(sk["rows_per_s"], ct and ct["rows_per_s"]),
        ),
        ("steps / epoch", fmt(sk["steps"]), fmt(ct and ct["steps"]), ""),
        (
            "encoded width (critic input / pac)",
            fmt(sk["width"]),
            fmt(ct and ct["width"]),
            "",
        ),
    ]
    print_table(rows, ("metric", "skgan", "ctgan", "skgan/ctgan"))
    print("skgan/ctgan: below 1 means skgan is faster for times, above 1 for rows/s.")
    print("per-epoch seconds  skgan: " + ", ".join(f"{s:.3f}" for s in sk["epochs"]))
    if ct is not None:
        print(
            "per-epoch seconds  ctgan: " + ", ".join(f"{s:.3f}" for s in ct["epochs"])
        )

    step_seconds = sk["epoch"] / sk["steps"]
    print()
    print(
        f"skgan training FLOPs (GEMMs only, d={d}, batch={BATCH_SIZE}, pac={PAC}): "
        f"G={flops['G'] / 1e6:.1f} MFLOP generator forward, "
        f"C={flops['C'] / 1e6:.2f} MFLOP critic forward per {BATCH_SIZE} rows"
    )
    print(
        f"  analytic 4G + 12C = {flops['step'] / 1e6:.1f} MFLOP / step; "
        + (
            f"executed mm/addmm = {executed / 1e6:.1f} MFLOP / step"
            if executed
            else f"executed count unavailable ({executed_error})"
        )
    )
    print(
        f"  {step_seconds * 1e3:.2f} ms / step ({sk['steps']} steps / epoch) -> "
        f"achieved {flops['step'] / step_seconds / 1e9:.2f} GFLOP/s"
    )
    print(
        f"float32 torch.matmul on this machine, {threads} thread(s), median GFLOP/s "
        "(x w: forward-equivalents per training step):"
    )
    for (m, k, n, w), rate in matmul.items():
        use = f"x{w}" if w else "reference"
        print(f"  {m:>4} x {k:<3} @ {k:>3} x {n:<3}  {rate:8.2f}   {use}")
    bound = sum(
        w * 2 * m * k * n / (rate * 1e9) for (m, k, n, w), rate in matmul.items()
    )
    print(
        f"  GEMM-bound step time at these rates: {bound * 1e3:.2f} ms "
        f"({flops['step'] / bound / 1e9:.2f} GFLOP/s); measured step is "
        f"{step_seconds / bound:.1f}x that"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
