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


class OutputHead(nn.Module):
    """Apply each span's activation in one vectorised pass.

    Every span is continuous (tanh) for now, so the head is one tanh; spans
    with other activations (categorical columns) are rejected until the
    encoder produces them.
    """

    def __init__(self, layout):
        super().__init__()
        tanh_columns = [
            i
            for span in layout.spans
            if span.activation == "tanh"
            for i in range(span.start, span.start + span.width)
        ]
        if len(tanh_columns) != layout.width:
            raise ValueError(f"Unsupported activations in layout {layout!r}.")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x)


class Generator(nn.Module):
    """Noise to an encoded row: residual blocks, a linear layer, the head."""

    def __init__(self, latent_dim: int, dims, layout):
        super().__init__()
        blocks = []
        width = latent_dim
        for dim in dims:
            blocks.append(Residual(width, dim))
            width += dim
        self.blocks = nn.Sequential(*blocks)
        self.linear = nn.Linear(width, layout.width)
        self.head = OutputHead(layout)

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        return self.head(self.linear(self.blocks(noise)))


class Discriminator(nn.Module):
    """Score packs of ``pac`` rows: Linear, LeakyReLU(0.2) and dropout layers.

    PacGAN (Lin et al., 2018): the critic sees ``pac`` rows at once, which
    lets it notice a lack of diversity and so discourages mode collapse. The
    batch size must be a multiple of ``pac``; the training loop guarantees it.
    """

    def __init__(self, data_dim: int, dims, pac: int, dropout: float = 0.5):
        super().__init__()
        self.pac = pac
        layers = []
        width = data_dim * pac
        for dim in dims:
            layers += [nn.Linear(width, dim), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            width = dim
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        packed = rows.reshape(rows.shape[0] // self.pac, -1)
        return self.net(packed).squeeze(1)
