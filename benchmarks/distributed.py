#!/usr/bin/env python
"""Data-parallel training: time per step against the number of processes.

Run from the repository root::

    python benchmarks/distributed.py                    # 1 and 2 processes, CPU
    python benchmarks/distributed.py --procs 1,2,4 --device cuda   # one GPU each
    python benchmarks/distributed.py --device cuda --backend gloo  # one shared GPU
    python benchmarks/distributed.py --smoke            # seconds (CI)

For every process count N it launches ``torchrun --standalone
--nproc_per_node=N`` on this file (``--worker``). Each process takes an
N-th of the Adult sample (``skgan.datasets.load_adult()``, 15 columns,
income as ``y``) and fits ``GANSampler(batch_size=B)`` for ``--epochs``
epochs, so the global batch is ``N * B`` and an epoch ``ceil(rows / (N *
B))`` steps. Rank 0 reports the median seconds per step over the epochs
after the first, and the share of them spent in torch.distributed
collectives (gradient all-reduce, the real rows' all-gather, the epoch's
agreement), timed around each call with the device synchronised, over the
training epochs' time. N = 1 is
the ordinary single-process fit, the reference. Rows per second are the
global batch over the step time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def worker(args):
    import numpy as np
    import torch
    import torch.distributed as dist

    from skgan import GANSampler
    from skgan.datasets import load_adult

    if "RANK" in os.environ:
        backend = args.backend
        if backend == "auto":
            backend = "nccl" if args.device == "cuda" else "gloo"
        dist.init_process_group(backend)
    rank = dist.get_rank() if dist.is_initialized() else 0
    world = dist.get_world_size() if dist.is_initialized() else 1
    X, y = load_adult(return_X_y=True, as_frame=True)
    n_rows = len(X)
    shard = slice(rank * len(X) // world, (rank + 1) * len(X) // world)
    X, y = X.iloc[shard], y.iloc[shard]

    spent = [0.0]
    cuda = args.device == "cuda"
    for name in ("all_reduce", "all_gather", "broadcast"):
        original = getattr(dist, name)

        def timed(*a, _original=original, **k):
            if cuda:
                torch.cuda.synchronize()
            start = time.perf_counter()
            result = _original(*a, **k)
            if cuda:
                torch.cuda.synchronize()
            spent[0] += time.perf_counter() - start
            return result

        setattr(dist, name, timed)
    gan = GANSampler(
        epochs=args.epochs,
        batch_size=args.batch_size,
        device=args.device,
        random_state=0,
    )
    start = time.perf_counter()
    gan.fit(X, y)
    wall = time.perf_counter() - start
    steps = -(-n_rows // (gan.batch_size_ * world))
    seconds = [h["seconds"] for h in gan.history_[1:]] or [gan.history_[0]["seconds"]]
    if rank == 0:
        result = dict(
            procs=world,
            steps_per_epoch=steps,
            ms_per_step=1e3 * float(np.median(seconds)) / steps,
            collective_share=spent[0] / sum(h["seconds"] for h in gan.history_),
            global_batch=gan.batch_size_ * world,
            wall_s=wall,
        )
        with open(args.out, "w") as f:
            json.dump(result, f)
    if dist.is_initialized():
        dist.destroy_process_group()
        # Skip the interpreter's finalisation, which torch's gloo threads
        # can abort (see the user guide's data-parallel section).
        sys.stdout.flush()
        os._exit(0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", default="1,2", help="comma-separated counts")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=500, help="per process")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="per process")
    parser.add_argument(
        "--backend",
        choices=("auto", "gloo", "nccl"),
        default="auto",
        help="auto: nccl with --device cuda, else gloo; gloo lets several "
        "processes share one GPU",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny run (CI)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    if args.smoke:
        args.procs, args.epochs = "1,2", 2
    print(
        f"{'procs':>5}  {'global batch':>12}  {'steps/epoch':>11}  {'ms/step':>8}  "
        f"{'rows/s':>9}  {'collectives':>11}  {'speed-up':>8}"
    )
    reference = None
    for procs in (int(p) for p in args.procs.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            out = os.path.join(folder, "result.json")
            command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
            command += [f"--nproc_per_node={procs}", os.path.abspath(__file__)]
            command += ["--worker", "--out", out, "--device", args.device]
            command += ["--backend", args.backend]
            command += ["--epochs", str(args.epochs)]
            command += ["--batch-size", str(args.batch_size)]
            env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            if done.returncode:
                sys.exit(f"torchrun failed:\n{done.stdout}{done.stderr}")
            with open(out) as f:
                r = json.load(f)
        rows = r["global_batch"] / (r["ms_per_step"] / 1e3)
        reference = reference or rows
        print(
            f"{r['procs']:>5}  {r['global_batch']:>12,}  {r['steps_per_epoch']:>11}  "
            f"{r['ms_per_step']:>8.1f}  {rows:>9,.0f}  "
            f"{100 * r['collective_share']:>10.1f}%  {rows / reference:>7.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
