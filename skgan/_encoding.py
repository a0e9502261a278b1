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

    Each column is centred on its median and divided by a robust scale (the
    interquartile range, falling back to the standard deviation, then 1 for a
    constant column), then squashed into (-1, 1) with ``z / (1 + |z|)``. The
    squashing is invertible and keeps resolution in the bulk of the data while
    heavy tails remain reachable by a tanh output. Decoded values are clipped
    to the range observed during ``fit``.
    """

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
        self.center_ = np.median(X, axis=0)
        q25, q75 = np.percentile(X, [25, 75], axis=0)
        scale = q75 - q25
        std = X.std(axis=0)
        scale = np.where(scale > 0, scale, std)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        self.min_ = X.min(axis=0)
        self.max_ = X.max(axis=0)
        self.layout_ = OutputLayout(spans=(Span(0, self.n_features_, "tanh"),))
        return self

    def transform(self, X: np.ndarray, device: torch.device) -> torch.Tensor:
        """Encode ``X`` into a float32 tensor on ``device``."""
        z = (np.asarray(X, dtype=np.float64) - self.center_) / self.scale_
        encoded = z / (1.0 + np.abs(z))
        return torch.as_tensor(encoded, dtype=torch.float32).to(device)

    def inverse_transform(self, encoded: torch.Tensor) -> np.ndarray:
        """Decode generated rows (a tensor) into a float64 ndarray."""
        # Computed in float64 on the host: the chunk is small and float32 would
        # lose digits of large-magnitude columns.
        y = encoded.detach().to("cpu", torch.float64).numpy()
        # Keep |y| < 1 so that the inverse squashing stays finite.
        y = np.clip(y, -1.0 + 1e-7, 1.0 - 1e-7)
        z = y / (1.0 - np.abs(y))
        X = z * self.scale_ + self.center_
        return np.clip(X, self.min_, self.max_)

    def to_container(self, X: np.ndarray):
        """Return decoded rows in the container the encoder was fit on.

        An ndarray in the training float dtype, or a DataFrame with the
        training columns, integer and boolean columns rounded back to their
        dtype.
        """
        if self.columns_ is None:
            return X.astype(self.dtype_, copy=False)
        import pandas as pd

        data = {}
        for j, dtype in enumerate(self.column_dtypes_):
            column = X[:, j]
            if dtype.kind in "iub":
                column = np.rint(column)
            data[j] = column.astype(dtype)
        frame = pd.DataFrame(data)
        frame.columns = self.columns_
        return frame
