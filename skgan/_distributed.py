"""Data-parallel training on a torch.distributed process group (torchrun).

When ``fit`` runs in every process of an initialised process group (the
script launched by ``torchrun --nproc_per_node=N``), each process passes its
own shard of the rows and the processes train one model together:

* the encoder is fitted once, by rank 0, on a shared sample of the rows
  (:meth:`DataParallel.shared_sample`) and sent to every rank;
* the networks start from rank 0's weights, every rank draws its own
  batches and noise, and the gradients are averaged over the ranks before
  every optimizer step (one all-reduce of the flattened gradients), so the
  weights stay identical;
* every critic step, the ranks pool their real rows and each takes a random
  share (:meth:`DataParallel.mixer`), so that packs mix the shards;
* errors before training are agreed (:func:`together`): every rank raises;
* once per epoch one all-reduce averages the losses and agrees on whether a
  rank diverged or was interrupted, and the generator's batch-norm
  statistics are averaged;
* the training length is counted in the table's total rows: an epoch is
  ``ceil(total rows / (batch_size * world size))`` steps.

Collectives use the group's backend (gloo on CPU tensors, NCCL on CUDA).
"""

from __future__ import annotations

import numbers
import os

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

# The shared sample the encoder is fitted on: about this many random rows in
# all (the mixtures use at most 20,000), plus the rows that show each
# column's extremes, levels and decimals.
SHARED_ROWS = 50_000


def active_group() -> bool:
    """Whether this process is one of several in an initialised group."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int | None:
    """This process's rank in the initialised group, or None."""
    return dist.get_rank() if active_group() else None


def data_parallel(setting) -> DataParallel | None:
    """The group of a fit for the ``data_parallel`` parameter, or None."""
    if setting is True and not (dist.is_available() and dist.is_initialized()):
        raise ValueError(
            "data_parallel=True needs an initialised torch.distributed process "
            "group: launch the script with torchrun (or call "
            "torch.distributed.init_process_group first), or use "
            "data_parallel='auto'."
        )
    if setting is False or not active_group():
        return None
    return DataParallel()


def together(group, function, *args, **kwargs):
    """``function(*args, **kwargs)``; with a group, on every rank together.

    When it raises on any rank, it raises on every rank (the others with a
    RuntimeError naming the rank), instead of leaving them waiting in the
    next collective.
    """
    if group is None:
        return function(*args, **kwargs)
    try:
        result, error = function(*args, **kwargs), None
    except Exception as exc:  # re-raised below, on this rank and the others
        result, error = None, exc
    failed = group.failed_ranks(error is not None)
    if error is not None:
        raise error
    if failed:
        raise RuntimeError(
            f"Data-parallel fit: rank(s) {failed} failed (the error is in their "
            "output); every rank stops."
        )
    return result


class DataParallel:
    """The collectives of one data-parallel fit."""

    def __init__(self):
        self.rank = dist.get_rank()
        self.world = dist.get_world_size()
        if dist.get_backend() == "nccl":  # NCCL moves CUDA tensors only
            self.device = local_cuda_device()
        else:
            self.device = torch.device("cpu")

    def training_device(self, device: torch.device) -> torch.device:
        """``device``, with this process's GPU where it names no index."""
        if device.type == "cuda" and device.index is None:
            return local_cuda_device()
        return device

    # ----------------------------------------------------------- the data

    def per_rank(self, value: float) -> list:
        """Every rank's ``value``, in rank order (one all-reduce)."""
        values = torch.zeros(self.world, dtype=torch.float64, device=self.device)
        values[self.rank] = value
        dist.all_reduce(values)
        return values.tolist()

    def total(self, n: int) -> tuple[int, int]:
        """(sum, min) of ``n`` over the ranks."""
        sizes = [int(size) for size in self.per_rank(n)]
        return sum(sizes), min(sizes)

    def shared_sample(self, X, y, n_total: int, seed: int):
        """Rank 0 gets every rank's ``(X, y)`` sample, a list (others None).

        ``X`` is a validated DataFrame or ndarray, ``y`` the checked labels
        or None; the sample comes in the same containers. Each rank sends a
        random share of its rows proportional to its size (``SHARED_ROWS`` in
        all) and its witness rows (:func:`witness_rows`): those holding each
        column's minimum and maximum, a missing value, every category, the
        most decimals. The encoder fitted on the samples then knows every
        level and the range of every column, as one fitted on all the rows
        would.
        """
        rng = np.random.RandomState(seed)
        n = X.shape[0]
        take = min(n, int(np.ceil(SHARED_ROWS * n / max(n_total, 1))))
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        rows = np.union1d(rng.choice(n, take, replace=False), witness_rows(frame, y))
        part = (_take(X, rows), None if y is None else _take(y, rows))
        parts = [None] * self.world if self.rank == 0 else None
        dist.gather_object(part, parts, dst=0)
        return parts

    def broadcast(self, obj):
        """Rank 0's ``obj`` on every rank."""
        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def failed_ranks(self, failed: bool) -> list:
        """The ranks where ``failed`` is true (every rank gets the list)."""
        return [r for r, flag in enumerate(self.per_rank(float(failed))) if flag]

    def fit_encoder(self, encoder, X, y, n_total, device, seed):
        """``encoder`` fitted by rank 0 on :meth:`shared_sample`, on every rank."""
        parts = self.shared_sample(X, y, n_total, seed + self.rank)
        error = None
        if self.rank == 0:
            try:
                _check_same_columns(parts)
                sample = (
                    None if p[0] is None else _concat(list(p))
                    for p in zip(*parts, strict=True)
                )
                encoder.fit(*sample, device=device, random_state=seed)
            except Exception as exc:  # sent to the other ranks, raised here
                error = exc
        fitted = self.broadcast(encoder if error is None else repr(error))
        if error is not None:
            raise error
        if isinstance(fitted, str):
            raise RuntimeError(
                f"Data-parallel fit: rank 0 failed to fit the encoder: {fitted}"
            )
        return fitted

    def epoch_end(self, losses: torch.Tensor, finite, interrupted: bool, modules):
        """Agree at an epoch's end: ``(d_loss, g_loss)`` averaged over the
        ranks, whether every rank's weights are finite, whether any rank was
        interrupted; the modules' batch-norm statistics averaged."""
        flags = torch.stack([finite.to(losses.dtype), losses.new_tensor(interrupted)])
        summary = self.mean(torch.cat([losses, flags]))
        self.average_buffers(modules)
        d_loss, g_loss, finite, interrupted = summary.tolist()
        return d_loss, g_loss, finite == 1.0, interrupted > 0.0

    # ------------------------------------------------------- the networks

    def broadcast_modules(self, modules) -> None:
        """Every rank takes rank 0's weights and buffers."""
        tensors = [t for m in modules for t in m.state_dict().values()]
        floats = [t for t in tensors if t.is_floating_point()]
        self._in_place(floats, lambda flat: dist.broadcast(flat, src=0))

    def average_buffers(self, modules) -> None:
        """Average the floating-point buffers (batch-norm statistics)."""
        buffers = [b for m in modules for b in m.buffers() if b.is_floating_point()]
        self._in_place(buffers, self._mean)

    def average_gradients(self, optimizers) -> None:
        """Make every ``optimizer.step()`` first average the gradients."""

        def before_step(optimizer, args, kwargs):
            params = [p for g in optimizer.param_groups for p in g["params"]]
            for p in params:
                if p.grad is None:  # unused this step on every rank
                    p.grad = torch.zeros_like(p)
            self._in_place([p.grad for p in params], self._mean)

        for optimizer in optimizers:
            optimizer.register_step_pre_hook(before_step)

    def mixer(self, seed: int, device: torch.device):
        """The ``mix`` of :func:`~skgan._training.train_epoch`: every critic
        step, the ranks pool their real rows (with their conditions) and
        each takes a random share of the pool.

        Without it, a pack of ``pac`` real rows would hold rows of one shard
        only; shards that differ (rows split by date or by a sorted column)
        would give the critic real packs that no generated pack can look
        like. The shares come from one permutation, drawn from a generator
        seeded alike on every rank.
        """
        shared = torch.Generator(device=device).manual_seed(self.broadcast(seed))

        def mix(real, condition):
            parts = [real.float()]
            if condition is not None:  # category positions: exact in float32
                parts += [condition.column[:, None], condition.position[:, None]]
            mine = torch.cat([p.to(torch.float32) for p in parts], dim=1)
            pool = [torch.empty_like(mine) for _ in range(self.world)]
            dist.all_gather(pool, mine.to(self.device))
            pool = torch.cat(pool).to(device)
            order = torch.randperm(pool.shape[0], device=device, generator=shared)
            n = real.shape[0]
            share = pool[order[self.rank * n : (self.rank + 1) * n]]
            real = share[:, : real.shape[1]].to(real.dtype)
            if condition is not None:
                column, position = share[:, -2].long(), share[:, -1].long()
                # ``rows`` (this rank's row indices) is not used after the
                # critic batch is taken; it is kept only to fill the tuple.
                condition = type(condition)(column, position, condition.rows)
            return real, condition

        return mix

    def sum(self, values: torch.Tensor) -> torch.Tensor:
        """The sum over the ranks of a tensor (a new tensor)."""
        out = values.to(self.device, copy=True)
        dist.all_reduce(out)
        return out.to(values.device)

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        """The mean over the ranks of a float tensor (a new tensor)."""
        return self.sum(values) / self.world

    # ------------------------------------------------------------ helpers

    def _mean(self, flat: torch.Tensor) -> None:
        dist.all_reduce(flat)
        flat /= self.world

    def _in_place(self, tensors, collective) -> None:
        """Run ``collective`` on the tensors flattened, and copy back."""
        if not tensors:
            return
        flat = _flatten_dense_tensors(tensors)
        moved = flat.to(self.device)
        collective(moved)
        flat = moved.to(flat.device)
        for tensor, value in zip(
            tensors, _unflatten_dense_tensors(flat, tensors), strict=True
        ):
            tensor.copy_(value)


def local_cuda_device() -> torch.device:
    """The GPU of this process under torchrun (``LOCAL_RANK``)."""
    local = int(os.environ.get("LOCAL_RANK", torch.cuda.current_device()))
    return torch.device("cuda", local % torch.cuda.device_count())


def _take(data, rows):
    return data.iloc[rows] if hasattr(data, "iloc") else data[rows]


def _check_same_columns(parts):
    """Every rank's rows must have rank 0's columns (and labels or none)."""

    def columns(X):
        if isinstance(X, pd.DataFrame):
            return [(str(c), str(t)) for c, t in X.dtypes.items()]
        return [("array", X.shape[1], X.dtype.kind)]

    first = columns(parts[0][0])
    for rank, (X, y) in enumerate(parts):
        if columns(X) != first:
            raise ValueError(
                f"Data-parallel fit: every rank must pass the same columns; "
                f"rank 0 has {first}, rank {rank} has {columns(X)}."
            )
        if (y is None) != (parts[0][1] is None):
            raise ValueError(
                "Data-parallel fit: y must be given on every rank or on none."
            )


def _concat(parts):
    if hasattr(parts[0], "iloc"):
        return pd.concat(parts, ignore_index=True)
    return np.concatenate(parts)


def witness_rows(X: pd.DataFrame, y=None) -> np.ndarray:
    """Rows that show every table-wide fact of ``X`` an encoder learns.

    For each column: a row with a missing value; for a numeric column (and
    an object column of numbers) the rows of its minimum and maximum, a row
    that needs the most decimals and one that is not a whole number; for a
    time column the rows that give its time step; for any other column a
    row of every distinct value (and so for ``y``). Sorted, no repeats.
    """
    rows = set()
    columns = [X.iloc[:, i] for i in range(X.shape[1])]
    if y is not None:
        columns.append(pd.Series(np.asarray(y, dtype=object)))
    for column in columns:
        column = column.reset_index(drop=True)
        missing = column.isna().to_numpy()
        if missing.any():
            rows.add(int(np.argmax(missing)))
        if missing.all():
            continue
        dtype = column.dtype
        kind = getattr(dtype, "kind", "O")
        if isinstance(dtype, pd.CategoricalDtype | pd.StringDtype):
            kind = "O"
        if kind in "mM":
            rows.update(_time_witnesses(column, missing))
            continue
        values = None
        if kind in "iufb":
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        elif pd.api.types.infer_dtype(column, skipna=True) in _NUMBERS:
            values = pd.to_numeric(column, errors="coerce").to_numpy(np.float64)
            whole = column.map(lambda v: isinstance(v, numbers.Integral)).to_numpy()
            if (~whole & ~missing).any():
                rows.add(int(np.argmax(~whole & ~missing)))
        if values is None:  # categories: every distinct value (typed)
            present = np.flatnonzero(~missing)
            keys = np.empty(len(present), dtype=object)
            keys[:] = [(type(v).__name__, v) for v in column.to_numpy(object)[present]]
            codes = pd.factorize(keys)[0]
            rows.update(int(i) for i in present[np.unique(codes, return_index=True)[1]])
            continue
        finite = np.isfinite(values)
        if not finite.any():
            continue
        rows.update((int(np.nanargmin(values)), int(np.nanargmax(values))))
        for d in range(15, -1, -1):  # the first row that needs more than d
            wider = finite & (np.round(values, d) != values)
            if wider.any():
                rows.add(int(np.argmax(wider)))
                break
    return np.array(sorted(rows), dtype=np.int64)


_NUMBERS = ("integer", "floating", "mixed-integer-float", "decimal")


def _time_witnesses(column, missing):
    """The first and last times, and rows whose gaps from the first give
    the greatest common divisor of every gap (the time step)."""
    ints = np.asarray(column.array.asi8)
    present = np.flatnonzero(~missing)
    values = ints[present]
    first = present[np.argmin(values)]
    rows = {int(first), int(present[np.argmax(values)])}
    gaps = values - values.min()
    step = int(np.gcd.reduce(gaps)) if len(gaps) else 0
    g = 0
    while g != step:  # at most 63 rounds: each halves g or more
        i = int(np.argmax(gaps % g != 0)) if g else int(np.argmax(gaps != 0))
        rows.add(int(present[i]))
        g = int(np.gcd(g, int(gaps[i])))
    return rows
