"""Condition vectors over categorical columns, on the device.

The CTGAN paper (Xu et al., 2019) trains a conditional generator: each step
picks, for every row of the batch, a categorical column uniformly and one of
its categories with probability proportional to the log of its frequency (so
rare categories are seen often enough), feeds that choice to the generator
as a one-hot condition vector, and shows the critic real rows that have that
category ("training by sampling"). When sampling, categories are drawn at
their real frequencies instead. Everything here is a batched tensor
operation: no Python loop over rows, columns or categories per batch, and no
host synchronisation.

The condition vector concatenates one block per categorical column; a
category's *position* is its index in that vector.
"""

from __future__ import annotations

from typing import NamedTuple

import torch


class Condition(NamedTuple):
    cond: torch.Tensor  # (batch, width) one-hot condition vectors
    column: torch.Tensor  # (batch,) the column each condition fixes
    position: torch.Tensor  # (batch,) the chosen category's position
    rows: torch.Tensor | None  # (batch,) a real row with that category


class ConditionSpace:
    """Draw conditions from category counts (no training rows needed).

    Parameters
    ----------
    n_categories : sequence of int
        Number of categories of each categorical column.
    counts : Tensor of shape (sum(n_categories),)
        How many training rows have each category.
    """

    def __init__(self, n_categories, counts: torch.Tensor):
        device = counts.device
        sizes = torch.tensor(list(n_categories), dtype=torch.long, device=device)
        self.n_columns = len(sizes)
        self.width = int(sizes.sum())
        self.n_categories = sizes  # (c,)
        self.offsets = torch.cumsum(sizes, 0) - sizes  # (c,)
        self.counts = counts
        # Column of every position of the condition vector.
        self.owner = torch.repeat_interleave(
            torch.arange(self.n_columns, device=device), sizes
        )
        # Padded (c, max_k) probability tables for the per-row categorical draw.
        max_k = int(sizes.max()) if self.n_columns else 0
        slot = torch.arange(max_k, device=device)
        valid = slot.unsqueeze(0) < sizes.unsqueeze(1)
        table_index = torch.where(valid, self.offsets.unsqueeze(1) + slot, 0)
        padded = torch.where(valid, counts[table_index], 0).to(torch.float64)
        self._log_freq = _normalise(torch.log1p(padded) * valid)
        self._freq = _normalise(padded)

    def draw(self, batch_size: int, *, log_frequency: bool, rng=None):
        """A random column per row, and a category of it: (column, position)."""
        device = self.offsets.device
        column = torch.randint(
            self.n_columns, (batch_size,), device=device, generator=rng
        )
        table = self._log_freq if log_frequency else self._freq
        category = torch.multinomial(table[column], 1, generator=rng).squeeze(1)
        return column, self.offsets[column] + category

    def one_hot(self, position: torch.Tensor) -> torch.Tensor:
        """Condition vectors with a 1 at each row's ``position``."""
        cond = torch.zeros(len(position), self.width, device=position.device)
        cond[torch.arange(len(position), device=position.device), position] = 1.0
        return cond


class ConditionSampler(ConditionSpace):
    """Training by sampling: conditions, and a real row satisfying each.

    Parameters
    ----------
    codes : LongTensor of shape (n_rows, n_columns)
        The category code (0 .. n_categories[j] - 1) of every row in every
        categorical column, on the training device.
    n_categories : sequence of int
        Number of categories of each column (codes never reach it).
    """

    def __init__(self, codes: torch.Tensor, n_categories):
        counts = category_counts(codes, n_categories)
        super().__init__(n_categories, counts)
        offsets, sizes = self.offsets, self.n_categories
        global_codes = codes.long() + offsets  # (n, c): position in the cond vector
        # Rows sorted by category, per column: a real row of category g of
        # column j is rows_by_category[j][start[g] + u * count[g]].
        order = torch.argsort(global_codes, dim=0, stable=True)  # (n, c)
        self._rows_by_category = order.T.contiguous()  # (c, n)
        # Global start of each category, made relative to its own column
        # (every column's sorted list holds all n rows).
        start = torch.cumsum(counts, 0) - counts
        self._start = start - start[offsets].repeat_interleave(sizes)

    def sample(
        self, batch_size: int, *, log_frequency: bool = True, rng=None, rows=True
    ) -> Condition:
        """Conditions for a batch and, if ``rows``, a matching real row each."""
        column, position = self.draw(batch_size, log_frequency=log_frequency, rng=rng)
        cond = self.one_hot(position)
        real_rows = None
        if rows:
            count = self.counts[position]
            u = torch.rand(batch_size, device=position.device, generator=rng)
            within = (u * count).long().clamp_max(count - 1)
            real_rows = self._rows_by_category[column, self._start[position] + within]
        return Condition(cond, column, position, real_rows)


def category_counts(codes: torch.Tensor, n_categories) -> torch.Tensor:
    """Rows per category, over the condition vector's positions.

    ``codes`` (n_rows, n_columns) holds each row's category code per
    categorical column; columns are laid end to end as in the condition
    vector.
    """
    sizes = torch.tensor(list(n_categories), dtype=torch.long, device=codes.device)
    offsets = torch.cumsum(sizes, 0) - sizes
    return torch.bincount(
        (codes.long() + offsets).flatten(), minlength=int(sizes.sum())
    )


def _normalise(table: torch.Tensor) -> torch.Tensor:
    return table / table.sum(dim=1, keepdim=True).clamp_min(1e-300)
