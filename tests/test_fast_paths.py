"""The speed paths: each gives the same answer (or the same distribution) as
the plain computation it replaces, and precision="bf16" changes nothing on
the CPU."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import skgan._utils
from skgan import GANSampler
from skgan._encoding import _match_points
from skgan._mixture import ColumnMixtures, fit_column_mixtures
from skgan._networks import Discriminator, Dropout, OutputHead, _softmax

TINY = dict(
    latent_dim=8,
    generator_dims=(16,),
    discriminator_dims=(16,),
    epochs=3,
    batch_size=40,
    pac=4,
    device="cpu",
    random_state=0,
)


@pytest.fixture(scope="module")
def X():
    rng = np.random.RandomState(0)
    # Two 3-level columns (point modes): two softmax spans of one width,
    # activated together as one run.
    return np.column_stack(
        [
            rng.normal(size=300),
            rng.choice(3, 300).astype(float),
            rng.exponential(size=300),
            rng.choice(3, 300).astype(float),
        ]
    )


class CountProducts(TorchDispatchMode):
    """FLOPs of the mm/addmm run inside, optionally only those ``keep`` picks.

    ``keep`` gets the set of both operands' dimensions.
    """

    def __init__(self, keep=None):
        super().__init__()
        self.keep = keep
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func in (torch.ops.aten.mm.default, torch.ops.aten.addmm.default):
            a, b = args[-2:]
            if self.keep is None or self.keep({*a.shape, *b.shape}):
                self.flops += 2 * a.shape[0] * a.shape[1] * b.shape[1]
        return func(*args, **(kwargs or {}))


# ----------------------------------------------------------------- dropout


@pytest.mark.parametrize("p", [0.5, 0.2])
def test_cpu_dropout_keeps_the_right_share_and_rescales(p):
    torch.manual_seed(0)
    drop = Dropout(p).train()
    x = torch.ones(400, 250)  # a width that is not a multiple of 16
    out = drop(x)
    kept = out != 0
    # 100,000 draws: the kept share is within 0.5 % of 1 - p (sd 0.16 %).
    assert abs(kept.float().mean().item() - (1 - p)) < 0.005
    torch.testing.assert_close(out[kept], torch.full_like(out[kept], 1 / (1 - p)))
    # Every column is masked independently (the 16-bit words are unpacked
    # into all positions, not repeated).
    per_column = kept.float().mean(dim=0)
    assert per_column.min() > 1 - p - 0.1 and per_column.max() < 1 - p + 0.1
    # Two calls draw two masks.
    assert not torch.equal(kept, drop(x) != 0)
    # The masks of the gradient penalty (Discriminator.input_gradient).
    mask = drop.mask(x)
    assert abs((mask != 0).float().mean().item() - (1 - p)) < 0.005
    nonzero = mask[mask != 0]
    torch.testing.assert_close(nonzero, torch.full_like(nonzero, 1 / (1 - p)))


def test_cpu_dropout_is_identity_in_eval_and_follows_the_seed():
    x = torch.randn(8, 32)
    assert torch.equal(Dropout(0.5).eval()(x), x)
    torch.manual_seed(3)
    a = Dropout(0.5).train()(x)
    torch.manual_seed(3)
    assert torch.equal(a, Dropout(0.5).train()(x))


def test_gradient_penalty_double_backward_through_cpu_dropout():
    torch.manual_seed(0)
    critic = Discriminator(6, (16, 16), pac=2).train()
    rows = torch.randn(10, 6, requires_grad=True)
    (grad,) = torch.autograd.grad(critic(rows).sum(), rows, create_graph=True)
    penalty = ((grad.norm() - 1) ** 2).sum()
    penalty.backward()
    first = critic.net[0].weight.grad
    assert first is not None and torch.isfinite(first).all() and first.abs().sum() > 0


def _penalty_gradients(critic, rows, explicit):
    """The weights' gradients of a gradient penalty, and the input gradient.

    ``explicit`` uses :meth:`Discriminator.input_gradient`; otherwise
    autograd's double backward, as WGAN-GP is usually written.
    """
    critic.zero_grad(set_to_none=True)
    torch.manual_seed(5)  # the same dropout masks for both
    if explicit:
        grad = critic.input_gradient(rows)
    else:
        x = rows.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(critic.score(x).sum(), x, create_graph=True)
        grad = grad.reshape(len(rows) // critic.pac, -1)
    ((grad.norm(dim=1) - 1) ** 2).mean().backward()
    weights = [
        torch.zeros_like(q) if q.grad is None else q.grad for q in critic.parameters()
    ]
    return grad.detach(), weights


@pytest.mark.parametrize(
    "dropout, training, cond_width",
    [(0.5, True, 0), (0.5, True, 300), (0.0, True, 0), (0.3, False, 0)],
)
def test_explicit_input_gradient_equals_double_backward(dropout, training, cond_width):
    torch.manual_seed(0)
    critic = Discriminator(7, (16, 12), pac=3, dropout=dropout, cond_width=cond_width)
    critic = critic.double().train(training)
    inputs = critic.inputs(
        torch.randn(12, 7, dtype=torch.float64),
        torch.arange(12) if cond_width else None,
    )
    grad, weights = _penalty_gradients(critic, inputs.detach(), explicit=True)
    want_grad, want_weights = _penalty_gradients(
        critic, inputs.detach(), explicit=False
    )
    assert grad.shape == (4, 3 * inputs.shape[1])
    torch.testing.assert_close(grad, want_grad)
    for got, want in zip(weights, want_weights, strict=True):
        torch.testing.assert_close(got, want)
    # Not vacuous: every linear layer's weights get a penalty gradient.
    linear = [m.weight for m in critic.net if isinstance(m, torch.nn.Linear)]
    for w in linear:
        assert w.grad is not None and w.grad.abs().sum() > 0


# ---------------------------------------------------------- output head


@pytest.mark.parametrize("shape", [(50, 1, 7), (50, 3, 4), (50, 1, 40)])
def test_narrow_softmax_equals_torch_softmax_with_gradients(shape):
    x = torch.randn(*shape, dtype=torch.float64) * 5
    x1 = x.clone().requires_grad_(True)
    x2 = x.clone().requires_grad_(True)
    weights = torch.randn(*shape, dtype=torch.float64)
    (_softmax(x1) * weights).sum().backward()
    (torch.softmax(x2, dim=-1) * weights).sum().backward()
    torch.testing.assert_close(_softmax(x1.detach()), torch.softmax(x, dim=-1))
    torch.testing.assert_close(x1.grad, x2.grad)


def test_sampling_head_picks_the_same_categories_as_the_training_head():
    from skgan._encoding import OutputLayout, Span

    # Widths 3, 12, 3: the two 3-wide spans form one group, not adjacent.
    spans = [Span(0, 1, "tanh"), Span(1, 3, "softmax"), Span(4, 12, "softmax")]
    spans += [Span(16, 3, "softmax"), Span(19, 1, "tanh")]
    head = OutputHead(OutputLayout(spans=tuple(spans)))
    logits = torch.randn(2000, 20) * 3
    soft = head(logits, torch.Generator().manual_seed(1))
    scalars, codes = head.sample(logits, torch.Generator().manual_seed(1))
    torch.testing.assert_close(scalars, soft[:, [0, 19]])
    # Codes in the order of the softmax spans (grouped by width inside).
    assert codes.shape == (2000, 3)
    for i, (start, width) in enumerate([(1, 3), (4, 12), (16, 3)]):
        assert torch.equal(codes[:, i], soft[:, start : start + width].argmax(1))
    # The draws are random categories, not the logits' argmax.
    assert not torch.equal(codes[:, 1], logits[:, 4:16].argmax(1))


# --------------------------------------------------------------- mixtures


def test_posterior_mode_draws_follow_the_posterior():
    mix = ColumnMixtures(
        means=torch.tensor([[0.0, 2.0, 50.0]], dtype=torch.float64),
        stds=torch.tensor([[1.0, 1.0, 1.0]], dtype=torch.float64),
        weights=torch.tensor([[0.3, 0.7, 0.0]], dtype=torch.float64),
        active=torch.tensor([[True, True, False]]),
    )
    x = torch.full((200_000, 1), 1.2, dtype=torch.float64)
    posterior = torch.softmax(mix.log_density(x[:1]), dim=-1)[0, 0]
    drawn = mix.choose_modes(x, generator=torch.Generator().manual_seed(0))[:, 0]
    share = torch.bincount(drawn, minlength=3).double() / len(x)
    # sd of a share over 200,000 draws: at most 0.0011.
    torch.testing.assert_close(share, posterior, atol=0.005, rtol=0)
    assert share[2] == 0  # the pruned component is never drawn
    values = torch.tensor([[-3.0], [0.9], [1.1], [40.0]], dtype=torch.float64)
    torch.testing.assert_close(
        mix.most_likely_mode(values), mix.log_density(values).argmax(-1)
    )


def test_mixture_fit_is_unharmed_by_far_outliers():
    # Values 1,000 sd away give log-densities far below exp's underflow; the
    # clamp that keeps exp on its fast path must not turn them into NaN.
    rng = np.random.RandomState(0)
    values = np.concatenate([rng.normal(0, 1, 5000), rng.normal(10, 0.5, 5000)])
    values[:3] = 1000.0
    mixtures = fit_column_mixtures(torch.tensor(values[:, None], dtype=torch.float32))
    means = mixtures.means[0][mixtures.active[0]]
    weights = mixtures.weights[0][mixtures.active[0]]
    assert torch.isfinite(means).all() and torch.isfinite(weights).all()
    heavy = means[weights > 0.3].sort().values
    torch.testing.assert_close(heavy, torch.tensor([0.0, 10.0]), atol=0.1, rtol=0)


def test_point_matching_equals_the_brute_force_comparison():
    g = torch.Generator().manual_seed(0)
    for _ in range(200):
        k, limit = torch.randint(1, 5, (2,), generator=g).tolist()
        X = torch.randint(0, 6, (50, k), generator=g).double()
        points = torch.randint(0, 6, (k, limit), generator=g).double()
        valid = torch.rand(k, limit, generator=g) > 0.4
        equal = (X.unsqueeze(-1) == points) & valid
        expected = torch.where(equal.any(-1), equal.long().argmax(-1), -1)
        assert torch.equal(_match_points(X, points, valid), expected)


# -------------------------------------------------------------- precision


def test_bf16_on_the_cpu_warns_and_changes_nothing(X):
    plain = GANSampler(**TINY).fit(X)
    with pytest.warns(UserWarning, match="precision='bf16' is ignored.*float32"):
        bf16 = GANSampler(**TINY, precision="bf16").fit(X)
    for a, b in zip(
        plain.generator_.parameters(), bf16.generator_.parameters(), strict=True
    ):
        assert torch.equal(a, b)
    np.testing.assert_array_equal(
        plain.sample(500, random_state=0), bf16.sample(500, random_state=0)
    )


def test_autocast_training_path_runs_on_the_cpu(X, monkeypatch):
    """The bf16 code path, run on the CPU by allowing CPU autocast."""
    monkeypatch.setattr(skgan._utils, "AUTOCAST_DEVICES", ("cuda", "cpu"))
    seen = []

    def record(module, inputs, output):
        if isinstance(module, torch.nn.Linear):
            seen.append(output.dtype)

    params = {**TINY, "epochs": 30}
    gan = GANSampler(**params, precision="bf16")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "ignored" warning now
        handle = torch.nn.modules.module.register_module_forward_hook(record)
        try:
            gan.fit(X)
        finally:
            handle.remove()
    assert torch.bfloat16 in seen  # the linear layers did run in bfloat16
    assert all(p.dtype == torch.float32 for p in gan.generator_.parameters())
    assert all(np.isfinite([h["d_loss"], h["g_loss"]]).all() for h in gan.history_)
    plain = GANSampler(**params).fit(X)
    ours, theirs = gan.sample(2000, random_state=0), plain.sample(2000, random_state=0)
    assert not np.array_equal(ours, theirs)  # bfloat16 did change the rounding
    # ... and only the rounding: the same seed trains the same model.
    # Measured: column means within 0.004 of the float32 model's and the
    # shares of column 1's three values equal at three decimals, where the
    # same settings with another seed move the first column's mean by 0.54.
    np.testing.assert_allclose(ours.mean(axis=0), theirs.mean(axis=0), atol=0.05)
    shares = [
        np.bincount(s[:, 1].astype(int), minlength=3) / 2000 for s in (ours, theirs)
    ]
    np.testing.assert_allclose(*shares, atol=0.03)


def test_autocast_conditional_paths_run_on_the_cpu(monkeypatch):
    # The bf16 code path with narrow (one-hot, gathered) and wide (looked-up)
    # conditions: the custom autograd Functions run their forward in
    # bfloat16 and their backward under the same autocast.
    import skgan._networks as networks

    monkeypatch.setattr(skgan._utils, "AUTOCAST_DEVICES", ("cuda", "cpu"))
    seen = []
    hot_linear = networks._hot_linear

    def record(*args, **kwargs):
        out = hot_linear(*args, **kwargs)
        seen.append((args[3] is not None, out.dtype))
        return out

    monkeypatch.setattr(networks, "_hot_linear", record)
    rng = np.random.RandomState(0)
    for levels in (5, 200):
        X = pd.DataFrame(
            {
                "c": rng.choice([f"v{i}" for i in range(levels)], 600),
                "x": rng.normal(size=600),
            }
        )
        gan = GANSampler(**{**TINY, "epochs": 2}, precision="bf16").fit(X)
        assert all(np.isfinite([h["d_loss"], h["g_loss"]]).all() for h in gan.history_)
        assert all(p.dtype == torch.float32 for p in gan.discriminator_.parameters())
        out = gan.sample(40, conditions={"c": "v3"})
        assert (out["c"] == "v3").all()
    # Narrow conditions went through the gathering path in bfloat16.
    assert (True, torch.bfloat16) in seen


# torch 2.13 deprecates the legacy calls that torch 2.2 offers.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_autocast_state_with_the_torch_2_2_api(monkeypatch):
    # pyproject allows torch >= 2.2, where torch.is_autocast_enabled takes no
    # device and torch.get_autocast_dtype does not exist.
    from skgan._networks import _autocast_state

    x = torch.ones(2)
    assert _autocast_state(x) is None
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert _autocast_state(x) == ("cpu", torch.bfloat16)
        new_api = torch.is_autocast_enabled

        def old_is_enabled(*args):
            if args:
                raise TypeError("is_autocast_enabled() takes 0 positional arguments")
            return new_api("cuda")

        monkeypatch.setattr(torch, "is_autocast_enabled", old_is_enabled)
        monkeypatch.delattr(torch, "get_autocast_dtype")
        assert _autocast_state(x) == ("cpu", torch.bfloat16)
    assert _autocast_state(x) is None


# ----------------------------------------------------------------- compile


def _same_networks(a, b):
    for net in ("generator_", "discriminator_"):
        pairs = zip(
            getattr(a, net).state_dict().values(),
            getattr(b, net).state_dict().values(),
            strict=True,
        )
        if not all(torch.equal(p, q) for p, q in pairs):
            return False
    return True


def test_compile_on_the_cpu_warns_and_changes_nothing(X, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("torch.compile was called on the CPU")

    monkeypatch.setattr(torch, "compile", refuse)
    plain = GANSampler(**TINY).fit(X)
    for value in (True, "reduce-overhead"):
        with pytest.warns(UserWarning, match=r"compile=.* is ignored.*CUDA only"):
            compiled = GANSampler(**TINY, compile=value).fit(X)
        assert _same_networks(plain, compiled)
        np.testing.assert_array_equal(
            plain.sample(500, random_state=0), compiled.sample(500, random_state=0)
        )


def _conditional_table(levels, n=400):
    rng = np.random.RandomState(1)
    return pd.DataFrame(
        {
            "c": rng.choice([f"v{i}" for i in range(levels)], n),
            "x": rng.normal(size=n),
            "k": rng.choice(["a", "b", "c"], n),
        }
    )


# Raised inside dynamo, which instantiates the autograd Functions it traces.
@pytest.mark.filterwarnings("ignore:.*should not be instantiated:DeprecationWarning")
@pytest.mark.parametrize(
    "table", ["numeric", "narrow", "wide", "hinge, 2 critic steps"]
)
def test_compiled_step_equals_the_eager_step(X, table, monkeypatch):
    """The compiled code path, run on the CPU with torch's aot_eager backend.

    aot_eager traces the step's passes with dynamo and AOTAutograd (the
    custom autograd Functions included) and runs the traced graphs with
    torch's own kernels, so the weights must come out bit for bit the same
    as without compiling. A pass that compiles differently (a wrong graph,
    a lost gradient, a different random draw) changes them.
    """
    import skgan._training as training

    data = {"numeric": X, "narrow": _conditional_table(5)}.get(table)
    if data is None:
        data = _conditional_table(200)  # a condition wider than 128: embedded
    params = {**TINY, "epochs": 2}
    if table.startswith("hinge"):
        # No penalty, and a critic step whose fakes need no graph.
        data, params = X, {**params, "loss": "hinge", "n_critic": 2}
    eager = GANSampler(**params).fit(data)

    aot_eager = torch._dynamo.lookup_backend("aot_eager")
    graphs = []

    def backend(graph, example_inputs):  # aot_eager, counting the graphs
        graphs.append(graph)
        return aot_eager(graph, example_inputs)

    monkeypatch.setattr(skgan._utils, "COMPILE_DEVICES", ("cuda", "cpu"))
    monkeypatch.setattr(skgan._utils, "COMPILE_BACKEND", backend)
    compiled_with = []
    real_compile = torch.compile

    def spy(fn, **kwargs):
        compiled_with.append((fn.__name__, kwargs))
        return real_compile(fn, **kwargs)

    monkeypatch.setattr(torch, "compile", spy)
    training.step_passes.cache_clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            compiled = GANSampler(**params, compile=True).fit(data)
    finally:
        training.step_passes.cache_clear()
    assert not [w for w in caught if "is ignored" in str(w.message)]
    assert sorted(name for name, _ in compiled_with) == [
        "critic_loss",
        "fake_loss",
        "fake_rows",
    ]
    assert all(kw == {"backend": backend, "mode": None} for _, kw in compiled_with)
    assert len(graphs) >= 3  # dynamo did trace the passes into graphs
    assert _same_networks(eager, compiled)
    assert [h["d_loss"] for h in eager.history_] == [
        h["d_loss"] for h in compiled.history_
    ]
    # The fitted networks are the plain modules: the model pickles as usual.
    assert type(compiled.generator_).__name__ == "Generator"
    np.testing.assert_array_equal(
        np.asarray(eager.sample(200, random_state=0)),
        np.asarray(pickle.loads(pickle.dumps(compiled)).sample(200, random_state=0)),
    )


def test_compile_options_name_the_mode():
    from skgan._utils import compile_options

    cuda_device = torch.device("cuda")
    assert compile_options(False, cuda_device) is None
    assert compile_options(np.False_, cuda_device) is None
    assert compile_options(True, cuda_device) == ("inductor", "default")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the modes without CUDA graphs: silent
        for mode in ("default", "max-autotune-no-cudagraphs"):
            assert compile_options(mode, cuda_device) == ("inductor", mode)
    # The modes that add CUDA graphs crashed the step on CUDA: deprecated,
    # compiled without the graphs.
    for mode, instead in [
        ("reduce-overhead", "default"),
        ("max-autotune", "max-autotune-no-cudagraphs"),
    ]:
        with pytest.warns(FutureWarning, match=f"compile='{mode}' is deprecated"):
            assert compile_options(mode, cuda_device) == ("inductor", instead)
    with pytest.raises(ValueError, match="compile"):
        GANSampler(**TINY, compile="fastest").fit(np.ones((20, 2)))


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@cuda
@pytest.mark.cuda
# Raised inside dynamo, which instantiates the autograd Functions it traces.
@pytest.mark.filterwarnings("ignore:.*should not be instantiated:DeprecationWarning")
@pytest.mark.parametrize("option", [{"precision": "bf16"}, {"compile": True}])
def test_gpu_fast_paths_train_the_same_model_on_cuda(X, option):
    if "precision" in option and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    params = {**TINY, "device": "cuda", "epochs": 30}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gan = GANSampler(**params, **option).fit(X)
    assert not [w for w in caught if "is ignored" in str(w.message)]
    assert all(np.isfinite([h["d_loss"], h["g_loss"]]).all() for h in gan.history_)
    plain = GANSampler(**params).fit(X)
    ours, theirs = gan.sample(2000, random_state=0), plain.sample(2000, random_state=0)
    assert np.isfinite(ours).all()
    assert set(np.unique(ours[:, 1])) <= {0.0, 1.0, 2.0}
    # bfloat16 and compiled kernels change the rounding, and CUDA is not
    # bit-reproducible: the same model up to that, with a wider tolerance
    # than on the CPU.
    np.testing.assert_allclose(ours.mean(axis=0), theirs.mean(axis=0), atol=0.15)


def test_penalty_mixes_first_layer_outputs_like_the_rows():
    # gradient_penalty mixes the real and fake packs' first-layer outputs
    # (one weight per pack) instead of passing mixed rows through the first
    # layer: the layer is linear, so the penalty and its weight gradients
    # are those of the mixed rows, dropout masks and all.
    from skgan._training import gradient_penalty

    torch.manual_seed(0)
    critic = Discriminator(7, (16, 12), pac=3).double().train()
    real, fake = torch.randn(2, 12, 7, dtype=torch.float64)
    torch.manual_seed(4)
    want_scores = critic.score(torch.cat([real, fake]))
    torch.manual_seed(4)
    scores, first = critic.score(torch.cat([real, fake]), keep_first=True)
    torch.testing.assert_close(scores, want_scores, rtol=0, atol=0)
    assert not first.requires_grad and first.shape == (8, 16)

    def penalty_and_gradients(mixed_rows):
        critic.zero_grad(set_to_none=True)
        torch.manual_seed(5)
        if mixed_rows:
            alpha = torch.rand(4, 1, dtype=torch.float64).repeat_interleave(3, 0)
            rows = alpha * real + (1 - alpha) * fake
            norms = critic.input_gradient(rows).norm(dim=1)
            penalty = ((norms - 1.0) ** 2).mean()
        else:
            penalty = gradient_penalty(critic, *first.chunk(2))
        penalty.backward()
        grads = [q.grad for q in critic.parameters()]
        return penalty.detach(), [0 if g is None else g.clone() for g in grads]

    got, got_grads = penalty_and_gradients(mixed_rows=False)
    want, want_grads = penalty_and_gradients(mixed_rows=True)
    # gradient_penalty takes the norms in float32.
    torch.testing.assert_close(got, want.float())
    for a, b in zip(got_grads, want_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert got_grads[0].abs().sum() > 0


def test_critic_packs_narrow_conditions_without_writing_out_the_one_hot():
    # Discriminator(rows, positions) equals scoring the written-out inputs
    # (score(inputs(...))): scores, first-layer outputs and every gradient,
    # with the same dropout masks; its first-layer products skip the
    # one-hot columns.
    torch.manual_seed(0)
    critic = Discriminator(7, (12, 10), pac=3, cond_width=5).double().train()
    rows = torch.randn(12, 7, dtype=torch.float64)
    position = torch.tensor([0, 4, 4, 2, 1, 0, 3, 3, 3, 0, 2, 4])

    def run(packed):
        critic.zero_grad(set_to_none=True)
        x = rows.clone().requires_grad_(True)
        torch.manual_seed(7)
        # Only the first layer's products: those with its 21 or 36 inputs.
        with CountProducts(lambda shapes: {21, 36} & shapes) as counter:
            if packed:
                scores, first = critic(x, position, keep_first=True)
            else:
                scores, first = critic.score(critic.inputs(x, position), True)
            (scores * torch.arange(1.0, 5.0, dtype=torch.float64)).sum().backward()
        grads = [q.grad.clone() for q in critic.parameters()] + [x.grad]
        return scores.detach(), first, grads, counter.flops

    got, got_first, got_grads, flops = run(packed=True)
    want, want_first, want_grads, dense_flops = run(packed=False)
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(got_first, want_first)
    for a, b in zip(got_grads, want_grads, strict=True):
        torch.testing.assert_close(a, b)
    # Forward, weight gradient and input gradient of 4 packs, 12 outputs:
    # over 3 x 7 row inputs instead of 3 x (7 + 5).
    assert flops == 3 * 2 * 4 * 21 * 12 and dense_flops == 3 * 2 * 4 * 36 * 12
    assert got_grads[0].abs().sum() > 0

    # Under (CPU) autocast the backward runs in bfloat16 too, and the weight
    # gradients come back in float32.
    critic = critic.float()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        scores = critic(rows.float(), position)
    assert scores.dtype == torch.bfloat16
    scores.float().sum().backward()
    assert critic.net[0].weight.grad.dtype == torch.float32
    assert torch.isfinite(critic.net[0].weight.grad).all()


@cuda
@pytest.mark.cuda
def test_explicit_input_gradient_on_cuda():
    torch.manual_seed(0)
    critic = Discriminator(7, (16, 12), pac=3).double().to("cuda").eval()
    rows = torch.randn(12, 7, dtype=torch.float64, device="cuda")
    grad, weights = _penalty_gradients(critic, rows, explicit=True)
    want_grad, want_weights = _penalty_gradients(critic, rows, explicit=False)
    torch.testing.assert_close(grad, want_grad)
    for got, want in zip(weights, want_weights, strict=True):
        torch.testing.assert_close(got, want)
    # In training mode the masks are Bernoulli draws on the device.
    mask = critic.train().net[2].mask(torch.ones(400, 250, device="cuda"))
    assert mask.device.type == "cuda"
    assert abs((mask != 0).float().mean().item() - 0.5) < 0.005
    assert set(mask.unique().tolist()) == {0.0, 2.0}


def test_generator_runs_once_per_training_step(X, monkeypatch):
    # n_critic=3: two critic updates on fakes generated without a graph, and
    # a third whose fakes (generated with a graph) the generator update
    # reuses; the generator update runs no forward pass of its own.
    from skgan._networks import Generator

    calls = []
    forward = Generator.forward

    def spy(self, *args, **kwargs):
        calls.append(torch.is_grad_enabled())
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(Generator, "forward", spy)
    gan = GANSampler(**{**TINY, "epochs": 2, "n_critic": 3}).fit(X)
    with_graph = sum(calls)
    assert with_graph > 0 and len(calls) == 3 * with_graph
    # One generator update per step: an epoch is ceil(rows / batch) steps.
    assert with_graph == 2 * -(-len(X) // gan.batch_size_)


@pytest.mark.parametrize("with_one_hot", [False, True])
def test_concat_linear_computes_only_the_products_needed(with_one_hot):
    from skgan._networks import OneHot, concat_linear

    torch.manual_seed(0)
    hot = 9 if with_one_hot else 0
    linear = torch.nn.Linear(5 + 3 + 4 + 2 + hot, 6).double()
    # Needs a gradient: yes, no, yes, yes (two runs: 5 and 4 + 2 columns).
    parts = [torch.randn(7, w, dtype=torch.float64) for w in (5, 3, 4, 2)]
    for part, need in zip(parts, (True, False, True, True), strict=True):
        part.requires_grad_(need)
    position = torch.tensor([0, 8, 3, 3, 5, 0, 1])  # repeats add up
    extra = [OneHot(position, hot)] if with_one_hot else []
    weights = torch.randn(7, 6, dtype=torch.float64)
    with CountProducts() as counter:
        (concat_linear(linear, parts + extra) * weights).sum().backward()
    got = [linear.weight.grad, linear.bias.grad] + [p.grad for p in parts]
    # Forward and weight gradient on the 14 dense columns (a one-hot is
    # gathered and scattered, never multiplied out), and the input gradients
    # of 5 + 4 + 2 columns.
    assert counter.flops == 2 * 7 * 6 * (14 + 14 + 11)
    assert parts[1].grad is None

    linear.zero_grad(set_to_none=True)
    copies = [p.detach().clone().requires_grad_(True) for p in parts]
    dense = copies + ([torch.eye(hot, dtype=torch.float64)[position]] if hot else [])
    (linear(torch.cat(dense, dim=1)) * weights).sum().backward()
    want = [linear.weight.grad, linear.bias.grad] + [p.grad for p in copies]
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        if i != 3:  # the part without gradient
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_sampling_trunk_folds_batch_norm_and_matches_the_blocks():
    from skgan._encoding import OutputLayout, Span
    from skgan._networks import Generator

    torch.manual_seed(0)
    layout = OutputLayout(spans=(Span(0, 1, "tanh"), Span(1, 5, "softmax")))
    generator = Generator(16, (32, 24), layout)
    for _ in range(5):  # batch statistics away from the initial 0 and 1
        generator(torch.randn(64, 16) * 3 + 1)
    generator.eval()
    noise = torch.randn(500, 16)
    with torch.no_grad():
        blocks = torch.cat(generator.blocks([noise]), dim=1)
        trunk = generator._inference_trunk([noise])
    # [h2, h1, noise], as the concatenations of the blocks lay them out.
    assert trunk.shape == (500, 16 + 32 + 24)
    torch.testing.assert_close(trunk, blocks, rtol=1e-5, atol=1e-5)
    assert torch.equal(trunk[:, -16:], noise)
    # Sampling takes the trunk (no grad, eval mode), training the blocks.
    with torch.no_grad():
        scalars, codes = generator.sample(noise, rng=torch.Generator().manual_seed(1))
    logits = generator.linear(blocks)
    want_scalars, _ = generator.head.sample(logits, torch.Generator().manual_seed(1))
    torch.testing.assert_close(scalars, want_scalars, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cond_width", [5, 200])
def test_sampling_and_training_paths_agree_with_conditions(cond_width):
    # With a condition, narrow (a OneHot, gathered) or wide (an embedding):
    # the sampling path (folded trunk, no autograd) gives the logits of the
    # training path (concat_linear) and of plain layers on the written-out
    # one-hot rows.
    from skgan._encoding import OutputLayout, Span
    from skgan._networks import Generator

    torch.manual_seed(0)
    layout = OutputLayout(spans=(Span(0, 2, "tanh"), Span(2, 5, "softmax")))
    generator = Generator(16, (32, 24), layout, cond_width=cond_width)
    for _ in range(5):
        generator(torch.randn(64, 16) * 3 + 1, torch.randint(0, cond_width, (64,)))
    generator.eval()
    noise, position = torch.randn(300, 16), torch.randint(0, cond_width, (300,))
    with torch.no_grad():
        sampling = generator._logits(noise, position)
        x = torch.cat([noise, generator.embed(position)], dim=1)  # dense input
        for block in generator.blocks:
            x = torch.cat([torch.relu(block.norm(block.linear(x))), x], dim=1)
        plain = generator.linear(x)
    training = generator._logits(noise, position)  # grad enabled
    assert training.requires_grad
    torch.testing.assert_close(sampling, plain, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(training.detach(), plain, rtol=1e-5, atol=1e-5)
    # Not vacuous: the condition moves the logits.
    with torch.no_grad():
        other = generator._logits(noise, (position + 1) % cond_width)
    assert (other - sampling).abs().max() > 1e-3


def test_wide_condition_is_embedded_once_per_network_pass(monkeypatch):
    # A 150-level column makes the condition wider than CONDITION_EMBEDDING,
    # so both networks embed it (a learned linear map, looked up). Per step: the
    # generator once, the critic once in its update (real and fake rows share
    # the condition) and once in the generator update.
    import skgan._networks as networks

    calls = [0]
    forward = networks.ConditionInput.forward

    def counting(self, position):
        calls[0] += 1
        return forward(self, position)

    monkeypatch.setattr(networks.ConditionInput, "forward", counting)
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(150, 300).astype(str)})
    gan = GANSampler(**{**TINY, "epochs": 2}).fit(X)
    assert gan.discriminator_.embed.weight is not None  # a learned embedding
    assert calls[0] == 3 * 2 * -(-len(X) // gan.batch_size_)
