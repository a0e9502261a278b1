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
    column: torch.Tensor  # (batch,) the column each condition fixes
    # (batch,) the chosen category's position: where the row's one-hot
    # condition vector has its 1 (the networks take conditions as positions).
    position: torch.Tensor
    rows: torch.Tensor  # (batch,) a real row with that category


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
        # Inverse-CDF tables over the whole condition vector: each column's
        # cumulative probabilities, plus the column's index, so one sorted
        # sequence holds them all (column j's lie in [j, j + 1]).
        weights = counts.to(torch.float64)
        self._log_cdf = self._stacked_cdf(torch.log1p(weights))
        self._cdf = self._stacked_cdf(weights)
        # The last category of each column with a positive probability.
        last = self.offsets + sizes - 1
        positive = torch.nonzero(weights > 0).ravel()
        self._last = last.scatter_reduce(
            0, self.owner[positive], positive, "amax", include_self=False
        )

    def _stacked_cdf(self, weights: torch.Tensor) -> torch.Tensor:
        running = torch.cumsum(weights, 0)
        before = running[self.offsets] - weights[self.offsets]
        running = running - before[self.owner]  # cumulative within each column
        # Divided by the column's own last value, which becomes exactly 1:
        # column j's values lie in [j, j + 1] and end at j + 1.
        total = running[self.offsets + self.n_categories - 1].clamp_min(1e-300)
        return running / total[self.owner] + self.owner.to(weights.dtype)

    def draw(self, batch_size: int, *, log_frequency: bool, rng=None):
        """A random column per row, and a category of it: (column, position).

        The category is drawn by inverse CDF: one uniform number per row and
        a binary search (``torch.multinomial`` over a gathered probability
        table cost 570 µs for 500 rows of Adult, against 36 µs).
        """
        device = self.offsets.device
        column = torch.randint(
            self.n_columns, (batch_size,), device=device, generator=rng
        )
        cdf = self._log_cdf if log_frequency else self._cdf
        u = torch.rand(batch_size, dtype=torch.float64, device=device, generator=rng)
        position = torch.searchsorted(cdf, column + u, right=True)
        # column + u rounds up to column + 1 for u within 1e-16 of 1.
        position = torch.minimum(position, self._last[column])
        return column, position


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
        self, batch_size: int, *, log_frequency: bool = True, rng=None
    ) -> Condition:
        """Conditions for a batch and a matching real row each."""
        column, position = self.draw(batch_size, log_frequency=log_frequency, rng=rng)
        count = self.counts[position]
        u = torch.rand(batch_size, device=position.device, generator=rng)
        within = (u * count).long().clamp_max(count - 1)
        real_rows = self._rows_by_category[column, self._start[position] + within]
        return Condition(column, position, real_rows)


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
