"""The adversarial training loop: losses, discriminator and generator steps.

Everything here works on tensors already on the training device. The step
loop never synchronises with the host: losses are accumulated on the device
and read once per epoch by the caller.
"""

from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class TrainingConfig:
    latent_dim: int
    loss: str
    gradient_penalty: float
    n_critic: int
    batch_size: int
    steps_per_epoch: int
    # torch.autocast dtype of the forward passes (precision="bf16"), or None.
    autocast: torch.dtype | None = None
    # torch.compile's (backend, mode) for the forward passes (compile=...), or
    # None; see skgan._utils.compile_options.
    compile: tuple[str, str | None] | None = None


def forward_precision(config: TrainingConfig, device: torch.device):
    """The autocast context of a step's forward passes (none for float32)."""
    if config.autocast is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=config.autocast)


def discriminator_loss(loss: str, real_scores, fake_scores) -> torch.Tensor:
    if loss == "wgan-gp":
        return fake_scores.mean() - real_scores.mean()
    if loss == "bce":
        # BCE with logits: -log D(real) - log(1 - D(fake)).
        return F.softplus(-real_scores).mean() + F.softplus(fake_scores).mean()
    if loss == "hinge":
        return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()
    raise ValueError(f"Unknown loss {loss!r}.")


def generator_loss(loss: str, fake_scores) -> torch.Tensor:
    if loss == "bce":
        # The non-saturating loss -log D(fake) of Goodfellow et al. (2014).
        return F.softplus(-fake_scores).mean()
    # WGAN and hinge generators both maximise the critic's score.
    return -fake_scores.mean()


def gradient_penalty(discriminator, real_first, fake_first) -> torch.Tensor:
    """WGAN-GP penalty (Gulrajani et al., 2017) on packs of interpolated rows.

    ``real_first`` and ``fake_first`` are the critic's first-layer outputs
    for the real and the fake packs (``discriminator(rows, cond,
    keep_first=True)``). Each interpolated pack lies on the segment between
    a real and a fake pack, with one mixing weight per pack; the first
    layer is linear, so its output for the interpolates is the same mix of
    the two (see :meth:`Discriminator.input_gradient`).
    """
    alpha = torch.rand(
        real_first.shape[0], 1, device=real_first.device, dtype=real_first.dtype
    )
    mixed = alpha * real_first + (1.0 - alpha) * fake_first
    # d score / d input as a function of the weights: exact for the
    # piecewise-linear critic, and a single backward pass instead of double
    # backward (see Discriminator.input_gradient).
    norms = discriminator.input_gradient(first=mixed).float().norm(2, dim=1)
    return ((norms - 1.0) ** 2).mean()


def conditional_loss(logits, condition, positions, owner) -> torch.Tensor:
    """Cross-entropy of the conditioned column's span against its condition.

    CTGAN's extra generator loss: the generator is told which category of
    which column to produce and is penalised when its (pre-Gumbel) logits
    for that column disagree. ``positions`` maps each condition-vector
    position to its index in the encoded row, ``owner`` to its column.
    """
    chosen = logits[:, positions]  # (batch, condition width)
    chosen = chosen.masked_fill(
        owner.unsqueeze(0) != condition.column.unsqueeze(1), -torch.inf
    )
    log_p = torch.log_softmax(chosen, dim=1)
    return -log_p.gather(1, condition.position.unsqueeze(1)).mean()


def fake_rows(generator, noise, cond):
    """The generator's forward pass: ``(fake rows, logits)``."""
    return generator(noise, cond, return_logits=True)


def critic_loss(discriminator, real, fake, cond, config) -> torch.Tensor:
    """The critic's loss on real and (detached) fake rows, penalty included."""
    # One critic call scores real and fake packs together (packs never mix:
    # both halves are whole numbers of packs).
    rows = torch.cat([real, fake.to(real.dtype)])
    both = None if cond is None else torch.cat([cond, cond])
    penalty = config.loss == "wgan-gp" and config.gradient_penalty > 0
    scores = discriminator(rows, both, keep_first=penalty)
    if penalty:
        scores, first = scores
    real_scores, fake_scores = scores.float().chunk(2)
    d_loss = discriminator_loss(config.loss, real_scores, fake_scores)
    if penalty:
        d_loss = d_loss + config.gradient_penalty * gradient_penalty(
            discriminator, *first.chunk(2)
        )
    return d_loss


def fake_loss(discriminator, fake, logits, condition, conditions, config):
    """The generator's loss on its fake rows (the critic frozen by the caller)."""
    cond = None if condition is None else condition.position
    g_loss = generator_loss(config.loss, discriminator(fake, cond).float())
    if conditions is not None:
        g_loss = g_loss + conditional_loss(
            logits.float(),
            condition,
            conditions.positions,
            conditions.sampler.owner,
        )
    return g_loss


class StepPasses(NamedTuple):
    """The forward passes of a training step, compiled or not."""

    fake_rows: Callable
    critic_loss: Callable
    fake_loss: Callable


@functools.cache
def step_passes(compile: tuple[str, str | None] | None) -> StepPasses:
    """The step's forward passes; compiled with ``compile = (backend, mode)``.

    Each pass is compiled on its own, so that each has its own backward
    graph: the generator's forward pass in the critic step is differentiated
    later, in the generator step. Cached, so that every epoch (and every fit
    with the same options) reuses the same compiled functions. The optimizer
    updates and the backward calls stay outside.
    """
    passes = StepPasses(fake_rows, critic_loss, fake_loss)
    if compile is None:
        return passes
    backend, mode = compile
    return StepPasses(*(torch.compile(f, backend=backend, mode=mode) for f in passes))


def discriminator_step(
    generator, discriminator, optimizer, real, condition, config, keep_fake=False
):
    """One critic update; returns its loss and, with ``keep_fake``, the fakes.

    ``condition`` is the :class:`~skgan._conditioning.Condition` of the real
    rows (None without conditioning); the fakes are generated for it. With
    ``keep_fake`` the generator's forward pass keeps its graph and
    ``(fake, logits)`` are returned for the generator step that follows, so
    the generator runs once per training step instead of twice (as in the
    DCGAN reference training loop). The critic itself is always trained on
    detached fakes.
    """
    passes = step_passes(config.compile)
    noise = torch.randn(real.shape[0], config.latent_dim, device=real.device)
    cond = None if condition is None else condition.position
    with forward_precision(config, real.device):
        with torch.set_grad_enabled(keep_fake):
            fake, logits = passes.fake_rows(generator, noise, cond)
        # No graph through the generator in the critic's loss.
        d_loss = passes.critic_loss(discriminator, real, fake.detach(), cond, config)
    optimizer.zero_grad(set_to_none=True)
    d_loss.backward()
    optimizer.step()
    return d_loss.detach(), ((fake, logits) if keep_fake else None)


def generator_step(
    generator, discriminator, optimizer, config, fake, condition=None, conditions=None
):
    """One generator update on ``fake = (rows, logits)`` from the critic step.

    ``condition`` is the :class:`~skgan._conditioning.Condition` the fakes
    were generated for, in a conditional fit (``conditions``).
    """
    fake, logits = fake
    with forward_precision(config, fake.device):
        # Freeze the critic's weights: the generator step needs gradients
        # with respect to the fake rows only, not the critic's weight
        # gradients.
        discriminator.requires_grad_(False)
        try:
            g_loss = step_passes(config.compile).fake_loss(
                discriminator, fake, logits, condition, conditions, config
            )
        finally:
            discriminator.requires_grad_(True)
    optimizer.zero_grad(set_to_none=True)
    g_loss.backward()
    optimizer.step()
    return g_loss.detach()


def epoch_indices(n_rows: int, config: TrainingConfig, device) -> torch.Tensor:
    """Row indices for every critic step of one epoch, shape (steps, batch).

    Rows are drawn as concatenated random permutations, so every row is seen
    about equally often, every batch is full (a whole number of packs, at
    least two rows for batch norm) whatever the number of rows, and no batch
    is ever partial.
    """
    total = config.steps_per_epoch * config.n_critic * config.batch_size
    n_perms = -(-total // n_rows)
    perms = [torch.randperm(n_rows, device=device) for _ in range(n_perms)]
    return torch.cat(perms)[:total].view(-1, config.batch_size)


@dataclass(frozen=True)
class Conditioning:
    """What a conditional fit needs in the loop."""

    sampler: object  # ConditionSampler over the training rows
    positions: torch.Tensor  # encoded-row index of each condition position


def train_epoch(
    generator,
    discriminator,
    g_optimizer,
    d_optimizer,
    table,
    config,
    conditions=None,
    stop=None,
    average=None,
    mix=None,
):
    """One epoch; returns the mean (d_loss, g_loss) as device tensors, and steps.

    ``table`` is an :class:`~skgan._encoding.EncodedTable`. Without
    ``conditions`` the critic sees rows in shuffled order; with them, each
    critic batch is drawn by training-by-sampling and comes with its
    condition vectors. When ``stop`` (a :class:`~skgan._utils.StopFlag`, a
    host-side bool) is set, the epoch ends after the current step; the
    number of steps done is returned with the losses. ``average`` (a
    :class:`WeightAverage` of the generator) is updated after every
    generator step. ``mix`` (a data-parallel fit's) takes and returns each
    critic step's ``(real rows, condition)``, shuffled across the ranks.
    """
    generator.train()
    discriminator.train()
    device = table.device
    if conditions is None:
        batches = iter(epoch_indices(table.n_rows, config, device))
    d_total = torch.zeros((), device=device)
    g_total = torch.zeros((), device=device)
    steps = 0
    while steps < config.steps_per_epoch and not (stop is not None and stop.is_set):
        for critic_step in range(config.n_critic):
            if conditions is None:
                real, condition = table.rows(next(batches)), None
            else:
                condition = conditions.sampler.sample(config.batch_size)
                real = table.rows(condition.rows)
            if mix is not None:
                real, condition = mix(real, condition)
            # The last critic step's fakes (and their condition) are kept
            # for the generator step.
            d_loss, fake = discriminator_step(
                generator,
                discriminator,
                d_optimizer,
                real,
                condition,
                config,
                keep_fake=critic_step == config.n_critic - 1,
            )
            d_total += d_loss
        g_total += generator_step(
            generator, discriminator, g_optimizer, config, fake, condition, conditions
        )
        if average is not None:
            average.update()
        steps += 1
    done = max(steps, 1)
    return d_total / (done * config.n_critic), g_total / done, steps


class WeightAverage:
    """An exponential moving average of a module's weights (and buffers).

    ``module`` is a copy of the trained module whose floating-point state
    (weights and batch-norm statistics) follows the trained one's by
    ``average = decay_t * average + (1 - decay_t) * current`` after every
    :meth:`update`, with ``decay_t = min(decay, (1 + t) / (10 + t))`` at the
    ``t``-th update: the warm-up of TensorFlow's ExponentialMovingAverage,
    so that the first updates do not leave the average near the initial
    weights. Integer buffers (batch norm's counter) are copied. Averaging a
    GAN generator's weights along training damps the oscillation of the
    adversarial game (Yazici et al., 2019).
    """

    def __init__(self, module: torch.nn.Module, decay: float):
        self.decay = float(decay)
        self.module = copy.deepcopy(module)
        self.n_updates = 0
        pairs = zip(
            self.module.state_dict().values(), module.state_dict().values(), strict=True
        )
        self._floats, self._others = ([], []), ([], [])
        for average, current in pairs:
            group = self._floats if average.is_floating_point() else self._others
            group[0].append(average)
            group[1].append(current)

    @torch.no_grad()
    def update(self) -> None:
        t = self.n_updates
        decay = min(self.decay, (1.0 + t) / (10.0 + t))
        self.n_updates += 1
        if self._floats[0]:
            torch._foreach_lerp_(*self._floats, 1.0 - decay)
        for average, current in zip(*self._others, strict=True):
            average.copy_(current)
