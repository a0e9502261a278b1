"""TableEncoder: from user columns to the generator's output space and back.

A table becomes one encoded row per input row, a concatenation of spans:

- a continuous column: a tanh span of width 1 (its offset from the mean of
  its most likely Gaussian mode, in units of four standard deviations) and a
  softmax span with the one-hot of that mode (mode-specific normalisation,
  Xu et al., 2019); a column with missing values adds a softmax span of
  width 2 (present, missing);
- a categorical column (and the class label of a class-conditional fit): a
  softmax span, the one-hot of its category (a missing value is a category
  of its own).

The encoded table is kept *compact*: one float per tanh span and one integer
code per softmax span. The one-hot rows the networks see are assembled per
batch (:meth:`EncodedTable.rows`), so memory grows with rows times columns,
not rows times the number of categories: a 10,000-level column costs one
integer per row, not 10,000 floats.

In the encoded row all tanh spans come first (continuous column j's scalar
at position j), then the softmax spans sorted by width, so that the
generator's output head activates each width's spans as one tensor view.

The encoder knows nothing about GANs; the container logic (pandas dtypes,
object arrays) lives in :mod:`skgan._columns`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ._columns import (
    decimals_of,
    describe_columns,
    describe_target,
    preview_levels,
)


@dataclass(frozen=True)
class Span:
    """A contiguous block of the encoded row that shares one activation."""

    start: int
    width: int
    activation: str  # "tanh" or "softmax"


@dataclass(frozen=True)
class OutputLayout:
    """The encoded row as the generator must produce it."""

    spans: tuple

    @property
    def width(self) -> int:
        return sum(span.width for span in self.spans)


class EncodedTable:
    """Training rows on the device, compact: scalars and one code per span.

    Parameters
    ----------
    scalars : Tensor of shape (n_rows, n_tanh), float32
    codes : Tensor of shape (n_rows, n_softmax), int32 or int64
    scalar_positions, span_starts : LongTensor
        Where each scalar and each span starts in the encoded row.
    width : int
        Width of the encoded row.
    """

    def __init__(self, scalars, codes, scalar_positions, span_starts, width):
        self.scalars = scalars
        self.codes = codes
        self.scalar_positions = scalar_positions
        self.span_starts = span_starts
        self.width = width

    @property
    def n_rows(self) -> int:
        return self.scalars.shape[0]

    @property
    def device(self) -> torch.device:
        return self.scalars.device

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        """The encoded rows ``index`` as a dense (len(index), width) tensor."""
        out = torch.zeros(len(index), self.width, device=self.device)
        out[:, self.scalar_positions] = self.scalars[index]
        out.scatter_(1, self.span_starts + self.codes[index].long(), 1.0)
        return out


# Rows decoded at a time by TableEncoder.inverse_transform.
_DECODE_CHUNK = 65_536


class TableEncoder:
    """Encode a mixed-type table for the generator, and decode its output.

    Parameters
    ----------
    categorical_features : "from_dtype", None or array-like
        Which columns are categorical (see :class:`~skgan.GANSampler`).
    max_modes : int
        Most Gaussian modes per continuous column.
    clip : bool
        Clip decoded continuous values to the range seen in ``fit``.
    max_rows : int
        The mixtures are fitted on a random subsample of this many rows.
    continuous : {"mode-specific", "quantile"}
        How continuous columns are encoded: :class:`ModeNormalizer` or
        :class:`QuantileScaler`.
    rounding : bool
        Learn each float column's decimals (:func:`decimals_of`) and round
        decoded values to them.
    """

    def __init__(
        self,
        categorical_features="from_dtype",
        max_modes=10,
        clip=True,
        max_rows=20_000,
        continuous="mode-specific",
        rounding=True,
    ):
        self.categorical_features = categorical_features
        self.continuous = continuous
        self.max_modes = max_modes
        self.clip = clip
        self.max_rows = max_rows
        self.rounding = rounding

    # ------------------------------------------------------------------ fit

    def fit(self, X, y=None, *, device=None, random_state=None):
        """Learn the columns of validated ``X`` (and labels ``y``)."""
        self._fit(X, y, device, random_state)
        return self

    def fit_transform(
        self, X, y=None, *, device=None, random_state=None, mode_state=None
    ):
        """:meth:`fit`, then :meth:`transform` (``mode_state`` is its
        ``random_state``), reading the columns of ``X`` once."""
        values, cat_codes = self._fit(X, y, device, random_state)
        return self._encode(values, cat_codes, mode_state)

    def _fit(self, X, y, device, random_state):
        """Fit; return the extracted blocks for :meth:`_encode`."""
        device = torch.device("cpu") if device is None else device
        rng = np.random.RandomState(random_state)
        self.columns_ = describe_columns(X, self.categorical_features)
        self.target_ = None if y is None else describe_target(y)
        values, cat_codes = self._extract(X, y)
        if self.rounding:
            for j, i in enumerate(self.columns_.continuous):
                info = self.columns_.infos[i]
                if info.time_unit is None and not info.integer:
                    info.decimals = decimals_of(values[:, j])
        missing = np.isnan(values)
        self.has_missing_ = missing.any(axis=0)
        # The observed range of each column (0 for a column with no values).
        present = ~missing.all(axis=0)
        self.min_ = np.zeros(values.shape[1])
        self.max_ = np.zeros(values.shape[1])
        self.min_[present] = np.nanmin(values[:, present], axis=0)
        self.max_[present] = np.nanmax(values[:, present], axis=0)
        self.normalizer_ = None
        if values.shape[1]:
            filled = _impute(values, missing, rng)
            generator = torch.Generator(device=device).manual_seed(
                int(rng.randint(np.iinfo(np.int32).max))
            )
            if self.continuous == "quantile":
                normalizer = QuantileScaler()
            else:
                normalizer = ModeNormalizer(self.max_modes, self.max_rows)
            self.normalizer_ = normalizer.fit(
                torch.as_tensor(filled, device=device), generator=generator
            )
        self._build_layout()
        return values, cat_codes

    def _extract(self, X, y):
        values, codes = self.columns_.extract(X)
        if self.target_ is not None:
            target_codes = self.target_.codes(y)
            codes = np.concatenate([codes, target_codes[:, None]], axis=1)
        return values, codes

    def _build_layout(self):
        """Lay out the encoded row: every tanh span, then softmax spans by width.

        Spans are listed per column first (a continuous column's scalar,
        modes and missing indicator; a categorical column's levels), then
        placed with all tanh spans first and the softmax spans sorted by
        width (stably). The order of the encoded row is internal; this one
        lets :class:`~skgan._networks.OutputHead` activate each width's spans
        as one view instead of gathering them through an index. Softmax spans
        are numbered (their column in the compact codes) in layout order.
        """
        infos = self.columns_.infos
        n_modes = self.normalizer_.n_modes_ if self.normalizer_ is not None else []
        n_scalars = len(self.columns_.continuous)  # one tanh span each
        softmax = []  # (width, role, column), in column order
        n_categories = 0
        continuous = iter(range(n_scalars))
        for info in infos + ([self.target_] if self.target_ is not None else []):
            if info.kind == "continuous":
                j = next(continuous)
                if n_modes[j]:
                    softmax.append((n_modes[j], "mode", j))
                if self.has_missing_[j]:
                    softmax.append((2, "missing", j))
            else:
                softmax.append((info.n_levels, "category", n_categories))
                n_categories += 1
        softmax.sort(key=lambda entry: entry[0])  # stable: column order per width
        spans = [Span(j, 1, "tanh") for j in range(n_scalars)]
        start = n_scalars
        mode_spans, mode_columns, missing_spans = [], [], []
        category_spans = [0] * n_categories
        for number, (width, role, j) in enumerate(softmax):
            spans.append(Span(start, width, "softmax"))
            start += width
            if role == "mode":
                mode_spans.append(number)
                mode_columns.append(j)
            elif role == "missing":
                missing_spans.append((j, number))
            else:
                category_spans[j] = number
        self.layout_ = OutputLayout(tuple(spans))
        # Scalar j (continuous column j) sits at position j.
        self.scalar_positions_ = np.arange(n_scalars, dtype=np.int64)
        self.softmax_spans_ = spans[n_scalars:]
        self.mode_spans_ = np.array(mode_spans, dtype=np.int64)
        self.mode_columns_ = np.array(mode_columns, dtype=np.int64)
        self.missing_spans_ = missing_spans  # (continuous column, span) pairs
        # Every categorical column (the label last), as softmax-span numbers:
        # the columns a condition vector can fix.
        self.category_spans_ = np.array(category_spans, dtype=np.int64)
        self.category_sizes_ = [self.softmax_spans_[s].width for s in category_spans]

    # ----------------------------------------------------------- conditions

    def condition_positions(self) -> np.ndarray:
        """Encoded-row index of every position of the condition vector."""
        return np.concatenate(
            [
                np.arange(s.start, s.start + s.width)
                for s in (self.softmax_spans_[i] for i in self.category_spans_)
            ]
            or [np.zeros(0, dtype=np.int64)]
        )

    def condition_code(self, column, value):
        """(categorical column number, code) of ``column == value``.

        ``column`` is a name (DataFrame fit) or an index (array fit).
        """
        infos = self.columns_.infos
        categorical = self.columns_.categorical
        names = [infos[i].name for i in categorical]
        frame = self.columns_.container == "frame"
        matches = [
            i
            for i, info in enumerate(infos)
            if _same_label(info.name, column, frame, len(infos))
        ]
        if not matches:
            raise ValueError(
                f"conditions names column {column!r}, which the model does not "
                f"have. Categorical columns: {names}."
            )
        i = matches[0]
        if infos[i].kind != "categorical":
            raise ValueError(
                f"conditions can fix categorical columns only, and {column!r} is "
                f"continuous. Categorical columns: {names}."
            )
        code = infos[i].code_of(value)
        if code is None:
            raise ValueError(
                f"Unknown value {value!r} for column {column!r} in conditions. "
                f"Valid values: {preview_levels(infos[i])}."
            )
        return categorical.index(i), code

    def label_codes(self, y, n_samples) -> np.ndarray:
        """Codes of requested labels: one label for all rows, or one per row."""
        labels = np.asarray(y, dtype=object)
        if labels.ndim == 0:
            labels = np.full(n_samples, labels.item(), dtype=object)
        labels = labels.ravel() if labels.ndim == 2 and 1 in labels.shape else labels
        if labels.ndim != 1 or len(labels) != n_samples:
            raise ValueError(
                f"y must be one label or {n_samples} labels (one per row); got "
                f"shape {np.shape(y)}."
            )
        codes = self.target_._codes_of(labels)
        if (codes < 0).any():
            unknown = list(dict.fromkeys(labels[codes < 0].tolist()))[:10]
            raise ValueError(
                f"Unknown labels {unknown} in y. The model knows the classes "
                f"{self.target_.categories.tolist()}."
            )
        return codes

    def describe_codes(self, columns, codes) -> str:
        """``name=value`` for categorical column numbers and codes."""
        infos = [self.columns_.infos[i] for i in self.columns_.categorical]
        if self.target_ is not None:
            infos.append(self.target_)
        parts = []
        for c, code in zip(columns, codes, strict=True):
            info = infos[c]
            value = (
                info.categories[code]
                if code < len(info.categories)
                else info.missing_value
            )
            parts.append(f"{info.name}={value!r}")
        return ", ".join(parts)

    # ------------------------------------------------------------ transform

    def transform(self, X, y=None, random_state=None):
        """Compact encoding: (scalars (n, n_tanh) float64, codes (n, n_softmax)).

        Exact: :meth:`inverse_transform` gives ``X`` back. The scalars are
        not clipped to [-1, 1] here (:meth:`to_device` clips them for
        training). With a ``random_state`` (an int), each value's mode is
        drawn from its posterior over the modes instead of taken as the most
        likely one (see :meth:`ModeNormalizer.transform`); decoding is exact
        either way.
        """
        if (y is None) != (self.target_ is None):
            raise ValueError(
                "The model was fit with y, so y is needed here (and vice versa)."
            )
        return self._encode(*self._extract(X, y), random_state)

    def _encode(self, values, cat_codes, random_state):
        missing = np.isnan(values)
        new_missing = missing.any(axis=0) & ~self.has_missing_
        if new_missing.any():
            names = [
                self.columns_.infos[self.columns_.continuous[j]].name
                for j in np.flatnonzero(new_missing)
            ]
            raise ValueError(
                f"Columns {names} have missing values but had none in the first "
                "fit, so the model cannot represent them. Refit with "
                "warm_start=False on data that includes them."
            )
        n = values.shape[0]
        codes = np.zeros((n, len(self.softmax_spans_)), dtype=np.int64)
        scalars = np.zeros((n, len(self.scalar_positions_)), dtype=np.float64)
        if self.normalizer_ is not None:
            # Missing entries get a typical value: the indicator span says
            # they are missing, and decoding ignores their scalar and mode.
            filled = values
            if self.has_missing_.any():
                filled = np.where(missing, self.normalizer_.fill_values_, values)
            scalar, mode = self.normalizer_.transform(
                torch.as_tensor(filled), random_state=random_state
            )
            scalars[:] = scalar.numpy()
            codes[:, self.mode_spans_] = mode.numpy()[:, self.mode_columns_]
            for j, s in self.missing_spans_:
                codes[:, s] = missing[:, j]
        codes[:, self.category_spans_] = cat_codes
        return scalars, codes

    def to_device(self, scalars, codes, device) -> EncodedTable:
        """The compact encoding as float32/int32 tensors for training."""
        as_index = torch.int32 if self.layout_.width < 2**31 else torch.int64
        starts = [s.start for s in self.softmax_spans_]
        return EncodedTable(
            scalars=torch.as_tensor(
                np.clip(scalars, -1.0, 1.0), dtype=torch.float32
            ).to(device),
            codes=torch.as_tensor(codes).to(device=device, dtype=as_index),
            scalar_positions=torch.tensor(self.scalar_positions_, device=device),
            span_starts=torch.as_tensor(starts, dtype=torch.long, device=device),
            width=self.layout_.width,
        )

    def inverse_transform(self, scalars, codes):
        """Compact encoding back to ``(X, y)`` in the containers of ``fit``.

        ``y`` is None unless the encoder was fit with labels.
        """
        values, cat_codes = self.decode_values(scalars, codes)
        n_x = len(self.columns_.categorical)
        X = self.columns_.restore(values, cat_codes[:, :n_x])
        y = None
        if self.target_ is not None:
            y = self.target_.restore_labels(cat_codes[:, n_x])
        return X, y

    def decode_values(self, scalars, codes):
        """Compact encoding to (continuous values, category codes) arrays.

        ``values`` (n, n_continuous) float64 holds the decoded continuous
        columns (NaN where missing, clipped as ``clip`` says); ``cat_codes``
        (n, n_categorical) the code of every categorical column, the label
        last. What :meth:`_extract` gives for real rows, before the
        containers of ``fit`` are restored.
        """
        n = codes.shape[0]
        values = np.zeros((n, len(self.columns_.continuous)), dtype=np.float64)
        if self.normalizer_ is not None:
            # In chunks of rows: the decoder's temporaries stay bounded
            # whatever the number of rows.
            for start in range(0, n, _DECODE_CHUNK):
                rows = slice(start, start + _DECODE_CHUNK)
                modes = np.zeros(values[rows].shape, dtype=np.int64)
                modes[:, self.mode_columns_] = codes[rows][:, self.mode_spans_]
                values[rows] = self.normalizer_.inverse_transform(
                    torch.as_tensor(scalars[rows]), torch.as_tensor(modes)
                ).numpy()
            if self.clip:
                np.clip(values, self.min_, self.max_, out=values)
            for j, s in self.missing_spans_:
                values[codes[:, s] == 1, j] = np.nan
        return values, codes[:, self.category_spans_]


def _same_label(name, column, frame, n_columns) -> bool:
    if frame:
        try:
            return bool(name == column)
        except (TypeError, ValueError):
            return False
    is_index = isinstance(column, int | np.integer) and not isinstance(column, bool)
    return is_index and -n_columns <= column < n_columns and name == column % n_columns


def _impute(values, missing, rng):
    """Missing entries replaced by random observed values of their column."""
    filled = values.copy()
    for j in np.flatnonzero(missing.any(axis=0)):
        observed = values[~missing[:, j], j]
        donors = observed if len(observed) else np.zeros(1)
        filled[missing[:, j], j] = rng.choice(donors, size=int(missing[:, j].sum()))
    return filled


class ModeNormalizer:
    """Mode-specific normalisation of continuous columns, all columns at once.

    The CTGAN paper's encoding (Xu et al., 2019): each column gets a Gaussian
    mixture (:func:`~skgan._mixture.fit_column_mixtures`, fitted on the
    device of the data); a value is encoded as its most likely mode and a
    scalar, its offset from that mode's mean in units of four standard
    deviations (so mostly in [-1, 1]).

    One addition: a value that holds at least ``POINT_MASS`` of a column's
    rows (the 0 of a capital-gain column, the 40 of hours-per-week, the
    blank pixels of an image) is a *point mode* of its own, decoded to
    exactly that value whatever the scalar. A Gaussian cannot represent such
    a spike: decoded values would scatter around it, and a generator could
    almost never hit it exactly. The mixture is fitted to the other values.

    Modes are numbered per column: point modes first (``0 .. n_points - 1``),
    then the mixture's active components; column ``j`` has ``n_modes_[j]``.
    Encoding and decoding are gathers over all columns together, in float64
    on the CPU, where the fitted parameters are kept; decoding inverts
    encoding exactly.
    """

    POINT_MASS = 0.05
    # The scalar is the offset from the mode's mean in units of WIDTH
    # standard deviations: the paper's 4. (2.5 measured no better on a
    # correlated Gaussian.)
    WIDTH = 4.0
    # Rows per chunk in transform: bounds the (rows, columns, modes) scores.
    CHUNK = 65_536

    def __init__(self, max_modes: int = 10, max_rows: int = 20_000):
        self.max_modes = max_modes
        self.max_rows = max_rows

    def fit(self, X: torch.Tensor, generator=None) -> ModeNormalizer:
        from ._mixture import fit_column_mixtures

        if X.shape[0] > self.max_rows:
            rows = torch.randperm(X.shape[0], device=X.device, generator=generator)
            X = X[rows[: self.max_rows]]
        points, point_active = _point_masses(X, self.POINT_MASS, self.max_modes)
        is_point = _match_points(X, points, point_active) >= 0
        # The EM runs in float32 (about twice as fast on the CPU as float64),
        # on values centred and scaled in float64 first, so that a large
        # offset (amounts near 1e9 that differ by units) loses no precision;
        # points were found on the exact values above.
        # Each column is first divided by a power of two near its largest
        # magnitude, which is exact: the mean and the standard deviation can
        # then neither overflow (squares of values near 1e155 pass float64's
        # range) nor underflow (below 1e-160), and are the same as without
        # it otherwise.
        X = X.double()
        magnitude = X.abs().amax(dim=0)
        unit = torch.where(
            magnitude > 0, torch.exp2(torch.floor(torch.log2(magnitude))), 1.0
        )
        X = X / unit
        center = X.mean(dim=0)
        spread = X.std(dim=0, correction=0)
        mixtures = fit_column_mixtures(
            ((X - center) / torch.where(spread > 0, spread, 1.0)).float(),
            mask=~is_point,
            max_modes=self.max_modes,
            max_rows=self.max_rows,
        )
        center = center * unit
        scale = torch.where(spread > 0, spread * unit, 1.0)
        cpu = torch.device("cpu")
        center, scale = center.to(cpu).unsqueeze(1), scale.to(cpu).unsqueeze(1)
        self.mixtures_ = type(mixtures)(
            means=mixtures.means.to(cpu, torch.float64) * scale + center,
            stds=mixtures.stds.to(cpu, torch.float64) * scale,
            weights=mixtures.weights.to(cpu, torch.float64),
            active=mixtures.active.to(cpu),
        )
        self.points_ = points.to(cpu, torch.float64)
        self.point_active_ = point_active.to(cpu)
        active = self.mixtures_.active
        self.n_points_ = self.point_active_.sum(dim=1)  # (k,)
        self.n_modes_ = (self.n_points_ + active.sum(dim=1)).tolist()
        # Compact index of each padded component (-1 when pruned), and back.
        compact = torch.cumsum(active.long(), dim=1) - 1
        self.compact_ = torch.where(active, compact, -1)
        self.to_padded_ = torch.argsort((~active).long(), dim=1, stable=True)
        # A typical value per column: its commonest point, else the heaviest
        # mixture component's mean.
        heaviest = self.mixtures_.weights.argmax(dim=1, keepdim=True)
        typical = self.mixtures_.means.gather(1, heaviest)[:, 0]
        has_point = self.n_points_ > 0
        self.fill_values_ = torch.where(has_point, self.points_[:, 0], typical).numpy()
        return self

    def transform(self, X: torch.Tensor, random_state=None):
        """(scalar, mode) for every value: two (n_rows, n_columns) tensors.

        By default a value's mode is its most likely one. With
        ``random_state`` (an int) it is drawn from the posterior over the
        column's modes, as the CTGAN paper does: where two modes overlap,
        values near the boundary are split between them, so each mode's
        scalars are smooth bell shapes rather than truncated ones, which is
        easier for a generator to match. Point values keep their point mode.
        """
        mix = self.mixtures_
        rng = None
        if random_state is not None:
            rng = torch.Generator().manual_seed(int(random_state))
        X = X.to("cpu", torch.float64)
        columns = torch.arange(X.shape[1])
        has_mixture = mix.active.any(dim=1)
        scalar = torch.empty_like(X)
        mode = torch.empty(X.shape, dtype=torch.long)
        points_only = bool((~has_mixture).any())
        for start in range(0, X.shape[0], self.CHUNK):
            x = X[start : start + self.CHUNK]
            point = _match_points(x, self.points_, self.point_active_)
            if points_only:
                # Columns made only of points: a new value takes the nearest.
                gap = (x.unsqueeze(-1) - self.points_).abs()
                nearest = torch.where(self.point_active_, gap, torch.inf).argmin(-1)
                point = torch.where((point < 0) & ~has_mixture, nearest, point)
            # (Columns without a mixture, points only, get component 0.)
            padded = mix.choose_modes(x, generator=rng)
            gaussian = (x - mix.means[columns, padded]) / (
                self.WIDTH * mix.stds[columns, padded]
            )
            scalar[start : start + self.CHUNK] = torch.where(point >= 0, 0.0, gaussian)
            mode[start : start + self.CHUNK] = torch.where(
                point >= 0, point, self.n_points_ + self.compact_[columns, padded]
            )
        return scalar, mode

    def inverse_transform(self, scalar: torch.Tensor, mode: torch.Tensor):
        """Values from (scalar, mode); modes out of range are clamped."""
        mix = self.mixtures_
        columns = torch.arange(scalar.shape[1])
        n_modes = torch.tensor(self.n_modes_)
        mode = torch.minimum(mode.long(), n_modes - 1)
        is_point = mode < self.n_points_
        gaussian = (mode - self.n_points_).clamp_min(0)
        padded = self.to_padded_[columns, gaussian]
        value = (
            scalar.double() * self.WIDTH * mix.stds[columns, padded]
            + mix.means[columns, padded]
        )
        point = self.points_[columns, mode.clamp_max(self.points_.shape[1] - 1)]
        return torch.where(is_point, point, value)


class QuantileScaler:
    """One tanh scalar per continuous column, by a quantile-anchored map.

    The column's central 98 % (between its 1 % and 99 % quantiles) fills
    [-0.9, 0.9] linearly, and the tails fill the last tenth on each side up
    to the observed minimum and maximum: outliers cannot squash the bulk,
    and every observed value stays reachable without saturating tanh. No
    modes: the alternative to :class:`ModeNormalizer` for image-like data
    (many columns of bounded intensities), where it trains better. Same
    interface as :class:`ModeNormalizer`, with no mode spans (``n_modes_``
    is 0 for every column).
    """

    TAIL = 0.01
    BULK = 0.9

    def fit(self, X: torch.Tensor, generator=None) -> QuantileScaler:
        X = X.to("cpu", torch.float64).numpy()
        self.min_, self.max_ = X.min(axis=0), X.max(axis=0)
        self.low_, self.high_ = np.quantile(X, [self.TAIL, 1 - self.TAIL], axis=0)
        self.n_modes_ = [0] * X.shape[1]
        self.fill_values_ = np.median(X, axis=0)
        return self

    def transform(self, X: torch.Tensor, random_state=None):
        X = np.clip(X.to("cpu", torch.float64).numpy(), self.min_, self.max_)
        low, high, bulk = self.low_, self.high_, self.BULK
        # A tail branch is used only where its denominator is positive (after
        # clipping, X < low implies min < low); np.where evaluates both.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            middle = np.where(
                high > low, -bulk + 2 * bulk * (X - low) / (high - low), 0.0
            )
            below = -bulk - (1 - bulk) * (low - X) / (low - self.min_)
            above = bulk + (1 - bulk) * (X - high) / (self.max_ - high)
        scalar = np.where(X < low, below, np.where(X > high, above, middle))
        return torch.as_tensor(scalar), torch.zeros(X.shape, dtype=torch.long)

    def inverse_transform(self, scalar: torch.Tensor, mode=None) -> torch.Tensor:
        y = scalar.to(torch.float64).numpy()
        low, high, bulk = self.low_, self.high_, self.BULK
        middle = np.where(high > low, low + (y + bulk) * (high - low) / (2 * bulk), low)
        below = low - (-bulk - y) * (low - self.min_) / (1 - bulk)
        above = high + (y - bulk) * (self.max_ - high) / (1 - bulk)
        X = np.where(y < -bulk, below, np.where(y > bulk, above, middle))
        return torch.as_tensor(np.clip(X, self.min_, self.max_))


def _point_masses(X: torch.Tensor, share: float, limit: int):
    """Values holding at least ``share`` of each column: padded (k, limit).

    Returns the values (commonest first) and a mask of the valid entries.
    One ``unique`` per column: this runs once per fit, not per batch.
    """
    n_rows, n_columns = X.shape
    points = torch.zeros(n_columns, limit, dtype=X.dtype, device=X.device)
    valid = torch.zeros(n_columns, limit, dtype=torch.bool, device=X.device)
    for j in range(n_columns):
        values, counts = torch.unique(X[:, j], return_counts=True)
        frequent = counts >= share * n_rows
        order = torch.argsort(counts[frequent], descending=True, stable=True)[:limit]
        found = values[frequent][order]
        points[j, : len(found)] = found
        valid[j, : len(found)] = True
    return points, valid


def _match_points(X, points, valid) -> torch.Tensor:
    """For each value, the index of the point it equals, or -1.

    One (n, k) comparison per point slot in use (points are stored
    commonest first, so most columns use few slots, often none).
    """
    match = torch.full(X.shape, -1, dtype=torch.long, device=X.device)
    points = points.to(X.dtype)
    for i in reversed(valid.any(dim=0).nonzero().ravel().tolist()):
        match = torch.where((X == points[:, i]) & valid[:, i], i, match)
    return match
