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
        with np.errstate(divide="ignore", invalid="ignore"):
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
