"""Gaussian mixtures for every continuous column at once, fitted on the device.

Mode-specific normalisation (Xu et al., 2019) describes each continuous
column by a one-dimensional Gaussian mixture. The reference implementation
fits one scikit-learn ``BayesianGaussianMixture`` per column on the CPU, its
slowest phase. Here the EM updates of all columns are batched tensor
operations, so a table of any width costs a few hundred small kernels on
whatever device holds it.

Not wired into the encoder yet (issue "Real tables"). Still missing: choosing
the number of components per column. Plain maximum-likelihood EM keeps all
``max_modes`` components (duplicates share a mode, a unimodal column gets ten
overlapping components); the Bayesian mixture of the reference prunes them
through its Dirichlet-process prior. Batched variational updates of that
prior, or a BIC choice among component counts, are the candidates.

Nothing here knows about tables or pandas: the input is a float tensor of
shape (n_rows, n_columns).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


@dataclass(frozen=True)
class ColumnMixtures:
    """One mixture per column, padded to ``max_modes`` components.

    All tensors have shape (n_columns, max_modes) and live in the original
    units of the data. ``active`` marks the components in use (all of them
    until component selection exists).
    """

    means: torch.Tensor
    stds: torch.Tensor
    weights: torch.Tensor
    active: torch.Tensor

    def log_density(self, x: torch.Tensor) -> torch.Tensor:
        """Log of weight times density of each row under each component.

        ``x`` has shape (n_rows, n_columns); the result (n_rows, n_columns,
        max_modes) has ``-inf`` for pruned components.
        """
        z = (x.unsqueeze(-1) - self.means) / self.stds
        log_weight = torch.where(
            self.active, self.weights.clamp_min(1e-30).log(), -torch.inf
        )
        return log_weight - 0.5 * z * z - self.stds.log() - _LOG_SQRT_2PI

    def most_likely_mode(self, x: torch.Tensor) -> torch.Tensor:
        """Index of the component with the highest posterior, per value."""
        return self.log_density(x).argmax(dim=-1)


def fit_column_mixtures(
    X: torch.Tensor,
    *,
    max_modes: int = 10,
    n_iter: int = 100,
    max_rows: int = 20_000,
    generator: torch.Generator | None = None,
) -> ColumnMixtures:
    """Fit a Gaussian mixture of up to ``max_modes`` components to each column.

    Parameters
    ----------
    X : Tensor of shape (n_rows, n_columns)
        Finite values; float32 or float64, on any device.
    max_modes : int
        Components per column before pruning.
    n_iter : int
        EM iterations. A fixed count: the loop never synchronises with the
        host to test for convergence.
    max_rows : int
        Fit on a random subsample of this many rows when the table is larger.
    generator : torch.Generator, optional
        Random source for the subsample, on the device of ``X``.

    Returns
    -------
    ColumnMixtures
    """
    n_rows, n_columns = X.shape
    device = X.device
    X = X.to(torch.float64 if X.dtype == torch.float64 else torch.float32)
    if n_rows > max_rows:
        rows = torch.randperm(n_rows, device=device, generator=generator)[:max_rows]
        X = X[rows]
        n_rows = max_rows

    # Work in standardised units so one variance floor suits every column.
    center = X.mean(dim=0)
    scale = X.std(dim=0, correction=0)
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    z = (X - center) / scale  # (n, k)

    modes = max(1, min(max_modes, n_rows))
    # Initial means spread over the quantiles of each column; equal weights.
    levels = (torch.arange(modes, device=device, dtype=z.dtype) + 0.5) / modes
    means = torch.quantile(z, levels, dim=0).T.contiguous()  # (k, m)
    variances = torch.full_like(means, 1.0 / modes)
    weights = torch.full_like(means, 1.0 / modes)
    active = torch.ones_like(means, dtype=torch.bool)
    # Distinct values (integers, rounded amounts) would otherwise collapse
    # components onto single points with zero variance.
    floor = 1e-6

    x = z.unsqueeze(-1)  # (n, k, 1)
    for _ in range(n_iter):
        log_weight = torch.where(active, weights.clamp_min(1e-30).log(), -torch.inf)
        log_prob = (
            log_weight
            - 0.5 * (x - means) ** 2 / variances
            - 0.5 * variances.log()
            - _LOG_SQRT_2PI
        )
        resp = torch.softmax(log_prob, dim=-1)  # (n, k, m)
        counts = resp.sum(dim=0)  # (k, m)
        safe = counts.clamp_min(1e-12)
        means = torch.where(active, (resp * x).sum(dim=0) / safe, means)
        variances = torch.where(
            active,
            (resp * (x - means) ** 2).sum(dim=0) / safe + floor,
            variances,
        )
        weights = counts / n_rows

    return ColumnMixtures(
        means=means * scale.unsqueeze(1) + center.unsqueeze(1),
        stds=variances.sqrt() * scale.unsqueeze(1),
        weights=weights,
        active=active,
    )
