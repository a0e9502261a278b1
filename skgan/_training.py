"""The adversarial training loop: losses, discriminator and generator steps.

Everything here works on tensors already on the training device. The step
loop never synchronises with the host: losses are accumulated on the device
and read once per epoch by the caller.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import warnings
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
    # No cast cache: a CUDA graph cannot capture it, and the step casts each
    # weight once per pass anyway.
    return torch.autocast(device.type, dtype=config.autocast, cache_enabled=False)


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


def classifier_step(label, real, config) -> torch.Tensor:
    """One update of the label classifier on real rows; returns its loss.

    ``label`` is the fit's :class:`LabelLoss`.
    """
    classifier = label.classifier
    with forward_precision(config, real.device):
        logits = classifier(real).float()
    loss = F.cross_entropy(logits, classifier.labels(real))
    label.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    label.optimizer.step()
    return loss.detach()


def label_loss(classifier, fake, real_loss) -> torch.Tensor:
    """How much less predictable the fakes' labels are than real rows'.

    The classifier's cross-entropy on fake rows against the labels generated
    with them (no gradient through the labels), less ``real_loss``, its
    cross-entropy on the batch of real rows, and never below zero. The loss
    moves the other columns towards values from which the generated label
    is predicted, until it is predicted as well as real rows' labels are:
    no further, since real labels are not a function of the other columns
    either. (On the fidelity suite this hinge raised the label model more
    than the plain cross-entropy did; see the benchmarks page.)
    """
    target = classifier.labels(fake.detach())
    fake_loss = F.cross_entropy(classifier(fake).float(), target)
    return torch.relu(fake_loss - real_loss)


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
    generator,
    discriminator,
    optimizer,
    config,
    fake,
    condition=None,
    conditions=None,
    label=None,
    real_loss=None,
):
    """One generator update on ``fake = (rows, logits)`` from the critic step.

    ``condition`` is the :class:`~skgan._conditioning.Condition` the fakes
    were generated for, in a conditional fit (``conditions``). ``label`` (a
    :class:`LabelLoss`) adds the label loss, with ``real_loss`` the
    classifier's loss on real rows (see :func:`label_loss`).
    """
    fake, logits = fake
    judges = [discriminator] + ([] if label is None else [label.classifier])
    with forward_precision(config, fake.device):
        # Freeze the critic's (and the classifier's) weights: the generator
        # step needs gradients with respect to the fake rows only, not their
        # weight gradients.
        for module in judges:
            module.requires_grad_(False)
        try:
            g_loss = step_passes(config.compile).fake_loss(
                discriminator, fake, logits, condition, conditions, config
            )
            if label is not None:
                g_loss = g_loss + label.weight * label_loss(
                    label.classifier, fake, real_loss
                )
        finally:
            for module in judges:
                module.requires_grad_(True)
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


@dataclass(frozen=True)
class LabelLoss:
    """The label loss of a fit with ``y`` (``label_loss > 0``)."""

    classifier: torch.nn.Module  # a LabelClassifier
    optimizer: torch.optim.Optimizer
    weight: float


class TrainingStep:
    """One training step, on tensors that stay in place between steps.

    A step is ``n_critic`` critic updates, one generator update and the
    update of the generator's weight ``average`` (a :class:`WeightAverage`).
    Its losses are added to ``d_total`` and ``g_total``, device tensors that
    :meth:`start_epoch` zeroes; an unconditional fit's batches are rows of
    ``index`` (one row of indices per critic update), the only input that
    changes from step to step; a conditional fit draws its conditions and
    their real rows within the step. Where :func:`graph_wanted` says so
    (CUDA, neither compiled nor data-parallel), the step runs eagerly for
    ``_GRAPH_WARMUP_STEPS`` steps, is then captured once as a CUDA graph and
    replayed: one launch per step instead of about a thousand. If capturing
    fails, a warning says so and the steps go on eagerly. ``mix`` (a
    data-parallel fit's) takes and returns each critic update's ``(real
    rows, condition)``, shuffled across the ranks. ``label`` (a
    :class:`LabelLoss`) trains the label classifier on the last critic
    update's real rows and adds its loss on the fakes to the generator's.
    """

    def __init__(
        self,
        generator,
        discriminator,
        g_optimizer,
        d_optimizer,
        table,
        config,
        conditions=None,
        average=None,
        mix=None,
        label=None,
    ):
        self.generator, self.discriminator = generator, discriminator
        self.label = label
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.table, self.config = table, config
        self.conditions, self.average, self.mix = conditions, average, mix
        device = table.device
        self.d_total = torch.zeros((), device=device)
        self.g_total = torch.zeros((), device=device)
        self.index = None  # (n_critic, batch) row indices, unconditional fits
        self._epoch_index = None
        self.graph = None  # the captured step, once there is one
        self._graph_wanted = graph_wanted(device, config, data_parallel=mix is not None)
        self._eager_steps = 0
        self._stream = None  # the side stream of warm-up and capture (CUDA)
        if self._graph_wanted and device.type == "cuda":
            self._stream = torch.cuda.Stream(device)

    def start_epoch(self) -> None:
        """Zero the summed losses; draw the epoch's batches (unconditional)."""
        self.d_total.zero_()
        self.g_total.zero_()
        if self.conditions is None:
            config = self.config
            self._epoch_index = epoch_indices(
                self.table.n_rows, config, self.table.device
            ).view(-1, config.n_critic, config.batch_size)

    def __call__(self, step: int) -> None:
        """Run training step ``step`` (0-based) of the epoch."""
        if self._epoch_index is not None:
            if self.graph is None:
                self.index = self._epoch_index[step]
            else:  # the graph reads its indices from where it was captured
                self.index.copy_(self._epoch_index[step])
        if self.graph is None and self._graph_wanted:
            if self._eager_steps < _GRAPH_WARMUP_STEPS:
                with _on_stream(self._stream):
                    self._run()
                self._eager_steps += 1
                return
            self.graph = self._capture()
        if self.graph is not None:
            self.graph.replay()
        else:
            self._run()

    def _run(self, graphed=False) -> None:
        """The step itself, eagerly (or being captured, with ``graphed``)."""
        config = self.config
        for critic_step in range(config.n_critic):
            if self.conditions is None:
                real, condition = self.table.rows(self.index[critic_step]), None
            else:
                condition = self.conditions.sampler.sample(config.batch_size)
                real = self.table.rows(condition.rows)
            if self.mix is not None:
                real, condition = self.mix(real, condition)
            # The last critic step's fakes (and their condition) are kept
            # for the generator step.
            d_loss, fake = discriminator_step(
                self.generator,
                self.discriminator,
                self.d_optimizer,
                real,
                condition,
                config,
                keep_fake=critic_step == config.n_critic - 1,
            )
            self.d_total += d_loss
        real_loss = None
        if self.label is not None:
            real_loss = classifier_step(self.label, real, config)
        self.g_total += generator_step(
            self.generator,
            self.discriminator,
            self.g_optimizer,
            config,
            fake,
            condition,
            self.conditions,
            self.label,
            real_loss,
        )
        if self.average is not None:
            self.average.update(on_device=graphed)

    def _capture(self):
        """The step as a CUDA graph, or None (with a warning) if it fails."""
        if self.index is not None:  # a copy the graph owns, filled every step
            self.index = self.index.clone()
        graph = new_graph(self.table.device)
        if self.average is not None:
            self.average.count_on_device()
        # The step's gradients are allocated by the captured step itself (as
        # in torch's whole-network capture recipe); the optimizer steps
        # (fused: their step counts are on the device already) are captured.
        for optimizer in self._optimizers():
            optimizer.zero_grad(set_to_none=True)
        self._set_capturable(True)
        try:
            with capture(graph, self._stream):
                self._run(graphed=True)
        except Exception as error:  # any failure: the eager step goes on
            self._graph_wanted = False
            self._set_capturable(False)
            warnings.warn(
                "The training step could not be captured as a CUDA graph "
                f"({type(error).__name__}: {str(error)[:300]}). Training goes "
                "on with the uncaptured step, which gives the same kind of "
                "model more slowly.",
                RuntimeWarning,
                stacklevel=2,
            )
            return None
        return graph

    def _optimizers(self) -> tuple:
        label = () if self.label is None else (self.label.optimizer,)
        return (self.d_optimizer, self.g_optimizer, *label)

    def _set_capturable(self, flag: bool) -> None:
        for optimizer in self._optimizers():
            for group in optimizer.param_groups:
                group["capturable"] = flag


# Eager steps before the step is captured (on a side stream, as torch's CUDA
# graph notes ask, so that lazy initialisations happen before the capture).
_GRAPH_WARMUP_STEPS = 3
# Device types whose fits capture the step as a CUDA graph. (Tests add
# "cpu", with new_graph and capture replaced, to run that code path.)
GRAPH_DEVICES = ("cuda",)


def graph_wanted(device, config, data_parallel: bool) -> bool:
    """Whether a fit's step is captured as a CUDA graph.

    On CUDA, unless the step is compiled (``compile``: torch.compile's own
    kernels) or data-parallel (its collectives run outside the step).
    """
    return device.type in GRAPH_DEVICES and config.compile is None and not data_parallel


def new_graph(device):
    """An empty CUDA graph for ``device``'s step."""
    return torch.cuda.CUDAGraph()


def capture(graph, stream):
    """The context that captures the step's kernels into ``graph``."""
    return torch.cuda.graph(graph, stream=stream)


def _on_stream(stream):
    """Run on ``stream`` (then make the current stream wait), or as is."""
    if stream is None:
        return contextlib.nullcontext()
    return _side_stream(stream)


@contextlib.contextmanager
def _side_stream(stream):
    stream.wait_stream(torch.cuda.current_stream(stream.device))
    try:
        with torch.cuda.stream(stream):
            yield
    finally:
        torch.cuda.current_stream(stream.device).wait_stream(stream)


def train_epoch(step, config, stop=None):
    """One epoch of ``step`` (a :class:`TrainingStep`).

    Returns the mean (d_loss, g_loss) as device tensors, and the number of
    steps done. When ``stop`` (a :class:`~skgan._utils.StopFlag`, a
    host-side bool) is set, the epoch ends after the current step.
    """
    step.generator.train()
    step.discriminator.train()
    if step.label is not None:
        step.label.classifier.train()
    step.start_epoch()
    steps = 0
    while steps < config.steps_per_epoch and not (stop is not None and stop.is_set):
        step(steps)
        steps += 1
    done = max(steps, 1)
    return step.d_total / (done * config.n_critic), step.g_total / done, steps


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
        self.n_updates = 0  # counted on the host (eager updates)
        self._count = None  # counted on the device (a captured update), float64
        pairs = zip(
            self.module.state_dict().values(), module.state_dict().values(), strict=True
        )
        self._floats, self._others = ([], []), ([], [])
        for average, current in pairs:
            group = self._floats if average.is_floating_point() else self._others
            group[0].append(average)
            group[1].append(current)

    def count_on_device(self) -> None:
        """Keep the update count on the device from now on (before capture)."""
        device = self._floats[0][0].device if self._floats[0] else None
        self._count = torch.tensor(float(self.n_updates), dtype=torch.float64)
        self._count = self._count.to(device)

    @torch.no_grad()
    def update(self, on_device=False) -> None:
        """One update. ``on_device`` (after :meth:`count_on_device`): the
        count and the weight are computed on the device, as a CUDA graph
        needs, with the same numbers."""
        if on_device:
            t = self._count
            weight = 1.0 - torch.clamp((1.0 + t) / (10.0 + t), max=self.decay)
            self._count += 1
        else:
            t = self.n_updates
            weight = 1.0 - min(self.decay, (1.0 + t) / (10.0 + t))
            self.n_updates += 1
        if self._floats[0]:
            if on_device:  # computed in float64 and cast, as a Python float
                # weight is: the same weights bit for bit
                weight = [weight.to(self._floats[0][0].dtype)] * len(self._floats[0])
            torch._foreach_lerp_(*self._floats, weight)
        for average, current in zip(*self._others, strict=True):
            average.copy_(current)
