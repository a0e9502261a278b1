"""Pure torch modules: the generator, the discriminator and the output head.

Nothing here knows about scikit-learn, pandas or user arrays; modules are
built from sizes and an :class:`~skgan._encoding.OutputLayout`.
"""

from __future__ import annotations

import contextlib
import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn


class OneHot(NamedTuple):
    """A block of one-hot columns in a layer's input, as each row's position."""

    position: torch.Tensor  # (batch,) where each row's 1 is
    width: int


def _hot_linear(weight, bias, x, hot, out=None):
    """``bias + [x, one-hot] @ weight.T`` without multiplying out the one-hot.

    ``hot`` (a :class:`OneHot` or None) holds the last columns of the input;
    the product of a one-hot row with the weight is a column of the weight,
    so it is gathered (with the bias) and the dense product added to it.
    ``out``: where to write the result.
    """
    if hot is None:
        return torch.addmm(bias, x, weight.t(), out=out)
    width = x.shape[1]
    columns = weight[:, width:].t() + bias  # (categories, out), small
    return torch.addmm(columns[hot.position], x, weight[:, :width].t(), out=out)


def _autocast_state(x: torch.Tensor):
    """(device type, dtype) of the autocast active for ``x``'s device, or None.

    A custom autograd Function's backward pass runs under the forward's
    autocast state, as ``torch.amp.custom_bwd`` does, but for whichever
    device the tensors are on.
    """
    device = x.device.type
    try:
        enabled = torch.is_autocast_enabled(device)
    except TypeError:  # torch < 2.4: no device argument
        legacy = {
            "cuda": torch.is_autocast_enabled,
            "cpu": torch.is_autocast_cpu_enabled,
        }
        enabled = device in legacy and legacy[device]()
    if not enabled:
        return None
    if hasattr(torch, "get_autocast_dtype"):
        return device, torch.get_autocast_dtype(device)
    if device == "cuda":  # torch < 2.4
        return device, torch.get_autocast_gpu_dtype()
    return device, torch.get_autocast_cpu_dtype()


def _autocast_like(state):
    if state is None:
        return contextlib.nullcontext()
    return torch.autocast(state[0], dtype=state[1])


class _ConcatLinear(torch.autograd.Function):
    """A linear layer on ``torch.cat(parts, dim=1)``, optionally with a one-hot.

    Its backward pass computes an input gradient only for the parts that
    need one, one product per run of such parts. In the generator the
    layers' inputs are [h_k, ..., h_1, noise, condition]: autograd through a
    concatenation would also multiply out the gradient of the noise and of
    the condition, which is then thrown away; on Adult that was 31 to 48 %
    of the two input-gradient products. A narrow condition comes as a
    :class:`OneHot`, the input's last columns: its product with the weight
    is a gather, and its weight gradient a scatter-add of the output
    gradient, instead of two products over mostly zeros (on Adult, 101 of
    the 229 to 741 columns of the generator's layers).
    """

    @staticmethod
    def forward(ctx, weight, bias, hot, *parts):
        x = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        ctx.save_for_backward(weight, x)
        ctx.widths = [part.shape[1] for part in parts]
        ctx.hot = hot
        ctx.autocast = _autocast_state(x)
        return _hot_linear(weight, bias, x, hot)

    @staticmethod
    def backward(ctx, grad):
        with _autocast_like(ctx.autocast):
            return _ConcatLinear._backward(ctx, grad)

    @staticmethod
    def _backward(ctx, grad):
        weight, x = ctx.saved_tensors
        need = ctx.needs_input_grad
        grad_weight = grad_bias = None
        if need[0]:
            grad_weight = grad.t() @ x
            if ctx.hot is not None:
                hot = grad_weight.new_zeros(ctx.hot.width, grad.shape[1])
                hot.index_add_(0, ctx.hot.position, grad.to(hot.dtype))
                grad_weight = torch.cat([grad_weight, hot.t()], dim=1)
        if need[1]:
            grad_bias = grad.sum(0)
        widths, need = ctx.widths, need[3:]
        grads, i, start = [], 0, 0
        while i < len(widths):
            j, stop = i, start
            while j < len(widths) and need[j]:
                stop += widths[j]
                j += 1
            if j == i:  # no gradient for this part
                grads.append(None)
                start += widths[i]
                i += 1
                continue
            block = grad @ weight[:, start:stop]
            grads.extend(block.split(widths[i:j], dim=1))
            i, start = j, stop
        return grad_weight, grad_bias, None, *grads


def concat_linear(linear: nn.Linear, parts) -> torch.Tensor:
    """``linear(torch.cat(parts, dim=1))``, with input gradients only as needed.

    The last part may be a :class:`OneHot`.
    """
    dense, hot = _split_hot(parts)
    return _ConcatLinear.apply(linear.weight, linear.bias, hot, *dense)


def _split_hot(parts):
    """(the dense parts, the trailing :class:`OneHot` or None)."""
    if isinstance(parts[-1], OneHot):
        return parts[:-1], parts[-1]
    return parts, None


class Residual(nn.Module):
    """Linear, batch norm and ReLU, concatenated with the block's input.

    The generator block of the CTGAN paper (Xu et al., 2019): each block
    widens the representation by ``out_dim`` so later layers still see the
    noise directly. The representation is passed as the list of its parts,
    newest first, ``[h_k, ..., h_1, x]``: their concatenation is the block's
    input, and the block returns ``[h_{k+1}, h_k, ..., h_1, x]``.
    """

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.linear = nn.Linear(in_dim, out_dim)
        self.norm = nn.BatchNorm1d(out_dim)

    def forward(self, parts: list) -> list:
        return [torch.relu(self.norm(concat_linear(self.linear, parts))), *parts]

    def folded(self):
        """(weight, bias) of the linear layer with eval-mode batch norm folded in."""
        norm = self.norm
        scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
        weight = self.linear.weight * scale.unsqueeze(1)
        bias = (self.linear.bias - norm.running_mean) * scale + norm.bias
        return weight, bias


def _softmax(x: torch.Tensor) -> torch.Tensor:
    """Softmax over the last dimension, fast for narrow spans on the CPU.

    torch's CPU softmax kernel is slow when the last dimension is short:
    forward and backward over (500, 6, 10) took 830 µs against 287 µs for
    this exp / sum (1 thread); from about 16 wide, torch's kernel wins.
    Subtracting the (detached) maximum changes nothing but the rounding:
    softmax is shift-invariant.
    """
    if x.shape[-1] > 16 or x.device.type != "cpu":
        return torch.softmax(x, dim=-1)
    e = torch.exp(x - x.amax(dim=-1, keepdim=True).detach())
    return e / e.sum(dim=-1, keepdim=True)


class OutputHead(nn.Module):
    """Apply each span's activation in one vectorised pass.

    ``"tanh"`` spans (continuous values) get tanh. ``"softmax"`` spans (a
    one-hot category or mode indicator) get a Gumbel-softmax with temperature
    ``tau`` (Jang et al., 2017), as in the CTGAN paper: a differentiable
    sample of the category. Consecutive spans that share an activation (and,
    for softmax, a width) form a *run*: the row is split into runs, each run
    is one view of shape (batch, spans, width), and the activated runs are
    concatenated again. The forward pass loops over runs, never over spans,
    never gathers or scatters through an index, and never synchronises with
    the host. :class:`~skgan._encoding.TableEncoder` lays its rows out with
    all tanh spans first and the softmax spans by width, so a table has one
    run per distinct span width; any other layout works too, with more runs.
    """

    def __init__(self, layout, tau: float = 0.2):
        super().__init__()
        self.tau = tau
        runs = []  # [activation, spans, width]
        for span in layout.spans:
            if span.activation not in ("tanh", "softmax"):
                raise ValueError(f"Unknown activation {span.activation!r} in {span}.")
            last = runs[-1] if runs else None
            if last and last[0] == span.activation == "tanh":
                last[2] += span.width  # tanh is elementwise: one span of all
            elif last and last[0] == span.activation and last[2] == span.width:
                last[1] += 1
            else:
                runs.append([span.activation, 1, span.width])
        self.runs = [tuple(run) for run in runs]
        self.sizes = [spans * width for _, spans, width in self.runs]
        self.softmax_sizes = [
            size
            for (kind, _, _), size in zip(self.runs, self.sizes, strict=True)
            if kind == "softmax"
        ]

    def forward(
        self, x: torch.Tensor, rng: torch.Generator | None = None
    ) -> torch.Tensor:
        """Apply the activations; ``rng`` draws the Gumbel noise."""
        if not self.softmax_sizes:
            return torch.tanh(x)
        out = []
        for (kind, _, _), part, logits in self._runs(x, rng):
            if kind == "tanh":
                out.append(torch.tanh(part))
            else:
                out.append(_softmax(logits / self.tau).to(x.dtype).flatten(1))
        return torch.cat(out, dim=1)

    def sample(self, x: torch.Tensor, rng: torch.Generator | None = None):
        """The sampled row in compact form: (tanh values, category codes).

        ``codes[:, i]`` is the category drawn in the i-th softmax span: the
        argmax of the Gumbel-perturbed logits, which is the argmax of
        :meth:`forward`'s Gumbel-softmax with the same ``rng``, without the
        softmax and without writing the spans back into a full row.
        """
        scalars, codes = [], []
        for (kind, _, _), part, logits in self._runs(x, rng):
            if kind == "tanh":
                scalars.append(torch.tanh(part))
            else:
                codes.append(logits.argmax(-1))
        empty = x.new_empty(x.shape[0], 0)
        scalars = torch.cat(scalars, dim=1) if scalars else empty
        codes = torch.cat(codes, dim=1) if codes else empty.long()
        return scalars, codes

    def _runs(self, x, rng):
        """(run, part of ``x``, Gumbel-perturbed logits or None) for each run.

        The logits of a softmax run have shape (batch, spans, width). One
        uniform draw covers every softmax column.
        """
        # Under autocast (bfloat16 logits) the Gumbel noise stays float32: a
        # bfloat16 uniform can round to 1, whose Gumbel noise is infinite.
        noise_dtype = torch.promote_types(x.dtype, torch.float32)
        uniform = torch.rand(
            x.shape[0],
            sum(self.softmax_sizes),
            device=x.device,
            dtype=noise_dtype,
            generator=rng,
        )
        gumbel = -torch.log(-torch.log(uniform.clamp_(1e-20, 1.0 - 1e-7)))
        noise = iter(gumbel.split(self.softmax_sizes, dim=1))
        for run, part in zip(self.runs, x.split(self.sizes, dim=1), strict=True):
            kind, spans, width = run
            if kind == "tanh":
                yield run, part, None
            else:
                shape = (x.shape[0], spans, width)
                yield run, part, part.view(shape) + next(noise).view(shape)


class Dropout(nn.Dropout):
    """:class:`torch.nn.Dropout` with a faster mask on the CPU.

    torch's CPU dropout draws one Bernoulli number at a time; for the
    critic's ``p=0.5`` this draws the mask as random bits instead, 16 per
    16-bit integer. Measured on a (100, 256) activation, 1 thread: 38 µs
    against 322 µs for ``F.dropout``. Other rates and devices use torch's
    own dropout. The mask is a plain multiplication, so it is
    differentiable to any order; :meth:`mask` gives the mask itself.
    """

    _SHIFTS = torch.arange(16, dtype=torch.int32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self._bit_mask(x):
            return x * self.mask(x)
        return super().forward(x)

    def _bit_mask(self, x: torch.Tensor) -> bool:
        """Whether ``x`` gets the random-bits mask (p=0.5, 2-d, on the CPU)."""
        return self.p == 0.5 and x.device.type == "cpu" and x.dim() == 2

    def mask(self, x: torch.Tensor) -> torch.Tensor:
        """A fresh mask for ``x`` in training mode: 0 or 1 / (1 - p) each.

        ``forward`` multiplies by such a mask on the CPU; the gradient
        penalty (:meth:`Discriminator.input_gradient`) needs the mask itself
        on every device.
        """
        if self._bit_mask(x):
            n, width = x.shape
            words = torch.randint(0, 2**16, (n, -(-width // 16), 1), dtype=torch.int32)
            keep = ((words >> self._SHIFTS) & 1).view(n, -1)[:, :width]
            return keep.to(x.dtype).mul_(2.0)
        if self.p == 1.0:
            return torch.zeros_like(x)
        keep = torch.empty_like(x).bernoulli_(1.0 - self.p)
        return keep.div_(1.0 - self.p)


class _PackedOneHotLinear(torch.autograd.Function):
    """The critic's first layer on packs of rows with narrow one-hot conditions.

    A pack's input is [row_1, one-hot_1, ..., row_pac, one-hot_pac]. The rows
    are multiplied by their weight columns (copied out once per call: they
    interleave with the conditions'); each one-hot picks one weight column,
    gathered and summed over the pack, and the weight gradient of those
    columns is a scatter-add of the output gradient. On Adult the
    conditions are 1,010 of the 2,650 inputs, 38 % of the layer's products.
    """

    @staticmethod
    def forward(ctx, weight, bias, rows, position, width):
        hidden, (packs, pac) = weight.shape[0], position.shape
        w = weight.view(hidden, pac, -1)
        d = w.shape[2] - width
        dense = w[:, :, :d].reshape(hidden, pac * d)
        # The weight column of each row's 1: slot s's one-hot starts at
        # s (d + width) + d.
        slots = torch.arange(pac, device=position.device) * (d + width) + d
        index = (position + slots).reshape(-1)
        ctx.save_for_backward(rows, dense, index)
        ctx.width = width
        ctx.autocast = _autocast_state(rows)
        gathered = weight.index_select(1, index).view(hidden, packs, pac).sum(2)
        return torch.addmm(gathered.t() + bias, rows, dense.t())

    @staticmethod
    def backward(ctx, grad):
        with _autocast_like(ctx.autocast):
            rows, dense, index = ctx.saved_tensors
            need = ctx.needs_input_grad
            grad_weight = grad_bias = grad_rows = None
            if need[2]:
                grad_rows = grad @ dense
            if need[0]:
                hidden, pac = grad.shape[1], len(index) // len(grad)
                d = rows.shape[1] // pac
                grad_dense = grad.t() @ rows  # (hidden, pac * d)
                grad_weight = grad_dense.new_empty(hidden, pac, d + ctx.width)
                grad_weight[:, :, :d] = grad_dense.view(hidden, pac, d)
                grad_weight[:, :, d:] = 0.0
                grad_weight = grad_weight.view(hidden, -1)
                spread = grad.t().to(grad_weight.dtype).repeat_interleave(pac, dim=1)
                grad_weight.index_add_(1, index, spread)
            if need[1]:
                grad_bias = grad.sum(0)
        return grad_weight, grad_bias, grad_rows, None, None


# Condition vectors wider than this are embedded into this many dimensions
# by a learned linear map before entering either network. Feeding a wide
# one-hot straight in would make the generator's last layer (whose input
# carries the condition through the residual blocks) grow with the square of
# the number of categories: 106 million weights for one 10,000-level column.
CONDITION_EMBEDDING = 128


class ConditionInput(nn.Module):
    """What a network sees of the one-hot condition vectors, from their positions.

    Conditions are passed as ``position``, the index of each row's 1 in its
    condition vector of ``width``. A narrow condition (up to
    ``CONDITION_EMBEDDING``) enters as the one-hot vector itself. A wider one
    goes through a learned linear embedding (``weight``, as an
    ``nn.Linear(width, CONDITION_EMBEDDING, bias=False)``, whose
    initialisation it shares); the embedding of a one-hot vector is one
    column of the weight, so it is looked up, not multiplied out: for a
    10,000-level column a (500, 10,000) x (10,000, 128) product, 1.3 GFLOP
    per pass, becomes a gather of 500 x 128 values.
    """

    def __init__(self, width: int):
        super().__init__()
        self.width = width
        self.weight = None
        if width > CONDITION_EMBEDDING:
            self.weight = nn.Parameter(torch.empty(CONDITION_EMBEDDING, width))
            nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # as nn.Linear

    @property
    def out_width(self) -> int:
        return min(self.width, CONDITION_EMBEDDING)

    def forward(self, position: torch.Tensor) -> torch.Tensor:
        if self.weight is None:
            one_hot = torch.zeros(len(position), self.width, device=position.device)
            return one_hot.scatter_(1, position.unsqueeze(1), 1.0)
        return F.embedding(position, self.weight.t())

    def part(self, position: torch.Tensor):
        """The condition as the last part of a layer's input (:func:`concat_linear`).

        A narrow condition stays a :class:`OneHot`, never written out.
        """
        if self.weight is None:
            return OneHot(position, self.width)
        return self(position)


class Generator(nn.Module):
    """Noise (and a condition) to an encoded row.

    Residual blocks, a linear layer and the output head. A conditional
    generator concatenates its (embedded) condition vector to the noise;
    conditions are passed as positions (see :class:`ConditionInput`).
    """

    def __init__(self, latent_dim: int, dims, layout, cond_width: int = 0):
        super().__init__()
        self.embed = ConditionInput(cond_width)
        blocks = []
        width = latent_dim + self.embed.out_width
        for dim in dims:
            blocks.append(Residual(width, dim))
            width += dim
        self.blocks = nn.Sequential(*blocks)
        self.linear = nn.Linear(width, layout.width)
        self.head = OutputHead(layout)

    def forward(
        self,
        noise: torch.Tensor,
        cond: torch.Tensor | None = None,
        rng: torch.Generator | None = None,
        return_logits: bool = False,
    ):
        """``rng`` draws the Gumbel noise of softmax spans (global RNG if None).

        With ``return_logits``, also return the pre-activation output (for
        the conditional generator's cross-entropy).
        """
        logits = self._logits(noise, cond)
        out = self.head(logits, rng)
        return (out, logits) if return_logits else out

    def sample(self, noise, cond=None, rng=None):
        """Generated rows in compact form: (tanh values, category codes).

        The rows :meth:`forward` gives with the same ``rng`` (see
        :meth:`OutputHead.sample`), for sampling; in eval mode without
        autograd they come from :meth:`_inference_trunk`, equal up to
        rounding.
        """
        return self.head.sample(self._logits(noise, cond), rng)

    def _logits(self, noise, cond):
        # The network's input is [noise, condition]; kept as two parts for
        # training, so that no gradient is computed for the noise.
        parts = [noise] if cond is None else [noise, self.embed.part(cond)]
        if self.training or torch.is_grad_enabled():
            return concat_linear(self.linear, self.blocks(parts))
        dense, hot = _split_hot(parts)
        trunk = self._inference_trunk(dense, hot)
        return _hot_linear(self.linear.weight, self.linear.bias, trunk, hot)

    def _inference_trunk(self, parts, hot=None):
        """The residual blocks for sampling (eval mode, no autograd).

        Each block's batch norm is folded into its linear layer, and the
        blocks write their outputs in place into one buffer laid out as the
        concatenations would be, [h_k, ..., h_1, *parts], instead of copying
        the growing row at every block. ``hot`` is a narrow condition
        (:class:`OneHot`), the input's last columns, kept out of the buffer.
        """
        widths = [block.linear.out_features for block in self.blocks]
        x_width = sum(part.shape[1] for part in parts)
        total = x_width + sum(widths)
        out = parts[0].new_empty(parts[0].shape[0], total)
        start = total - x_width
        for part in parts:
            out[:, start : start + part.shape[1]] = part
            start += part.shape[1]
        start = total - x_width
        for block, width in zip(self.blocks, widths, strict=True):
            weight, bias = block.folded()
            h = out[:, start - width : start]
            _hot_linear(weight, bias, out[:, start:], hot, out=h).relu_()
            start -= width
        return out


class Discriminator(nn.Module):
    """Score packs of ``pac`` rows: Linear, LeakyReLU(0.2) and dropout layers.

    PacGAN (Lin et al., 2018): the critic sees ``pac`` rows at once, which
    lets it notice a lack of diversity and so discourages mode collapse. The
    batch size must be a multiple of ``pac``; the training loop guarantees it.
    A conditional critic sees each row with its (embedded) condition vector,
    passed as positions (see :class:`ConditionInput`). Calling the module
    scores rows; :meth:`inputs` writes out the input it sees and
    :meth:`score` scores that, for :meth:`input_gradient`.
    """

    def __init__(
        self, data_dim: int, dims, pac: int, dropout: float = 0.5, cond_width: int = 0
    ):
        super().__init__()
        self.pac = pac
        self.embed = ConditionInput(cond_width)
        layers = []
        width = (data_dim + self.embed.out_width) * pac
        for dim in dims:
            layers += [nn.Linear(width, dim), nn.LeakyReLU(0.2), Dropout(dropout)]
            width = dim
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def inputs(self, rows: torch.Tensor, cond: torch.Tensor | None = None):
        """Rows with their (embedded) condition vectors, written out."""
        return rows if cond is None else torch.cat([rows, self.embed(cond)], dim=1)

    def score(self, inputs: torch.Tensor, keep_first: bool = False):
        """Each pack's score from :meth:`inputs`; see :meth:`forward`."""
        packed = inputs.reshape(inputs.shape[0] // self.pac, -1)
        return self._from_first(self.net[0](packed), keep_first)

    def forward(self, rows, cond=None, keep_first: bool = False):
        """Each pack's score; with ``keep_first``, also its first-layer output.

        ``cond`` holds each row's condition as a position (see
        :class:`ConditionInput`). Equal to ``score(inputs(rows, cond))``,
        but a narrow condition's one-hot is never written out
        (:class:`_PackedOneHotLinear`). The first linear layer's output
        (detached) is what :meth:`input_gradient` takes as ``first``.
        """
        if cond is None or self.embed.weight is not None:
            return self.score(self.inputs(rows, cond), keep_first)
        layer = self.net[0]
        packs = rows.shape[0] // self.pac
        first = _PackedOneHotLinear.apply(
            layer.weight,
            layer.bias,
            rows.reshape(packs, -1),
            cond.reshape(packs, self.pac),
            self.embed.width,
        )
        return self._from_first(first, keep_first)

    def _from_first(self, first, keep_first):
        h = first
        for layer in list(self.net)[1:]:
            h = layer(h)
        return (h.squeeze(1), first.detach()) if keep_first else h.squeeze(1)

    def input_gradient(self, inputs=None, first=None) -> torch.Tensor:
        """Gradient of each pack's score with respect to its packed input.

        Returns a (packs, pac * input width) tensor that is differentiable
        with respect to the weights, for the WGAN-GP penalty, without double
        backward. The critic is piecewise linear (linear layers, LeakyReLU,
        dropout), so its input gradient is a product of weight matrices and
        of the slopes and dropout masks of one forward pass, which do not
        depend on the weights where the gradient exists. Autograd's double
        backward computes the same gradient plus terms that are zero: a
        weight-sized product per layer through the forward activations.

        The forward pass runs without a graph and draws its dropout masks
        as scoring would (one mask per layer, in order). It starts from
        ``inputs`` (rows, as :meth:`score` takes them) or from ``first``,
        the packs' first-layer outputs. The first layer is linear, so for
        packs mixed from a real and a fake batch with one weight per pack
        (the penalty's interpolates), ``first`` is the same mix of the two
        batches' first-layer outputs, which scoring has already computed
        (``keep_first=True``): the penalty then needs no pass
        through the first layer, the critic's widest, of its own.
        """
        layers = list(self.net)
        hidden = [layers[i : i + 3] for i in range(0, len(layers) - 1, 3)]
        gates = []
        with torch.no_grad():
            if first is None:
                packed = inputs.detach().reshape(inputs.shape[0] // self.pac, -1)
                first = layers[0](packed)
            h = None
            for linear, activation, dropout in hidden:
                pre = first if h is None else linear(h)
                slope = activation.negative_slope
                gate = torch.where(pre > 0, 1.0, slope).to(pre.dtype)
                if dropout.training and dropout.p > 0:
                    gate.mul_(dropout.mask(pre))
                gates.append(gate)
                h = pre * gate
        grad = layers[-1].weight.expand(first.shape[0], -1)
        for (linear, _, _), gate in zip(reversed(hidden), reversed(gates), strict=True):
            grad = (grad * gate) @ linear.weight
        return grad


class LabelClassifier(nn.Module):
    """Predict a row's label from its other columns (a fit with ``y``).

    The auxiliary classifier of the label loss (CTAB-GAN, Zhao et al.,
    2021): trained on real encoded rows, it scores how well a generated
    row's columns predict the label generated with them. It sees the whole
    encoded row with the label's span zeroed (a multiplication by a fixed
    mask, so no gather): Linear, LeakyReLU(0.2) and dropout layers, then one
    logit per class.

    Parameters
    ----------
    width : int
        Width of the encoded row.
    label : tuple of int
        ``(start, width)`` of the label's span in the encoded row.
    dims : tuple of int
        Width of each hidden layer.
    """

    def __init__(self, width: int, label: tuple, dims, dropout: float = 0.5):
        super().__init__()
        start, n_classes = label
        self.label = (int(start), int(n_classes))
        mask = torch.ones(width)
        mask[start : start + n_classes] = 0.0
        self.register_buffer("mask", mask)
        layers = []
        for dim in dims:
            layers += [nn.Linear(width, dim), nn.LeakyReLU(0.2), Dropout(dropout)]
            width = dim
        layers.append(nn.Linear(width, n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        """Each row's class logits, from its columns other than the label."""
        return self.net(rows * self.mask.to(rows.dtype))

    def labels(self, rows: torch.Tensor) -> torch.Tensor:
        """Each encoded row's label code (the largest entry of its span)."""
        start, n_classes = self.label
        return rows[:, start : start + n_classes].argmax(dim=1)
