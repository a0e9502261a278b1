"""Pure torch modules: the generator, the discriminator and the output head.

Nothing here knows about scikit-learn, pandas or user arrays; modules are
built from sizes and an :class:`~skgan._encoding.OutputLayout`.
"""

from __future__ import annotations

import torch
from torch import nn


class Residual(nn.Module):
    """Linear, batch norm and ReLU, concatenated with the block's input.

    The generator block of the CTGAN paper (Xu et al., 2019): each block
    widens the representation by ``out_dim`` so later layers still see the
    noise directly.
    """

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.linear = nn.Linear(in_dim, out_dim)
        self.norm = nn.BatchNorm1d(out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(self.norm(self.linear(x))), x], dim=1)

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
    sample of the category. Softmax spans are grouped by width, so the
    forward pass loops over the few distinct widths, never over spans, and
    never synchronises with the host. The index tensors are non-persistent
    buffers: they follow the module to its device and stay out of the state
    dict.
    """

    def __init__(self, layout, tau: float = 0.2):
        super().__init__()
        self.tau = tau
        tanh_columns = [
            i
            for span in layout.spans
            if span.activation == "tanh"
            for i in range(span.start, span.start + span.width)
        ]
        by_width = {}
        ordinals = {}  # each group's spans, numbered among the softmax spans
        self.n_softmax = 0
        for span in layout.spans:
            if span.activation == "softmax":
                by_width.setdefault(span.width, []).append(
                    list(range(span.start, span.start + span.width))
                )
                ordinals.setdefault(span.width, []).append(self.n_softmax)
                self.n_softmax += 1
            elif span.activation != "tanh":
                raise ValueError(f"Unknown activation {span.activation!r} in {span}.")
        self.register_buffer(
            "tanh_index", torch.tensor(tanh_columns, dtype=torch.long), persistent=False
        )
        self.n_groups = len(by_width)
        # A width held by one span only (typically a wide categorical column)
        # is a slice: gathering and scattering it through an index would cost
        # far more, above all in the backward pass (an accumulating scatter).
        self.slices = {}
        for g, (columns, numbers) in enumerate(
            zip(by_width.values(), ordinals.values())
        ):
            self.register_buffer(
                f"ordinals_{g}", torch.tensor(numbers, dtype=torch.long), persistent=False
            )
            if len(columns) == 1:
                self.slices[g] = (columns[0][0], columns[0][-1] + 1)
                continue
            self.register_buffer(
                f"softmax_index_{g}",
                torch.tensor(columns, dtype=torch.long),
                persistent=False,
            )

    def forward(
        self, x: torch.Tensor, rng: torch.Generator | None = None
    ) -> torch.Tensor:
        """Apply the activations; ``rng`` draws the Gumbel noise."""
        if self.n_groups == 0:
            return torch.tanh(x)
        out = torch.empty_like(x)
        out[:, self.tanh_index] = torch.tanh(x[:, self.tanh_index])
        for g, logits in self._perturbed_logits(x, rng):
            values = _softmax(logits / self.tau).to(out.dtype)
            if g in self.slices:
                start, stop = self.slices[g]
                out[:, start:stop] = values.squeeze(1)
            else:
                out[:, getattr(self, f"softmax_index_{g}")] = values
        return out

    def sample(self, x: torch.Tensor, rng: torch.Generator | None = None):
        """The sampled row in compact form: (tanh values, category codes).

        ``codes[:, i]`` is the category drawn in the i-th softmax span: the
        argmax of the Gumbel-perturbed logits, which is the argmax of
        :meth:`forward`'s Gumbel-softmax with the same ``rng``, without the
        softmax and without writing the spans back into a full row.
        """
        scalars = torch.tanh(x[:, self.tanh_index])
        codes = torch.empty(x.shape[0], self.n_softmax, dtype=torch.long, device=x.device)
        for g, logits in self._perturbed_logits(x, rng):
            codes[:, getattr(self, f"ordinals_{g}")] = logits.argmax(-1)
        return scalars, codes

    def _perturbed_logits(self, x, rng):
        """(group, logits + Gumbel noise) of shape (batch, spans, width)."""
        # Under autocast (bfloat16 logits) the Gumbel noise stays float32: a
        # bfloat16 uniform can round to 1, whose Gumbel noise is infinite.
        noise_dtype = torch.promote_types(x.dtype, torch.float32)
        for g in range(self.n_groups):
            if g in self.slices:
                start, stop = self.slices[g]
                logits = x[:, start:stop].unsqueeze(1)  # (batch, 1, width)
            else:
                index = getattr(self, f"softmax_index_{g}")  # (spans, width)
                logits = x[:, index]  # (batch, spans, width)
            uniform = torch.rand(
                logits.shape, device=x.device, dtype=noise_dtype, generator=rng
            )
            gumbel = -torch.log(-torch.log(uniform.clamp(1e-20, 1.0 - 1e-7)))
            yield g, logits + gumbel


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


# Condition vectors wider than this are embedded into this many dimensions
# by a learned linear map before entering either network. Feeding a wide
# one-hot straight in would make the generator's last layer (whose input
# carries the condition through the residual blocks) grow with the square of
# the number of categories: 106 million weights for one 10,000-level column.
CONDITION_EMBEDDING = 128


def condition_embedding(width: int) -> nn.Module:
    """Identity for narrow condition vectors, else a linear embedding."""
    if width <= CONDITION_EMBEDDING:
        return nn.Identity()
    return nn.Linear(width, CONDITION_EMBEDDING, bias=False)


def _embedded_width(width: int) -> int:
    return min(width, CONDITION_EMBEDDING)


class Generator(nn.Module):
    """Noise (and a condition) to an encoded row.

    Residual blocks, a linear layer and the output head. A conditional
    generator concatenates its (embedded) condition vector to the noise.
    """

    def __init__(self, latent_dim: int, dims, layout, cond_width: int = 0):
        super().__init__()
        self.embed = condition_embedding(cond_width)
        blocks = []
        width = latent_dim + _embedded_width(cond_width)
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
        if cond is not None:
            noise = torch.cat([noise, self.embed(cond)], dim=1)
        if self.training or torch.is_grad_enabled():
            return self.linear(self.blocks(noise))
        return self.linear(self._inference_trunk(noise))

    def _inference_trunk(self, x):
        """The residual blocks for sampling (eval mode, no autograd).

        Each block's batch norm is folded into its linear layer, and the
        blocks write their outputs in place into one buffer laid out as the
        concatenations would be, [h_k, ..., h_1, x], instead of copying the
        growing row at every block.
        """
        widths = [block.linear.out_features for block in self.blocks]
        total = x.shape[1] + sum(widths)
        out = x.new_empty(x.shape[0], total)
        start = total - x.shape[1]
        out[:, start:] = x
        for block, width in zip(self.blocks, widths):
            weight, bias = block.folded()
            h = out[:, start - width : start]
            torch.addmm(bias, out[:, start:], weight.t(), out=h)
            h.relu_()
            start -= width
        return out


class Discriminator(nn.Module):
    """Score packs of ``pac`` rows: Linear, LeakyReLU(0.2) and dropout layers.

    PacGAN (Lin et al., 2018): the critic sees ``pac`` rows at once, which
    lets it notice a lack of diversity and so discourages mode collapse. The
    batch size must be a multiple of ``pac``; the training loop guarantees it.
    A conditional critic sees each row with its (embedded) condition vector:
    :meth:`inputs` builds that input, :meth:`score` scores it (the gradient
    penalty works on the inputs), and calling the module does both.
    """

    def __init__(
        self, data_dim: int, dims, pac: int, dropout: float = 0.5, cond_width: int = 0
    ):
        super().__init__()
        self.pac = pac
        self.embed = condition_embedding(cond_width)
        layers = []
        width = (data_dim + _embedded_width(cond_width)) * pac
        for dim in dims:
            layers += [nn.Linear(width, dim), nn.LeakyReLU(0.2), Dropout(dropout)]
            width = dim
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def inputs(self, rows: torch.Tensor, cond: torch.Tensor | None = None):
        return rows if cond is None else torch.cat([rows, self.embed(cond)], dim=1)

    def input_pair(self, real, fake, cond=None):
        """:meth:`inputs` of real and fake rows with the same conditions.

        The condition is embedded once for both (a wide condition's
        embedding is a (batch, width, 128) product).
        """
        if cond is None:
            return real, fake
        embedded = self.embed(cond)
        return torch.cat([real, embedded], dim=1), torch.cat([fake, embedded], dim=1)

    def score(self, inputs: torch.Tensor) -> torch.Tensor:
        packed = inputs.reshape(inputs.shape[0] // self.pac, -1)
        return self.net(packed).squeeze(1)

    def input_gradient(self, inputs: torch.Tensor) -> torch.Tensor:
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
        as scoring would (one mask per layer, in order).
        """
        packed = inputs.detach().reshape(inputs.shape[0] // self.pac, -1)
        layers = list(self.net)
        hidden = [layers[i : i + 3] for i in range(0, len(layers) - 1, 3)]
        gates = []
        with torch.no_grad():
            h = packed
            for linear, activation, dropout in hidden:
                pre = linear(h)
                slope = activation.negative_slope
                gate = torch.where(pre > 0, 1.0, slope).to(pre.dtype)
                if dropout.training and dropout.p > 0:
                    gate.mul_(dropout.mask(pre))
                gates.append(gate)
                h = pre * gate
        grad = layers[-1].weight.expand(packed.shape[0], -1)
        for (linear, _, _), gate in zip(reversed(hidden), reversed(gates)):
            grad = (grad * gate) @ linear.weight
        return grad

    def forward(self, rows: torch.Tensor, cond: torch.Tensor | None = None):
        return self.score(self.inputs(rows, cond))
