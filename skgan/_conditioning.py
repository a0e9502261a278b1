"""ConditionSampler: training-by-sampling over categorical columns, on the device.

The CTGAN paper (Xu et al., 2019) trains a conditional generator: each step
picks, for every row of the batch, a categorical column uniformly and one of
its categories with probability proportional to the log of its frequency (so
rare categories are seen often enough), feeds that choice to the generator
as a one-hot condition vector, and shows the critic real rows that have that
category. Everything here is a batched tensor operation: no Python loop over
rows, columns or categories per batch, and no host synchronisation.

Not yet used by :class:`GANSampler` (issue "Real tables").
"""

from __future__ import annotations

import torch


class ConditionSampler:
    """Draw condition vectors and matching real rows.

    Parameters
    ----------
    codes : LongTensor of shape (n_rows, n_columns)
        The category code (0 .. n_categories[j] - 1) of every row in every
        categorical column, on the training device.
    n_categories : sequence of int
        Number of categories of each column (codes never reach it).
    """

    def __init__(self, codes: torch.Tensor, n_categories):
        device = codes.device
        self.n_rows, self.n_columns = codes.shape
        sizes = torch.tensor(list(n_categories), dtype=torch.long, device=device)
        self.width = int(sizes.sum())
        self.offsets = torch.cumsum(sizes, 0) - sizes  # (c,)
        self.n_categories = sizes
        global_codes = codes + self.offsets  # (n, c): position in the cond vector
        counts = torch.bincount(global_codes.flatten(), minlength=self.width)
        self.frequency = counts.to(torch.float64)
        # Padded (c, max_k) probability tables for the per-row categorical draw.
        max_k = int(sizes.max()) if self.n_columns else 0
        slot = torch.arange(max_k, device=device)
        valid = slot.unsqueeze(0) < sizes.unsqueeze(1)
        table_index = torch.where(valid, self.offsets.unsqueeze(1) + slot, 0)
        padded_counts = torch.where(valid, counts[table_index], 0).to(torch.float64)
        self._valid = valid
        self._log_freq = _normalise(torch.log1p(padded_counts) * valid)
        self._freq = _normalise(padded_counts)
        # Rows sorted by category, per column: a real row of category g of
        # column j is rows_by_category[j][start[g] + u * count[g]].
        order = torch.argsort(global_codes, dim=0, stable=True)  # (n, c)
        self._rows_by_category = order.T.contiguous()  # (c, n)
        # Global start of each category, made relative to its own column
        # (every column's sorted list holds all n rows).
        start = torch.cumsum(counts, 0) - counts
        self._start = start - start[self.offsets].repeat_interleave(sizes)
        self._count = counts

    def sample(self, batch_size: int, *, log_frequency: bool = True, rng=None):
        """Conditions for a batch, and a real row satisfying each one.

        Returns
        -------
        cond : Tensor of shape (batch_size, width)
            One-hot condition vectors (one category of one column each).
        column : LongTensor of shape (batch_size,)
            The column each condition fixes.
        rows : LongTensor of shape (batch_size,)
            For each condition, a random training row with that category.
        """
        device = self.offsets.device
        column = torch.randint(
            self.n_columns, (batch_size,), device=device, generator=rng
        )
        table = self._log_freq if log_frequency else self._freq
        category = torch.multinomial(table[column], 1, generator=rng).squeeze(1)
        position = self.offsets[column] + category
        cond = torch.zeros(batch_size, self.width, device=device)
        cond[torch.arange(batch_size, device=device), position] = 1.0
        u = torch.rand(batch_size, device=device, generator=rng)
        within = (u * self._count[position]).long().clamp_max(self._count[position] - 1)
        rows = self._rows_by_category[column, self._start[position] + within]
        return cond, column, rows


def _normalise(table: torch.Tensor) -> torch.Tensor:
    return table / table.sum(dim=1, keepdim=True).clamp_min(1e-300)
