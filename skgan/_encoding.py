"""TableEncoder: from user columns to the generator's output space and back.

For now every column is continuous and gets a robust per-column scaling into
the tanh range; mode-specific normalisation and categorical columns follow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Span:
    """A contiguous block of the encoded row that shares one activation."""

    start: int
    width: int
    activation: str  # "tanh" for now; "softmax" once categorical columns arrive


@dataclass(frozen=True)
class OutputLayout:
    """The encoded row as the generator must produce it."""

    spans: tuple

    @property
    def width(self) -> int:
        return sum(span.width for span in self.spans)


class TableEncoder:
    """Encode a numeric table into [-1, 1] and decode generated rows back.

    Each column is scaled by a monotone piecewise-linear map anchored on its
    quantiles: the central ``1 - 2 * TAIL`` of the values (between the
    ``TAIL`` and ``1 - TAIL`` quantiles) fills [-0.9, 0.9] linearly, and
    the tails beyond them fill the last tenth on each side up to the observed
    minimum and maximum. Outliers therefore cannot squash the bulk of a
    column into a sliver of the range, yet every observed value remains
    reachable by a tanh output without saturating it. Decoding inverts the map;
    generated values beyond the observed range are clipped to it.
    """

    TAIL = 0.01
    BULK = 0.9

    def fit(self, X: np.ndarray, frame=None) -> TableEncoder:
        """Learn the scaling of validated float array ``X``.

        ``frame`` is the user's DataFrame when ``X`` came from one: its column
        names and dtypes are recorded so that decoded rows come back as a
        DataFrame of the same shape and dtypes.
        """
        self.dtype_ = np.asarray(X).dtype
        X = np.asarray(X, dtype=np.float64)
        self.n_features_ = X.shape[1]
        self.columns_ = None if frame is None else frame.columns
        self.column_dtypes_ = None if frame is None else list(frame.dtypes)
        self.min_ = X.min(axis=0)
        self.max_ = X.max(axis=0)
        self.low_, self.high_ = np.quantile(X, [self.TAIL, 1 - self.TAIL], axis=0)
        self.layout_ = OutputLayout(spans=(Span(0, self.n_features_, "tanh"),))
        return self

    def transform(self, X: np.ndarray, device: torch.device) -> torch.Tensor:
        """Encode ``X`` into a float32 tensor on ``device``."""
        # Rows seen by a warm-start fit may leave the first fit's range; the
        # encoding (and so what can be generated) stays that range.
        X = np.clip(np.asarray(X, dtype=np.float64), self.min_, self.max_)
        low, high, bulk = self.low_, self.high_, self.BULK
        # A tail branch is used only where its denominator is positive (after
        # clipping, X < low implies min < low); np.where evaluates both.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            middle = np.where(
                high > low, -bulk + 2 * bulk * (X - low) / (high - low), 0.0
            )
            below = -bulk - (1 - bulk) * (low - X) / (low - self.min_)
            above = bulk + (1 - bulk) * (X - high) / (self.max_ - high)
        encoded = np.where(X < low, below, np.where(X > high, above, middle))
        return torch.as_tensor(encoded, dtype=torch.float32).to(device)

    def inverse_transform(self, encoded: torch.Tensor) -> np.ndarray:
        """Decode generated rows (a tensor) into a float64 ndarray."""
        # Computed in float64 on the host: the chunk is small and float32 would
        # lose digits of large-magnitude columns.
        y = encoded.detach().to("cpu", torch.float64).numpy()
        low, high, bulk = self.low_, self.high_, self.BULK
        middle = np.where(high > low, low + (y + bulk) * (high - low) / (2 * bulk), low)
        below = low - (-bulk - y) * (low - self.min_) / (1 - bulk)
        above = high + (y - bulk) * (self.max_ - high) / (1 - bulk)
        X = np.where(y < -bulk, below, np.where(y > bulk, above, middle))
        return np.clip(X, self.min_, self.max_)

    def empty_output(self, n_rows: int) -> np.ndarray:
        """The buffer ``sample`` fills chunk by chunk before ``to_container``."""
        dtype = self.dtype_ if self.columns_ is None else np.float64
        return np.empty((n_rows, self.n_features_), dtype=dtype)

    def to_container(self, X: np.ndarray):
        """Return decoded rows in the container the encoder was fit on.

        An ndarray in the training float dtype, or a DataFrame with the
        training columns, integer and boolean columns rounded back to their
        dtype.
        """
        if self.columns_ is None:
            return X.astype(self.dtype_, copy=False)
        import pandas as pd
        from pandas.api.types import is_bool_dtype, is_integer_dtype

        data = {}
        for j, dtype in enumerate(self.column_dtypes_):
            column = X[:, j]
            if is_integer_dtype(dtype) or is_bool_dtype(dtype):
                column = np.rint(column)
            # Through pandas, so nullable dtypes (Int64, boolean) work too.
            data[j] = pd.Series(column).astype(dtype)
        frame = pd.DataFrame(data)
        frame.columns = self.columns_
        return frame


class ModeNormalizer:
    """Mode-specific normalisation of continuous columns, all columns at once.

    The CTGAN paper's encoding (Xu et al., 2019): each column gets a Gaussian
    mixture (:func:`~skgan._mixture.fit_column_mixtures`); a value is encoded
    as the one-hot indicator of its most likely mode and a scalar, its offset
    from that mode's mean in units of four standard deviations (so mostly in
    [-1, 1]). Per column the encoded block is ``[scalar, one-hot of modes]``,
    published as a tanh span and a softmax span. Encoding and decoding are
    gathers and scatters over all columns together; decoding inverts encoding
    exactly (the scalar is not clipped here: the generator's tanh bounds what
    it can produce).

    Not yet used by :class:`GANSampler` (issue "Real tables").
    """

    def __init__(self, max_modes: int = 10, max_rows: int = 20_000):
        self.max_modes = max_modes
        self.max_rows = max_rows

    def fit(self, X: torch.Tensor, generator=None) -> ModeNormalizer:
        from ._mixture import fit_column_mixtures

        self.mixtures_ = fit_column_mixtures(
            X, max_modes=self.max_modes, max_rows=self.max_rows, generator=generator
        )
        active = self.mixtures_.active
        device = active.device
        # The one host read of the fit: the layout has Python-sized spans.
        n_modes = active.sum(dim=1).tolist()
        starts, spans = [], []
        for m in n_modes:
            start = spans[-1].start + spans[-1].width if spans else 0
            starts.append(start)
            spans += [Span(start, 1, "tanh"), Span(start + 1, m, "softmax")]
        self.spans_ = tuple(spans)
        self.width_ = sum(span.width for span in spans)
        self.scalar_index_ = torch.tensor(starts, device=device)  # (k,)
        # Position of each padded component inside its column's one-hot block
        # (-1 for pruned components), and the way back: a stable sort that
        # puts the active components first lists their padded indices in order.
        compact = torch.cumsum(active.long(), dim=1) - 1
        self.compact_ = torch.where(active, compact, -1)  # (k, padded)
        self.to_padded_ = torch.argsort((~active).long(), dim=1, stable=True)
        # For decoding, the encoded positions of every (column, compact slot),
        # padded slots pointing at the column's first mode slot.
        slots = torch.arange(active.shape[1], device=device)
        valid = slots < active.sum(dim=1, keepdim=True)
        self.slot_valid_ = valid
        self.slot_index_ = (
            self.scalar_index_.unsqueeze(1) + 1 + torch.where(valid, slots, 0)
        )
        return self

    def transform(self, X: torch.Tensor) -> torch.Tensor:
        """Encode (n_rows, n_columns) into (n_rows, width_)."""
        mix = self.mixtures_
        X = X.to(mix.means.dtype)
        mode = mix.most_likely_mode(X)  # padded index, (n, k)
        columns = torch.arange(X.shape[1], device=X.device)
        mean = mix.means[columns, mode]
        std = mix.stds[columns, mode]
        out = torch.zeros(X.shape[0], self.width_, dtype=X.dtype, device=X.device)
        out[:, self.scalar_index_] = (X - mean) / (4 * std)
        hot = self.scalar_index_ + 1 + self.compact_[columns, mode]
        out.scatter_(1, hot, 1.0)
        return out

    def inverse_transform(self, encoded: torch.Tensor) -> torch.Tensor:
        """Decode (n_rows, width_) back into (n_rows, n_columns)."""
        mix = self.mixtures_
        encoded = encoded.to(mix.means.dtype)
        scores = encoded[:, self.slot_index_]  # (n, k, padded)
        scores = torch.where(self.slot_valid_, scores, -torch.inf)
        compact = scores.argmax(dim=-1)  # (n, k)
        columns = torch.arange(compact.shape[1], device=encoded.device)
        mode = self.to_padded_[columns, compact]
        scalar = encoded[:, self.scalar_index_]
        return scalar * 4 * mix.stds[columns, mode] + mix.means[columns, mode]
