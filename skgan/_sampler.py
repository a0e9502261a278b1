"""GANSampler: the scikit-learn facade over the adversarial training loop."""

from __future__ import annotations

import copy
import dataclasses
import os
import time
import warnings
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._compat import Interval, StrOptions, _fit_context
from ._conditioning import ConditionSampler, ConditionSpace, category_counts
from ._distributed import data_parallel, together
from ._encoding import TableEncoder
from ._networks import Discriminator, Generator, LabelClassifier
from ._scoring import DetectionScore, EarlyStopping
from ._training import (
    Conditioning,
    LabelLoss,
    TrainingConfig,
    TrainingStep,
    WeightAverage,
    train_epoch,
)
from ._utils import (
    COMPILE_MODES,
    adam,
    autocast_dtype,
    compile_options,
    cpu_threads,
    derive_seed,
    flush_denormal,
    make_generator,
    optimizer_state_to,
    resolve_device,
    runs_on_cpu,
    seed_source,
    seeded_torch,
    stop_on_interrupt,
)
from ._validation import (
    check_betas,
    check_labels,
    check_layer_sizes,
    check_n_samples,
    validate_table,
)
from .io import save as _save

# Rows generated per forward pass in ``sample`` (CPU, other devices): the
# networks' working memory is bounded by one chunk, whatever ``n_samples`` is.
# Wide encodings (high-cardinality columns) get fewer rows per chunk, so that
# one chunk's encoded rows stay near _SAMPLE_CHUNK_VALUES floats. On the
# CPU, small chunks keep the activations in cache: sampling the Adult
# integer columns ran at 88,603 rows/s with chunks of 8192 rows and 135,149
# with 2048 (1 thread).
_CPU_SAMPLE_CHUNK = 2048
_DEVICE_SAMPLE_CHUNK = 65536
_SAMPLE_CHUNK_VALUES = 2**22
# Rows generated and decoded at a time by ``sample`` (one block when fewer).
_SAMPLE_BLOCK = 131_072


class GANSampler(BaseEstimator):
    """Learn the distribution of a table with a GAN and sample new rows from it.

    A generator network learns to turn random noise into rows that a
    discriminator (critic) network cannot tell from the real ones. The
    default configuration follows the CTGAN paper: residual generator blocks,
    a critic with LeakyReLU and dropout that scores packs of ``pac`` rows
    (PacGAN), and the WGAN-GP loss. Training runs on the GPU when one is
    available.

    Read more in the :ref:`User Guide <user_guide>`.

    Parameters
    ----------
    categorical_features : "from_dtype", None or array-like, default="from_dtype"
        Which columns are categorical (one-hot encoded and generated as
        categories); the others are continuous. ``"from_dtype"``: category,
        object, string and bool columns of a DataFrame; columns of a string
        ndarray; columns of an object ndarray that hold anything but numbers;
        bool ndarrays. Otherwise a list of column indices or names, or a
        boolean mask over the columns (the convention of scikit-learn's
        HistGradientBoosting estimators); ``None`` means no categorical
        columns.

    conditional : bool, default=True
        Train a conditional generator (CTGAN's training-by-sampling): each
        step fixes one category of one categorical column (rare categories
        are chosen more often than their frequency) and teaches the
        generator to produce it. This makes rare categories and
        ``sample(conditions=...)`` work well. ``False`` gives the plain GAN.
        Ignored when the table has no categorical column and no ``y``.

    continuous_encoding : {"mode-specific", "quantile"}, default="mode-specific"
        How continuous columns are encoded. ``"mode-specific"``: the CTGAN
        paper's mode-specific normalisation (a Gaussian mixture per column;
        a value becomes its mode and its offset within it), plus exact
        "point modes" for values that hold 5 % or more of a column (such as
        the zeros of a capital-gain column); best for tables with skewed and
        multi-modal columns. ``"quantile"``: one scalar per column through a
        map anchored on its 1 % and 99 % quantiles; best for image-like data
        (many columns of bounded intensities), where it trains faster.

    max_modes : int, default=10
        Most Gaussian modes per continuous column in its mode-specific
        normalisation; unneeded modes are pruned (by BIC).

    enforce_rounding : bool, default=True
        Round generated values of each float column to the number of
        decimals its values have in ``fit`` (at most 15): money written with
        cents comes back with cents, a float column of whole numbers comes
        back whole. A column whose values need more than 15 decimals is not
        rounded. Integer columns always come back as integers.

    enforce_min_max_values : bool, default=True
        Clip generated continuous values to the range each column had in
        ``fit``. ``False`` lets the generator extrapolate.

    latent_dim : int, default=128
        Size of the noise vector fed to the generator.

    generator_dims : tuple of int, default=(256, 256)
        Width of each residual block of the generator. Each block's output is
        concatenated with its input, so the representation grows by the
        block's width.

    discriminator_dims : tuple of int, default=(256, 256)
        Width of each hidden layer of the discriminator.

    loss : {"wgan-gp", "bce", "hinge"}, default="wgan-gp"
        Adversarial loss. ``"wgan-gp"`` is the Wasserstein loss with a
        gradient penalty (Gulrajani et al., 2017); ``"bce"`` is the classic
        GAN of Goodfellow et al. (2014) with the non-saturating generator
        loss; ``"hinge"`` is the hinge loss of Lim & Ye (2017).

    gradient_penalty : float, default=10.0
        Weight of the gradient penalty. Used only with ``loss="wgan-gp"``.

    pac : int, default=10
        Number of rows the discriminator scores together (PacGAN). Batches
        are rounded up to a whole number of packs, so any ``batch_size``
        works with any ``pac``.

    n_critic : int, default=1
        Discriminator updates per generator update.

    epochs : int or "auto", default="auto"
        Number of passes over the training data. ``"auto"``: 300 epochs, or
        more on a small table, so that training makes at least 3,000 steps
        (generator updates). An epoch has ``ceil(n_rows / batch_size_)``
        steps, so a table of up to 500 rows gets one step per epoch; 300
        such steps leave the generator far from the data (measured on the
        fidelity suite, see the benchmarks page). With ``warm_start=True``,
        the number of further epochs each call to ``fit`` trains. With early
        stopping, the most epochs ``fit`` trains.

    early_stopping : "auto" or bool, default=False
        Hold back ``validation_fraction`` of the rows, score the generator
        against them as training goes, stop when the score stops improving,
        and keep the generator (and critic) of the best score, not the last.
        ``"auto"`` turns it on when ``X`` has more than 10,000 rows (as in
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`). Off by
        default: on the full Adult table it left the fidelity suite's
        figures unchanged (the user guide has the measurement). The score
        (``validation_score`` in ``history_``) is a two-sample test: a
        gradient-boosting classifier learns to tell the held-back rows (at
        most 5,000) from as many rows generated from a fixed noise, and the
        score is ``2 * (1 - AUC)`` of its 2-fold cross-validated
        predictions: 1 when it cannot tell them apart, 0 when it always can.
        It is computed every ``k = ceil(500 / steps per epoch)`` epochs and
        after the last one. The encoder is fitted on all the rows; the
        networks never see the held-back ones. With ``y``, the split is
        stratified by class.

    validation_fraction : float, default=0.1
        Share of the rows held back for early stopping; in (0, 1). Used only
        when early stopping is on.

    n_iter_no_change : int, default=10
        Early stopping ends training when more than ``n_iter_no_change``
        validation scores in a row did not improve on the best by ``tol``.

    tol : float, default=1e-4
        The improvement of the validation score that counts as one.

    batch_size : int, default=500
        Rows per training step. Capped at the number of training rows and
        rounded up to a multiple of ``pac`` (and to at least 2 rows); the
        value used is stored in ``batch_size_``.

    generator_lr : float, default=2e-4
        Adam learning rate of the generator.

    discriminator_lr : float, default=2e-4
        Adam learning rate of the discriminator.

    betas : tuple of float, default=(0.5, 0.9)
        Adam's ``(beta1, beta2)`` for both networks.

    weight_decay : float, default=1e-6
        Adam weight decay (L2 penalty) for both networks.

    ema_decay : float, default=0.995
        Keep an exponential moving average of the generator's weights along
        training and make it the fitted generator: after every generator
        step, ``average = d * average + (1 - d) * weights``, with
        ``d = min(ema_decay, (1 + t) / (10 + t))`` at the ``t``-th step (a
        warm-up, so that the average does not stay near the initial
        weights). Averaging damps the oscillation of adversarial training
        (Yazici et al., 2019): on the fidelity suite it lowered the detection
        AUC on every table (mean 0.755 to 0.665) at the same fit time (the
        user guide has the measurement). ``0`` turns it off. In [0, 1). With
        early stopping the average is what is scored and kept; checkpoints
        hold it; ``warm_start`` continues training from it (the weights
        before averaging are not kept).

    label_loss : float, default=0.0
        Weight of the label loss, in a fit with ``y``: a classifier (the
        critic's widths) learns along with the networks to predict the
        label of real rows from their other columns, and the generator is
        penalised by how much worse it predicts the labels generated with
        the rows than real rows' labels (the auxiliary classifier of
        CTAB-GAN, Zhao et al., 2021). It teaches the generator how the
        columns predict the label, which a critic scoring whole rows learns
        slowly: it helps short fits most, and makes ``sample(n, y=c)`` rows
        carry their class more clearly. Off by default: on the fidelity
        suite it also made the rows easier to tell from real ones on most
        tables (the user guide has the measurement). ``0`` turns it off;
        ignored without ``y``. Costs about 1.3 times the fit time.

    device : str, default="auto"
        Where to train: ``"auto"`` (CUDA when available, else CPU),
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``. An unavailable
        device is a ValueError at ``fit``. The device used is ``device_``.

    precision : {"float32", "bf16"}, default="float32"
        Arithmetic of the training step on CUDA. ``"bf16"`` runs the forward
        passes (and so their backward passes) under
        :func:`torch.autocast` with bfloat16; weights, optimizer states and
        the loss sums stay float32, and sampling is float32. It needs a GPU
        with bfloat16 support (NVIDIA Ampere or newer). On other devices
        (the CPU included) training stays float32, with identical results,
        and a warning says so.

    compile : bool or str, default=False
        Compile the training step with :func:`torch.compile` on CUDA: its
        forward passes (the generator's, the critic's loss and the
        generator's loss) and so their backward passes; the optimizer
        updates stay uncompiled. ``True`` uses torch.compile's default mode
        (fused kernels); a string is the mode, ``"default"`` or
        ``"max-autotune-no-cudagraphs"``. ``"reduce-overhead"`` and
        ``"max-autotune"`` are deprecated: they add torch.compile's CUDA
        graphs, which crashed this training step, so they warn and compile
        as ``"default"`` and ``"max-autotune-no-cudagraphs"``. The first
        steps of a fit pay the compilation (tens of seconds). Compiled
        kernels round differently, so a seed gives a slightly different
        model than uncompiled. On other devices (the CPU included) the
        step runs uncompiled, with identical results, and a warning says so.
        Sampling is never compiled.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, training noise and the sampling stream.
        An int makes ``fit`` and the sequence of ``sample`` calls
        reproducible on the CPU (same torch version and thread count). The
        global numpy and torch random states are left unchanged.

    n_jobs : int, default=None
        Number of CPU threads torch uses while training and sampling on the
        CPU; torch's setting is restored afterwards. ``None`` keeps torch's
        current setting (all cores by default, one inside joblib workers);
        ``-1`` means all cores, ``-2`` all but one. On a machine shared with
        other busy processes, fewer threads can be much faster: torch's
        threads spin while they wait for each other.

    verbose : int, default=0
        ``0`` is silent; ``1`` prints a line with the epoch's losses and
        time for every epoch of a fit of up to 100 epochs, and for about 100
        evenly spaced epochs (the last included) of a longer one (such as
        ``epochs="auto"`` on a small table); ``2`` or more prints every
        epoch.

    warm_start : bool, default=False
        When True and the estimator is already fitted, ``fit`` continues
        training the same networks (optimizer state included) for ``epochs``
        more epochs instead of starting again.

    checkpoint_path : str or path-like, default=None
        When set, ``fit`` saves the model there with :func:`skgan.save`
        every ``checkpoint_every`` epochs, and when training ends or is
        interrupted (the file is replaced atomically). Resume with
        ``skgan.load(path).set_params(warm_start=True).fit(X)``. A path
        whose folder does not exist is a ValueError before any training.

    checkpoint_every : int, default=10
        Epochs between two checkpoints (counted with ``n_iter_``, across
        ``warm_start`` calls).

    data_parallel : "auto" or bool, default="auto"
        Data-parallel training with :mod:`torch.distributed`. ``"auto"``:
        when ``fit`` runs in a process group of more than one process (a
        script launched with ``torchrun --nproc_per_node=N``), every process
        calls ``fit`` with its own shard of the rows and they train one model
        together: the encoder is fitted once on a sample of all the shards,
        gradients are averaged over the processes at every step, and every
        process ends with the same model. ``batch_size`` is per process (the
        global batch is ``batch_size`` times the number of processes) and an
        epoch covers every process's rows once. ``False`` trains this
        process's rows alone even in a group; ``True`` requires an
        initialised group. See the user guide's section on torchrun.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when ``X`` has
        feature names that are all strings.

    device_ : torch.device
        The device the model was trained on.

    batch_size_ : int
        The batch size used for training (see ``batch_size``).

    classes_ : ndarray of shape (n_classes,)
        The class labels seen in ``fit``. Defined only when ``fit`` received
        ``y`` (a class-conditional model).

    encoder_ : TableEncoder
        Maps the columns to the generator's output space and back.

    generator_ : torch.nn.Module
        The trained generator, kept on the CPU in evaluation mode so that the
        fitted estimator pickles and loads on any machine.

    discriminator_ : torch.nn.Module
        The trained discriminator (critic), on the CPU.

    history_ : list of dict
        One entry per epoch, with keys ``epoch``, ``d_loss``, ``g_loss`` and
        ``seconds``, and ``validation_score`` for the epochs that early
        stopping scored. An epoch cut short by Ctrl-C also has
        ``interrupted=True`` and ``steps`` (the steps it completed): ``fit``
        then stops after the current step, keeps what was trained and warns.

    n_iter_ : int
        Number of epochs trained in total (across ``warm_start`` calls).

    best_validation_score_ : float or None
        With early stopping, the best validation score of the last ``fit``,
        whose networks the model keeps (else None).

    best_epoch_ : int or None
        The epoch of ``best_validation_score_`` (else None).

    See Also
    --------
    sklearn.neighbors.KernelDensity : Kernel density estimate with ``sample``.
    sklearn.mixture.GaussianMixture : Gaussian mixture with ``sample``.

    Notes
    -----
    Continuous columns get mode-specific normalisation (Xu et al., 2019): a
    Gaussian mixture per column, fitted on the training device for all
    columns at once; a value becomes its mode (one-hot) and its offset from
    that mode's mean. Categorical columns are one-hot encoded. Missing values
    are modelled: a continuous column with NaN gets a "missing" indicator, a
    categorical column a "missing" category, so generated rows have missing
    values at about the real rate. Integer columns come back rounded, and
    every column in its training dtype.

    References
    ----------
    Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
    Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017.
    Lin et al., "PacGAN: The power of two samples in generative adversarial
    networks", NeurIPS 2018.
    Xu et al., "Modeling Tabular Data using Conditional GAN", NeurIPS 2019.
    Yazici et al., "The Unusual Effectiveness of Averaging in GAN Training",
    ICLR 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skgan import GANSampler
    >>> X = np.random.RandomState(0).normal(size=(200, 3))
    >>> gan = GANSampler(epochs=2, device="cpu", random_state=0).fit(X)
    >>> gan.sample(5).shape
    (5, 3)

    Mixed-type tables come back with their dtypes, and categorical columns
    can be fixed:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"colour": ["red", "blue"] * 50, "size": np.arange(100)})
    >>> gan = GANSampler(epochs=2, device="cpu", random_state=0).fit(df)
    >>> rows = gan.sample(3, conditions={"colour": "blue"})
    >>> rows["colour"].tolist(), rows["size"].dtype
    (['blue', 'blue', 'blue'], dtype('int64'))
    """

    _parameter_constraints: dict = {
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
        "conditional": ["boolean"],
        "continuous_encoding": [StrOptions({"mode-specific", "quantile"})],
        "max_modes": [Interval(Integral, 1, None, closed="left")],
        "enforce_rounding": ["boolean"],
        "enforce_min_max_values": ["boolean"],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "generator_dims": ["array-like"],
        "discriminator_dims": ["array-like"],
        "loss": [StrOptions({"wgan-gp", "bce", "hinge"})],
        "gradient_penalty": [Interval(Real, 0, None, closed="left")],
        "pac": [Interval(Integral, 1, None, closed="left")],
        "n_critic": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "generator_lr": [Interval(Real, 0, None, closed="neither")],
        "discriminator_lr": [Interval(Real, 0, None, closed="neither")],
        "betas": ["array-like"],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "ema_decay": [Interval(Real, 0, 1, closed="left")],
        "label_loss": [Interval(Real, 0, None, closed="left")],
        "device": [str, torch.device],
        "precision": [StrOptions({"float32", "bf16"})],
        "compile": ["boolean", StrOptions(set(COMPILE_MODES))],
        "random_state": ["random_state"],
        "n_jobs": [
            Interval(Integral, None, -1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "checkpoint_path": [str, os.PathLike, None],
        "checkpoint_every": [Interval(Integral, 1, None, closed="left")],
        "data_parallel": [StrOptions({"auto"}), "boolean"],
    }

    def __init__(
        self,
        *,
        categorical_features="from_dtype",
        conditional=True,
        continuous_encoding="mode-specific",
        max_modes=10,
        enforce_rounding=True,
        enforce_min_max_values=True,
        latent_dim=128,
        generator_dims=(256, 256),
        discriminator_dims=(256, 256),
        loss="wgan-gp",
        gradient_penalty=10.0,
        pac=10,
        n_critic=1,
        epochs="auto",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        batch_size=500,
        generator_lr=2e-4,
        discriminator_lr=2e-4,
        betas=(0.5, 0.9),
        weight_decay=1e-6,
        ema_decay=0.995,
        label_loss=0.0,
        device="auto",
        precision="float32",
        compile=False,
        random_state=None,
        n_jobs=None,
        verbose=0,
        warm_start=False,
        checkpoint_path=None,
        checkpoint_every=10,
        data_parallel="auto",
    ):
        self.categorical_features = categorical_features
        self.conditional = conditional
        self.continuous_encoding = continuous_encoding
        self.max_modes = max_modes
        self.enforce_rounding = enforce_rounding
        self.enforce_min_max_values = enforce_min_max_values
        self.latent_dim = latent_dim
        self.generator_dims = generator_dims
        self.discriminator_dims = discriminator_dims
        self.loss = loss
        self.gradient_penalty = gradient_penalty
        self.pac = pac
        self.n_critic = n_critic
        self.epochs = epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.batch_size = batch_size
        self.generator_lr = generator_lr
        self.discriminator_lr = discriminator_lr
        self.betas = betas
        self.weight_decay = weight_decay
        self.ema_decay = ema_decay
        self.label_loss = label_loss
        self.device = device
        self.precision = precision
        self.compile = compile
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.warm_start = warm_start
        self.checkpoint_path = checkpoint_path
        self.checkpoint_every = checkpoint_every
        self.data_parallel = data_parallel

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the GAN on ``X`` (class-conditionally when ``y`` is given).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows: a DataFrame (numeric, integer, nullable, bool,
            category, object, string and datetime columns), or a numeric,
            string or object ndarray (or a list of lists). Missing values
            (NaN, None, pd.NA, NaT) are modelled; infinite values are
            rejected.

        y : array-like of shape (n_samples,), default=None
            Class labels. When given, the model learns the joint distribution
            of ``X`` and the label, and ``sample(y=...)`` generates rows of
            chosen classes.

        Returns
        -------
        self : GANSampler
            The fitted estimator.
        """
        _check_checkpoint_path(self.checkpoint_path)
        warm = bool(self.warm_start) and self.__sklearn_is_fitted__()
        if not warm:
            self._forget_fit()
        group = data_parallel(self.data_parallel)  # None: this process alone
        architecture = self._architecture()
        betas = check_betas(self.betas)
        X, y, device = together(group, self._check_fit_input, X, y, warm, architecture)
        if group is not None:
            device = group.training_device(device)
        n_total = X.shape[0] if group is None else group.total(X.shape[0])[0]
        rng = seed_source(self.random_state)
        train_seed, sampling_seed = derive_seed(rng), derive_seed(rng)
        int32 = np.iinfo(np.int32).max
        if warm:
            # A continuation must not replay the noise of the epochs before it.
            train_seed = (train_seed + 1_000_003 * self.n_iter_) % int32
        if group is not None:  # every rank its own batches and noise
            train_seed = (train_seed + 7_919 * group.rank) % int32

        with (
            cpu_threads(self.n_jobs, device),
            flush_denormal(device),
            seeded_torch(train_seed, device),
            stop_on_interrupt() as stop,
        ):
            # Modes drawn from their posteriors (seeded), as in the paper.
            mode_seed = derive_seed(rng)
            encoder = self.encoder_ if warm else None
            if group is not None and not warm:  # fitted once, on every rank's sample
                encoder = group.fit_encoder(
                    self._make_encoder(), X, y, n_total, device, train_seed
                )
            if encoder is not None:
                encoded = together(
                    group, encoder.transform, X, y, random_state=mode_seed
                )
            else:
                encoder = self._make_encoder()
                encoded = encoder.fit_transform(
                    X, y, device=device, random_state=train_seed, mode_state=mode_seed
                )
            held_back = None
            if self._early_stopping_on(n_total):
                encoded, held_back = together(
                    group, self._hold_back, encoded, y, derive_seed(rng)
                )
            table = encoder.to_device(*encoded, device)
            conditions = self._conditioning(encoder, table, architecture)
            config = self._config(table.n_rows, group, device)
            networks = self._build_networks(encoder, device, architecture, warm)
            stopping = None
            if held_back is not None:
                stopping = self._early_stopping_rule(
                    held_back, encoder, conditions, config, device, group
                )
            optimizers = self._build_optimizers(*networks, betas, device, warm)
            label = self._label_loss(encoder, device, betas, warm)
            counts = category_counts(
                _category_codes(encoder, table), encoder.category_sizes_
            )
            if group is not None:  # one model: rank 0's weights, averaged steps
                modules, steps = networks, optimizers
                if label is not None:  # the label classifier is one model too
                    modules = (*modules, label.classifier)
                    steps = (*steps, label.optimizer)
                group.broadcast_modules(modules)
                group.average_gradients(steps)
                counts = group.sum(counts)
            fixed = dict(
                encoder=encoder,
                networks=networks,
                optimizers=optimizers,
                device=device,
                architecture=architecture,
                batch_size=config.batch_size,
                category_counts=counts.cpu(),
                sampling_seed=sampling_seed,
                previous=self.history_ if warm else [],
                label=label,
            )
            checkpoint = None
            if self.checkpoint_path is not None and (group is None or group.rank == 0):

                def checkpoint(history, networks):
                    snapshot = copy.copy(self)
                    kept = dict(fixed, networks=networks)
                    snapshot.__dict__.update(
                        self._fitted_attributes(**kept, history=history, snapshot=True)
                    )
                    _save(snapshot, self.checkpoint_path)

            history = self._train(
                *networks,
                *optimizers,
                table,
                config,
                conditions,
                first_epoch=self.n_iter_ + 1 if warm else 1,
                stop=stop,
                checkpoint=checkpoint,
                stopping=stopping,
                group=group,
                label=label,
            )
            if stop.is_set and not history and not warm:
                raise KeyboardInterrupt  # Ctrl-C before any step: nothing to keep
        self.__dict__.update(self._fitted_attributes(**fixed, history=history))
        self.best_validation_score_ = self.best_epoch_ = None
        if stopping is not None and stopping.best_epoch is not None:
            self.best_validation_score_ = stopping.best_score
            self.best_epoch_ = stopping.best_epoch
        return self

    def _early_stopping_on(self, n_rows: int) -> bool:
        if self.early_stopping == "auto":
            return n_rows > _AUTO_EARLY_STOPPING_ROWS
        return bool(self.early_stopping)

    def _hold_back(self, encoded, y, seed):
        """Split the encoded rows: (training part, held-back part)."""
        scalars, codes = encoded
        n = codes.shape[0]
        n_held = int(np.ceil(self.validation_fraction * n))
        if n_held < 2 or n_held >= n:
            raise ValueError(
                f"Early stopping holds back validation_fraction="
                f"{self.validation_fraction} of the rows, and needs at least 2 "
                f"held back and 1 to train on: n_samples = {n} gives {n_held} "
                f"and {n - n_held}. Use more rows, another validation_fraction "
                "or early_stopping=False."
            )
        rows = np.arange(n)
        try:
            train, held = train_test_split(
                rows, test_size=n_held, random_state=seed, stratify=y
            )
        except ValueError:  # a class too rare to stratify: split at random
            train, held = train_test_split(rows, test_size=n_held, random_state=seed)
        train, held = np.sort(train), np.sort(held)
        return (scalars[train], codes[train]), (scalars[held], codes[held])

    def _early_stopping_rule(
        self, held_back, encoder, conditions, config, device, group=None
    ):
        """The :class:`EarlyStopping` of this fit (the mean score of the
        ranks' held-back rows in a data-parallel fit)."""
        scalars, codes = held_back
        if codes.shape[0] > _SCORE_ROWS:  # a fixed subsample of them
            rows = np.random.RandomState(_SCORE_SEED).permutation(codes.shape[0])
            scalars, codes = scalars[rows[:_SCORE_ROWS]], codes[rows[:_SCORE_ROWS]]
        detection = DetectionScore(*encoder.decode_values(scalars, codes))
        n_rows = codes.shape[0]
        latent_dim = config.latent_dim
        chunk = max(256, _SAMPLE_CHUNK_VALUES // encoder.layout_.width)
        space = None if conditions is None else conditions.sampler

        def score(generator):
            # The same noise at every check, so that the scores differ by
            # what the generator learned, not by the draw.
            rng = make_generator(_SCORE_SEED, device)
            generator.eval()
            parts = []
            try:
                with torch.inference_mode():
                    for start in range(0, n_rows, chunk):
                        rows = min(chunk, n_rows - start)
                        parts.append(
                            _draw(generator, rows, latent_dim, space, None, device, rng)
                        )
            finally:
                generator.train()
            scalars = torch.cat([p[0] for p in parts]).to("cpu", torch.float64)
            codes = torch.cat([p[1] for p in parts]).cpu()
            value = detection(*encoder.decode_values(scalars.numpy(), codes.numpy()))
            if group is not None:
                value = group.mean(torch.tensor([value], dtype=torch.float64)).item()
            return value

        every = max(1, -(-_SCORE_STEPS // config.steps_per_epoch))
        return EarlyStopping(score, every, int(self.n_iter_no_change), float(self.tol))

    def _fitted_attributes(
        self,
        *,
        encoder,
        networks,
        optimizers,
        device,
        architecture,
        batch_size,
        category_counts,
        sampling_seed,
        previous,
        history,
        label=None,
        snapshot=False,
    ) -> dict:
        """The fitted attributes, on the CPU so that the model pickles anywhere.

        With ``snapshot`` (a checkpoint during training), the networks are
        copied; otherwise the trained networks themselves move to the CPU.
        """
        cpu = torch.device("cpu")
        if snapshot:
            networks = [copy.deepcopy(module) for module in networks]
        generator, discriminator = (module.to(cpu).eval() for module in networks)
        attributes = {
            "encoder_": encoder,
            "generator_": generator,
            "discriminator_": discriminator,
            "_optimizer_states": tuple(
                optimizer_state_to(o.state_dict(), cpu) for o in optimizers
            ),
            "device_": device,
            "_category_counts": category_counts,
            "_fitted_architecture": architecture,
            "batch_size_": batch_size,
            "history_": previous + history,
            "n_iter_": len(previous) + len(history),
            "_sampling_rng": np.random.RandomState(sampling_seed),
            # The label classifier, for a warm start (never used to sample).
            "_label_state": None
            if label is None
            else {
                "classifier": optimizer_state_to(label.classifier.state_dict(), cpu),
                "optimizer": optimizer_state_to(label.optimizer.state_dict(), cpu),
            },
        }
        if encoder.target_ is not None:
            labels = np.arange(len(encoder.target_.categories))
            attributes["classes_"] = np.asarray(encoder.target_.restore_labels(labels))
        return attributes

    def _check_warm_start(self, architecture, y):
        if architecture != self._fitted_architecture:
            raise ValueError(
                "warm_start=True continues training the fitted networks, so "
                "latent_dim, generator_dims, discriminator_dims, pac and "
                f"conditional cannot change: fitted with "
                f"{self._fitted_architecture}, now {architecture}. Set "
                "warm_start=False to train a new model."
            )
        if (y is None) != (self.encoder_.target_ is None):
            fitted = "with y" if self.encoder_.target_ is not None else "without y"
            raise ValueError(
                f"warm_start=True continues the model fitted {fitted}, so y must "
                "be given again (or not) in the same way. Set warm_start=False "
                "to train a new model."
            )

    def _make_encoder(self):
        return TableEncoder(
            categorical_features=self.categorical_features,
            max_modes=self.max_modes,
            clip=self.enforce_min_max_values,
            rounding=self.enforce_rounding,
            continuous=self.continuous_encoding,
        )

    def _conditioning(self, encoder, table, architecture):
        """The condition sampler of a conditional fit (None for a plain GAN)."""
        if not _is_conditional(encoder, architecture):
            return None
        sampler = ConditionSampler(
            _category_codes(encoder, table), encoder.category_sizes_
        )
        positions = torch.as_tensor(encoder.condition_positions(), device=table.device)
        return Conditioning(sampler=sampler, positions=positions)

    def _forget_fit(self):
        """Drop the previous fit, so a fit that fails part-way is not fitted.

        (Invalid parameters are rejected before ``fit`` runs, as in
        scikit-learn, and leave a previous fit in place.)
        """
        fitted = ("generator_", "discriminator_", "encoder_", "history_", "n_iter_")
        fitted += ("best_validation_score_", "best_epoch_")
        private = (
            "_optimizer_states",
            "_fitted_architecture",
            "_sampling_rng",
            "_category_counts",
            "_label_state",
        )
        for name in fitted + ("device_", "batch_size_", "classes_") + private:
            self.__dict__.pop(name, None)

    def _architecture(self) -> tuple:
        return (
            int(self.latent_dim),
            check_layer_sizes("generator_dims", self.generator_dims),
            check_layer_sizes("discriminator_dims", self.discriminator_dims),
            int(self.pac),
            bool(self.conditional),
        )

    def _config(self, n_rows, group, device) -> TrainingConfig:
        """The training configuration of a fit on ``n_rows`` rows (each
        rank's, in a data-parallel fit: the batch is per rank, and an epoch
        covers the rows of all the ranks once)."""
        if group is None:
            config = self._training_config(n_rows=n_rows)
        else:
            n_total, n_fewest = group.total(n_rows)
            config = self._training_config(n_rows=n_fewest)
            steps = -(-n_total // (config.batch_size * group.world))
            config = dataclasses.replace(config, steps_per_epoch=max(1, steps))
        return dataclasses.replace(
            config,
            autocast=autocast_dtype(self.precision, device),
            compile=compile_options(self.compile, device),
        )

    def _check_fit_input(self, X, y, warm, architecture):
        """Validated ``(X, y, device)`` of a fit."""
        X = validate_table(self, X, reset=not warm)
        y = check_labels(y, X.shape[0])
        device = resolve_device(self.device)
        if warm:
            self._check_warm_start(architecture, y)
        return X, y, device

    def _training_config(self, n_rows: int) -> TrainingConfig:
        pac = int(self.pac)
        batch = min(int(self.batch_size), n_rows)
        # Whole packs, and at least two rows so batch norm has statistics.
        batch = max(-(-batch // pac) * pac, 2 if pac == 1 else pac)
        return TrainingConfig(
            latent_dim=int(self.latent_dim),
            loss=self.loss,
            gradient_penalty=float(self.gradient_penalty),
            n_critic=int(self.n_critic),
            batch_size=batch,
            steps_per_epoch=max(1, -(-n_rows // batch)),
        )

    def _build_networks(self, encoder, device, architecture, warm=False):
        """Networks of ``architecture`` (as :meth:`_architecture` gives)."""
        latent_dim, generator_dims, discriminator_dims, pac, _ = architecture
        layout = encoder.layout_
        # A conditional GAN feeds the condition vector to both networks.
        conditional = _is_conditional(encoder, architecture)
        cond = sum(encoder.category_sizes_) if conditional else 0
        generator = Generator(latent_dim, generator_dims, layout, cond_width=cond)
        discriminator = Discriminator(
            layout.width, discriminator_dims, pac, cond_width=cond
        )
        if warm:
            generator.load_state_dict(self.generator_.state_dict())
            discriminator.load_state_dict(self.discriminator_.state_dict())
        return generator.to(device), discriminator.to(device)

    def _build_optimizers(self, generator, discriminator, betas, device, warm):
        pairs = ((generator, self.generator_lr), (discriminator, self.discriminator_lr))
        return tuple(
            self._adam(
                module, lr, betas, device, self._optimizer_states[i] if warm else None
            )
            for i, (module, lr) in enumerate(pairs)
        )

    def _adam(self, module, lr, betas, device, state=None):
        """Adam for ``module``, continuing ``state`` (a warm start) if given."""
        # capturable: set while a CUDA graph holds the step (see
        # TrainingStep), never carried over by a warm start.
        options = dict(
            lr=lr, betas=betas, weight_decay=self.weight_decay, capturable=False
        )
        optimizer = adam(module.parameters(), device, **options)
        if state is not None:
            optimizer.load_state_dict(state)
            # Learning rates and betas are parameters: the new values win.
            for group in optimizer.param_groups:
                group.update(options)
        return optimizer

    def _label_loss(self, encoder, device, betas, warm=False):
        """The :class:`LabelLoss` of a fit with ``y``, or None.

        A warm start continues the fitted classifier, where the fit before
        had one (models saved before ``label_loss`` existed have none).
        """
        if encoder.target_ is None or self.label_loss == 0:
            return None
        span = encoder.softmax_spans_[encoder.category_spans_[-1]]
        classifier = LabelClassifier(
            encoder.layout_.width,
            (span.start, span.width),
            check_layer_sizes("discriminator_dims", self.discriminator_dims),
        ).to(device)
        state = getattr(self, "_label_state", None) if warm else None
        if state is not None:
            classifier.load_state_dict(state["classifier"])
        optimizer = self._adam(
            classifier,
            self.discriminator_lr,
            betas,
            device,
            None if state is None else state["optimizer"],
        )
        return LabelLoss(classifier, optimizer, float(self.label_loss))

    def _train(
        self,
        generator,
        discriminator,
        g_optimizer,
        d_optimizer,
        table,
        config,
        conditions,
        first_epoch,
        stop=None,
        checkpoint=None,
        stopping=None,
        group=None,
        label=None,
    ):
        """Run the epochs; stop with a warning on divergence or Ctrl-C.

        With ``stopping`` (:class:`~skgan._scoring.EarlyStopping`), score the
        generator when due, end when it says so, and keep its best networks.
        With ``ema_decay``, the generator kept (scored, checkpointed and
        fitted) is the average of its weights. With ``group`` (a
        :class:`~skgan._distributed.DataParallel`), every rank ends each epoch
        with the same losses and decisions, and a Ctrl-C ends training after
        the epoch (never within one: the ranks step together).
        """
        modules = kept = (generator, discriminator)  # kept: what the model keeps
        average = None
        if self.ema_decay > 0:
            average = WeightAverage(generator, self.ema_decay)
            modules, kept = (*modules, average.module), (average.module, discriminator)
        optimizers = (g_optimizer, d_optimizer)
        if label is not None:  # checked and restored with the networks
            modules = (*modules, label.classifier)
            optimizers = (*optimizers, label.optimizer)
        last_good = [copy.deepcopy(m.state_dict()) for m in modules]
        mix = None
        if group is not None:  # real rows pooled across the ranks every step
            mix = group.mixer(int(torch.randint(2**31 - 1, ())), table.device)
        step = TrainingStep(
            generator,
            discriminator,
            g_optimizer,
            d_optimizer,
            table,
            config,
            conditions,
            average=average,
            mix=mix,
            label=label,
        )
        history = []
        saved = 0  # epochs of this fit in the last checkpoint
        last_epoch = first_epoch + n_epochs(self.epochs, config) - 1
        # verbose=1: about 100 lines per fit; verbose >= 2: every epoch.
        every = 1 if self.verbose >= 2 else -(-(last_epoch - first_epoch + 1) // 100)
        for epoch in range(first_epoch, last_epoch + 1):
            start = time.perf_counter()
            d_loss, g_loss, steps = train_epoch(
                step, config, stop=stop if group is None else None
            )
            if steps == 0:  # Ctrl-C between two epochs
                if epoch > 1:  # else nothing was trained: fit raises instead
                    self._warn_interrupted(epoch - 1, None, config)
                break
            weights_finite = torch.stack(
                [p.isfinite().all() for m in modules for p in m.parameters()]
            ).all()
            # The only host synchronisation of the epoch.
            stopped = False  # by a Ctrl-C on some rank, at the end of the epoch
            if group is None:
                d_value, g_value, finite = torch.stack(
                    [d_loss, g_loss, weights_finite.to(d_loss.dtype)]
                ).tolist()
            else:
                d_value, g_value, finite, stopped = group.epoch_end(
                    torch.stack([d_loss, g_loss]),
                    weights_finite,
                    stop is not None and stop.is_set,
                    modules,
                )
            seconds = time.perf_counter() - start
            if not (np.isfinite(d_value) and np.isfinite(g_value) and finite):
                for module, state in zip(modules, last_good, strict=True):
                    module.load_state_dict(state)
                # The optimizers' moments are poisoned too: start them afresh.
                for optimizer in optimizers:
                    optimizer.state.clear()
                kept = (
                    "initial weights"
                    if epoch == 1
                    else f"weights from the end of epoch {epoch - 1}"
                )
                warnings.warn(
                    f"Training diverged at epoch {epoch}: d_loss={d_value}, "
                    f"g_loss={g_value}. Training stopped and the {kept} were "
                    "kept. Try smaller "
                    "generator_lr and discriminator_lr, loss='wgan-gp', or "
                    "fewer epochs.",
                    ConvergenceWarning,
                    stacklevel=4,
                )
                break
            for module, state in zip(modules, last_good, strict=True):
                for name, value in module.state_dict().items():
                    state[name].copy_(value)
            entry = {
                "epoch": epoch,
                "d_loss": d_value,
                "g_loss": g_value,
                "seconds": seconds,
            }
            interrupted = steps < config.steps_per_epoch
            if interrupted:
                entry.update(interrupted=True, steps=steps)
            score = None
            if stopping is not None and not interrupted:
                score = stopping.check(
                    epoch - first_epoch + 1, epoch == last_epoch, epoch, kept
                )
            if score is not None:
                entry["validation_score"] = score
            history.append(entry)
            shown = (epoch - first_epoch + 1) % every == 0 or epoch == last_epoch
            shown = shown and (group is None or group.rank == 0)  # rank 0 prints
            if self.verbose and (shown or interrupted or stopped):
                print(
                    f"[GANSampler] epoch {epoch}/{last_epoch}  "
                    f"d_loss={d_value:.4f}  g_loss={g_value:.4f}  ({seconds:.2f}s)"
                    + ("" if score is None else f"  validation={score:.4f}")
                    + ("  interrupted" if interrupted else ""),
                    flush=True,
                )
            if interrupted or stopped:
                self._warn_interrupted(epoch, None if stopped else steps, config)
                break
            if stopping is not None and stopping.should_stop:
                if self.verbose:
                    print(
                        f"[GANSampler] early stopping after epoch {epoch}: "
                        f"no validation score improved by tol={stopping.tol} in "
                        f"more than {stopping.n_iter_no_change} scores; keeping "
                        f"epoch {stopping.best_epoch} "
                        f"(validation={stopping.best_score:.4f}).",
                        flush=True,
                    )
                break
            if checkpoint is not None and epoch % self.checkpoint_every == 0:
                checkpoint(history, kept)
                saved = len(history)
        if stopping is not None:
            stopping.restore(kept)
        if average is not None:
            generator.load_state_dict(average.module.state_dict())
        # The last checkpoint holds the kept networks, best or last.
        if checkpoint is not None and (len(history) > saved or stopping is not None):
            checkpoint(history, kept)
        return history

    def _warn_interrupted(self, epoch, steps, config):
        where = (
            f"after epoch {epoch}"
            if steps is None
            else f"during epoch {epoch}, after {steps} of "
            f"{config.steps_per_epoch} steps"
        )
        warnings.warn(
            f"Training was interrupted (Ctrl-C) {where}. The model keeps the "
            "weights trained so far; the last entry of history_ says "
            "'interrupted' when an epoch was cut short. Call fit again with "
            "warm_start=True to continue training.",
            UserWarning,
            stacklevel=4,
        )

    # --------------------------------------------------------------- sample

    def sample(
        self, n_samples=1, *, y=None, conditions=None, random_state=None, return_y=False
    ):
        """Generate new rows.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to generate; an int >= 1.

        y : label or array-like of shape (n_samples,), default=None
            Class-conditional models only (fitted with ``y``): the class of
            every generated row, one label for all rows or one per row. By
            default the model generates the labels with the rows, as one more
            categorical column: they follow the training class frequencies as
            the model learned them, and the other columns keep their joint
            distribution with the label.

        conditions : dict, default=None
            Fixed values of categorical columns, as ``{column: value}``
            (column names for a DataFrame fit, indices for an array fit).
            Every returned row has these values. The conditional generator
            is asked for them directly, and rows that still miss are
            replaced by new ones; a ValueError says so when the model
            produces a combination too rarely.

        random_state : int, RandomState instance or None, default=None
            ``None`` draws from the estimator's sampling stream, which is
            created by ``fit`` from ``random_state`` and advanced by every
            call: successive calls return different rows, and refitting with
            the same int ``random_state`` reproduces the same sequence. An int
            gives the same rows on every call.

        return_y : bool, default=False
            Class-conditional models only: also return the labels.

        Returns
        -------
        X_new : ndarray or DataFrame of shape (n_samples, `n_features_in_`)
            Generated rows in the container ``fit`` received: an ndarray of
            the training dtype, or a DataFrame with the same columns, dtypes
            and categories.

        y_new : ndarray or Series of shape (n_samples,)
            The class of each row; returned only when ``return_y=True``.
        """
        blocks = self._sample_blocks(n_samples, y, conditions, random_state, return_y)
        parts = list(blocks)
        X_new, y_new = (_concat_rows([part[i] for part in parts]) for i in (0, 1))
        return (X_new, y_new) if return_y else X_new

    def sample_to_file(
        self, path, n_samples, *, y=None, conditions=None, random_state=None,
        progress=None,
    ):  # fmt: skip
        """Write generated rows to a CSV or Parquet file, block by block.

        The rows are those :meth:`sample` returns for the same arguments
        (the same ``random_state`` gives the same rows), written as they are
        generated, so memory stays that of one block of rows (131,072)
        whatever ``n_samples`` is. The columns are those of ``fit``, in its
        order; a class-conditional model's label is the last column, named as
        ``y`` was (``"y"`` when it had no name, with ``_`` appended while
        that is the name of a column of ``X``). The file is written beside
        ``path`` and renamed when complete: an error or a Ctrl-C leaves no
        partial file and an existing file unchanged.

        Parameters
        ----------
        path : str, path-like or text file object
            The file to write: its suffix says the format, ``.csv`` (a header
            row, no index; ``.csv.gz``, ``.csv.bz2`` and ``.csv.xz`` are
            compressed) or ``.parquet`` / ``.pq`` (needs pyarrow: ``pip
            install "skgan[parquet]"``). A text file object (such as
            ``sys.stdout``) gets CSV, written in place.

        n_samples : int
            Number of rows to write; an int >= 1.

        y, conditions, random_state
            As in :meth:`sample`; ``y`` may be one label or one per row.

        progress : callable, default=None
            Called after each written block as ``progress(rows_written,
            n_samples)``, for a progress bar.

        Returns
        -------
        path : str or file object
            What was written.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from skgan import GANSampler
        >>> X = np.random.RandomState(0).normal(size=(100, 2))
        >>> gan = GANSampler(epochs=2, device="cpu", random_state=0).fit(X)
        >>> path = os.path.join(tempfile.mkdtemp(), "rows.csv")
        >>> path == gan.sample_to_file(path, 1000, random_state=0)
        True
        >>> import pandas as pd
        >>> rows = pd.read_csv(path)
        >>> rows.shape, list(rows.columns)
        ((1000, 2), ['0', '1'])
        >>> np.allclose(rows, gan.sample(1000, random_state=0))
        True
        """
        from ._rowfiles import RowFileWriter

        check_is_fitted(self)
        writer = RowFileWriter(path)  # a bad suffix is an error before any row
        blocks = self._sample_blocks(n_samples, y, conditions, random_state)
        label = label_column(self.encoder_)
        with writer:
            done = 0
            for X, labels in blocks:
                frame = self._as_frame(X)
                if label is not None:
                    frame[label] = np.asarray(labels)
                writer.write(frame)
                done += len(frame)
                if progress is not None:
                    progress(done, n_samples)
        return writer.path

    def _as_frame(self, X):
        """Generated rows as a DataFrame (an array fit's columns named 0, 1, ...)."""
        if isinstance(X, pd.DataFrame):
            return X
        names = [str(info.name) for info in self.encoder_.columns_.infos]
        return pd.DataFrame(X, columns=names)

    def _sample_blocks(self, n_samples, y, conditions, random_state, return_y=False):
        """Check a request; return an iterator over its blocks of ``(X, y)``.

        Block ``i`` (rows ``i * 131,072`` on) is generated from its own seed,
        derived from the request's seed and ``i`` (block 0 from the request's
        seed itself), so that a block's rows do not depend on how many blocks
        came before it or are kept in memory.
        """
        check_is_fitted(self)
        n_samples = check_n_samples(n_samples)
        encoder = self.encoder_
        if encoder.target_ is None and (y is not None or return_y):
            raise ValueError(
                "y and return_y need a class-conditional model: call fit(X, y) "
                "with class labels y first."
            )
        per_row = y is not None and np.ndim(y) > 0
        if per_row:
            y = np.asarray(y, dtype=object)
        # Checked before the stream moves: a call refused for its arguments
        # leaves the following calls' rows unchanged.
        self._fixed_codes(n_samples if per_row else 1, y, conditions)
        stream = self._sampling_rng if random_state is None else random_state
        seed = derive_seed(check_random_state(stream))
        device = self._sampling_device()
        generator = self.generator_
        if device.type != "cpu":
            # A device copy: the fitted generator itself stays on the CPU.
            generator = copy.deepcopy(generator).to(device)

        def blocks():
            # Blocks of rows, generated and decoded one after the other:
            # beyond the rows the caller keeps, memory does not grow with
            # n_samples.
            for index, start in enumerate(range(0, n_samples, _SAMPLE_BLOCK)):
                stop = min(n_samples, start + _SAMPLE_BLOCK)
                wanted = y[start:stop] if per_row else y
                fixed = self._fixed_codes(stop - start, wanted, conditions)
                rng = make_generator(_block_seed(seed, index), device)
                with cpu_threads(self.n_jobs, device), torch.inference_mode():
                    scalars, codes = self._generate(
                        generator, stop - start, fixed, device, rng
                    )
                    rows = encoder.inverse_transform(scalars, codes)
                yield rows

        return blocks()

    def _fixed_codes(self, n_samples, y, conditions) -> dict:
        """Required category codes: {categorical column: codes of shape (n,)}.

        Categorical columns are numbered as in the condition vector: the
        categorical columns of ``X`` in order, then the label.
        """
        encoder = self.encoder_
        fixed = {}
        if conditions is not None:
            if not isinstance(conditions, Mapping):
                raise TypeError(
                    "conditions must be a dict {column: value}; got "
                    f"{type(conditions).__name__}."
                )
            named = {}  # categorical column number -> the key that named it
            for column, value in conditions.items():
                index, code = encoder.condition_code(column, value)
                if index in named:
                    raise ValueError(
                        f"conditions names one column twice, as {named[index]!r} "
                        f"and {column!r}; give each column once."
                    )
                named[index] = column
                fixed[index] = np.full(n_samples, code)
        if encoder.target_ is not None and y is not None:
            # Without y the model generates the labels, as any other column.
            # Drawing them from the class frequencies and conditioning every
            # row on its label would give each class the rows the generator
            # makes when told that class, where conditional GANs lose the
            # rare categories of the other columns (an 11 % category came out
            # at 0.1 %).
            label = len(encoder.category_spans_) - 1
            fixed[label] = encoder.label_codes(y, n_samples)
        return fixed

    def _counts_of(self, index):
        """Training counts of the categories of categorical column ``index``."""
        sizes = self.encoder_.category_sizes_
        start = sum(sizes[:index])
        return self._category_counts[start : start + sizes[index]]

    def _generate(self, generator, n_samples, fixed, device, rng):
        """Generate compact rows; rows breaking ``fixed`` are drawn again.

        Rows needing the same codes form a group. For each group, the
        conditional generator is given the rarest fixed category; generated
        rows that miss any fixed code are discarded and replaced.
        """
        encoder = self.encoder_
        latent_dim = self._fitted_architecture[0]
        chunk = _CPU_SAMPLE_CHUNK if device.type == "cpu" else _DEVICE_SAMPLE_CHUNK
        chunk = max(256, min(chunk, _SAMPLE_CHUNK_VALUES // encoder.layout_.width))
        conditional = _is_conditional(encoder, self._fitted_architecture)
        space = None
        if conditional:
            space = ConditionSpace(
                encoder.category_sizes_, self._category_counts.to(device)
            )
        columns = sorted(fixed)
        if columns:
            required = np.stack([fixed[c] for c in columns], axis=1)
            groups, group_of_row = np.unique(required, axis=0, return_inverse=True)
        else:
            groups, group_of_row = (
                np.zeros((1, 0), dtype=np.int64),
                np.zeros(n_samples, dtype=np.int64),
            )
        spans = encoder.category_spans_[columns] if columns else []
        scalars = np.empty((n_samples, len(encoder.scalar_positions_)))
        codes = np.empty((n_samples, len(encoder.softmax_spans_)), dtype=np.int64)
        for g, group in enumerate(groups):
            targets = np.flatnonzero(group_of_row.ravel() == g)
            native = self._native_position(space, columns, group)
            filled = tried = 0
            while filled < len(targets):
                need = len(targets) - filled
                # Ask for enough rows to fill the group at the acceptance rate
                # seen so far (every row is accepted when nothing is fixed).
                rate = filled / tried if tried else 1.0
                extra = need / max(rate, 0.01) * 1.1 + 1 if columns else need
                rows = min(chunk, max(need, int(extra)))
                new_scalars, new_codes = _draw(
                    generator, rows, latent_dim, space, native, device, rng
                )
                new_scalars = new_scalars.to("cpu", torch.float64).numpy()
                new_codes = new_codes.cpu().numpy()
                ok = np.all(new_codes[:, spans] == group, axis=1)
                take = np.flatnonzero(ok)[:need]
                where = targets[filled : filled + len(take)]
                scalars[where], codes[where] = new_scalars[take], new_codes[take]
                filled += len(take)
                tried += rows
                if filled < len(targets) and tried > 100 * len(targets) + 10_000:
                    raise ValueError(
                        self._rare_message(columns, group, filled, len(targets), tried)
                    )
        return scalars, codes

    def _native_position(self, space, columns, group):
        """The condition-vector position to ask the generator for, or None."""
        if space is None or not columns:
            return None
        # The rarest required category is the hardest to hit by chance.
        column = min(
            columns,
            key=lambda c: self._counts_of(c)[group[columns.index(c)]].item(),
        )
        code = int(group[columns.index(column)])
        return int(space.offsets[column]) + code

    def _rare_message(self, columns, group, filled, wanted, tried):
        described = self.encoder_.describe_codes(columns, group)
        return (
            f"Could generate only {filled} of {wanted} rows with {described}: "
            f"the model produced them in {filled} of {tried} tries. The "
            "combination may be rare or absent in the training data; try fewer "
            "conditions, or train longer with conditional=True."
        )

    def _sampling_device(self) -> torch.device:
        """The training device if this machine has it, else the CPU."""
        try:
            return resolve_device(self.device_)
        except ValueError:
            warnings.warn(
                f"This model was trained on {self.device_}, which is not "
                "available here; sampling on the CPU instead.",
                UserWarning,
                stacklevel=3,
            )
            return torch.device("cpu")

    # --------------------------------------------------------- sklearn glue

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "generator_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = False
        tags.input_tags.string = True
        tags.non_deterministic = not runs_on_cpu(self.device)
        return tags


def _check_checkpoint_path(path):
    """Refuse a checkpoint file that cannot be written, before any training."""
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(
            f"checkpoint_path={os.fspath(path)!r}: the folder {folder} does not "
            "exist. Create it, or choose another path."
        )
    if os.path.isdir(path):
        raise ValueError(
            f"checkpoint_path={os.fspath(path)!r} is a folder; give a file path, "
            f"such as {os.path.join(os.fspath(path), 'model.skgan')!r}."
        )


def _is_conditional(encoder, architecture) -> bool:
    """Whether networks of ``architecture`` take conditions for this encoder.

    ``fit`` passes the architecture it builds; after it, the fitted one
    (``_fitted_architecture``) applies, never the current parameters: a
    parameter changed after ``fit`` applies to the next fit only.
    """
    return bool(architecture[4]) and len(encoder.category_spans_) > 0


def _category_codes(encoder, table) -> torch.Tensor:
    """The training rows' codes in every categorical column (on the device)."""
    spans = torch.tensor(encoder.category_spans_, device=table.device)
    return table.codes[:, spans]


# early_stopping="auto": on for tables of more rows than this (scikit-learn's
# HistGradientBoosting rule).
_AUTO_EARLY_STOPPING_ROWS = 10_000
# Early stopping scores the generator about every this many steps, with as
# many generated rows as held-back rows (at most _SCORE_ROWS of those, a
# fixed subsample), the generated ones always drawn from _SCORE_SEED.
_SCORE_STEPS = 500
_SCORE_ROWS = 5_000
_SCORE_SEED = 20_261_205

# epochs="auto": at least this many epochs and this many steps.
_AUTO_EPOCHS = 300
_AUTO_STEPS = 3_000


def n_epochs(epochs, config) -> int:
    """The number of epochs ``fit`` trains for the ``epochs`` parameter."""
    if epochs != "auto":
        return int(epochs)
    return max(_AUTO_EPOCHS, -(-_AUTO_STEPS // config.steps_per_epoch))


def _draw(generator, rows, latent_dim, space, native, device, rng):
    """``rows`` generated rows in compact form: (tanh values, category codes).

    Conditions are drawn from ``space`` at their real frequencies (a
    :class:`ConditionSpace`; None for a plain GAN), or all set to position
    ``native``. Every random number comes from ``rng``.
    """
    noise = torch.randn(rows, latent_dim, generator=rng, device=device)
    position = None  # of each row's condition
    if space is not None:
        if native is None:
            _, position = space.draw(rows, log_frequency=False, rng=rng)
        else:
            position = torch.full((rows,), native, device=device)
    return generator.sample(noise, position, rng=rng)


def label_column(encoder):
    """The label's column name in a written file: y's name (else "y").

    A model fitted in Python may have a y named like a column of X (a
    GANOverSampler's y is always unnamed, so "y"); "_" is appended until the
    name is new, so that the label never overwrites a column. None for a
    model fitted without y.
    """
    target = encoder.target_
    if target is None:
        return None
    name = "y" if target.series_name is None else str(target.series_name)
    features = {str(info.name) for info in encoder.columns_.infos}
    while name in features:
        name += "_"
    return name


def _block_seed(seed: int, index: int) -> int:
    """The seed of block ``index`` of a sample drawn with ``seed``."""
    if index == 0:
        return seed
    state = np.random.SeedSequence([seed, index]).generate_state(1)[0]
    return int(state) % np.iinfo(np.int32).max


def _concat_rows(parts):
    """Blocks of decoded rows (DataFrames, Series or arrays, or None) as one."""
    if len(parts) == 1 or parts[0] is None:
        return parts[0]
    if hasattr(parts[0], "iloc"):  # pandas: fit received a DataFrame or Series
        return pd.concat(parts, ignore_index=True)
    return np.concatenate(parts)
