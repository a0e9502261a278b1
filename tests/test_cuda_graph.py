"""The training step replayed as a CUDA graph (skgan._training.TrainingStep).

The graph path runs on CUDA only. On the CPU these tests run the same code
path with a stand-in for the graph: "capturing" runs the step's Python code
once and then undoes what its kernels did (weights, optimizer moments,
losses, random state), as a real capture records kernels without running
them; "replaying" runs the captured step again. What they check: the step
reads its inputs from buffers that stay in place (the unconditional batch
indices are copied in before every replay), the weight average counts on
the device, the losses are summed, and the result is the eager step's, bit
for bit. A failed capture warns and trains on eagerly.
"""

import contextlib
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

import skgan._training as training
from skgan import GANSampler

TINY = dict(
    latent_dim=8,
    generator_dims=(16,),
    discriminator_dims=(16,),
    epochs=4,
    batch_size=40,
    pac=4,
    device="cpu",
    random_state=0,
)


@pytest.fixture(scope="module")
def table():
    rng = np.random.RandomState(0)
    return pd.DataFrame(
        {
            "x": rng.normal(size=200),
            "k": rng.choice(["a", "b", "c"], 200),
            "z": rng.exponential(size=200),
        }
    )


class FakeGraph:
    """Stands in for torch.cuda.CUDAGraph: replaying reruns the captured step."""

    def __init__(self, log):
        self.log = log
        self.step = None

    def replay(self):
        self.log.append("replay")
        # A replay runs kernels, not Python: it may change no count kept on
        # the host (such a count would be frozen at its captured value).
        average = self.step.average
        before = None if average is None else average.n_updates
        # ... and it reads its inputs from the memory it was captured with.
        index = self.step.index
        assert (index is None) == (self.index_address is None)
        assert index is None or index.data_ptr() == self.index_address
        self.step._run(graphed=True)
        assert before is None or average.n_updates == before


def _state_tensors(step):
    tensors = [step.d_total, step.g_total]
    modules = [step.generator, step.discriminator]
    if step.average is not None:
        modules.append(step.average.module)
        tensors.append(step.average._count)
    if step.label is not None:
        modules.append(step.label.classifier)
    for module in modules:
        tensors += list(module.state_dict().values())
    for optimizer in step._optimizers():
        for state in optimizer.state.values():
            tensors += [v for v in state.values() if isinstance(v, torch.Tensor)]
    return tensors


def use_fake_graphs(monkeypatch):
    """Capture on the CPU with FakeGraph; returns the log of captures/replays."""
    log = []
    steps = []
    init = training.TrainingStep.__init__

    def recording_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        steps.append(self)

    @contextlib.contextmanager
    def capture(graph, stream):
        step = steps[-1]
        assert stream is None  # no CUDA stream on the CPU
        tensors = _state_tensors(step)
        saved = [t.clone() for t in tensors]
        rng = torch.get_rng_state()
        capturable = [
            g["capturable"] for o in step._optimizers() for g in o.param_groups
        ]
        assert all(capturable)  # the optimizers' steps may be captured
        try:
            yield
        finally:  # a capture records kernels, it does not run them
            for t, value in zip(tensors, saved, strict=True):
                t.copy_(value)
            torch.set_rng_state(rng)
        graph.step = step
        graph.index_address = None if step.index is None else step.index.data_ptr()
        log.append("capture")

    monkeypatch.setattr(training, "GRAPH_DEVICES", ("cuda", "cpu"))
    monkeypatch.setattr(training.TrainingStep, "__init__", recording_init)
    monkeypatch.setattr(training, "new_graph", lambda device: FakeGraph(log))
    monkeypatch.setattr(training, "capture", capture)
    return log


def _weights(gan):
    return [
        v.clone()
        for net in (gan.generator_, gan.discriminator_)
        for v in net.state_dict().values()
    ]


def _assert_same_fit(a, b):
    for p, q in zip(_weights(a), _weights(b), strict=True):
        assert torch.equal(p, q)
    assert [h["d_loss"] for h in a.history_] == [h["d_loss"] for h in b.history_]
    assert [h["g_loss"] for h in a.history_] == [h["g_loss"] for h in b.history_]


@pytest.mark.parametrize(
    "params",
    [
        {},  # conditional, weight average on
        {"conditional": False},  # batches from the epoch's index buffer
        {"conditional": False, "n_critic": 2, "loss": "hinge", "ema_decay": 0.0},
    ],
    ids=["conditional", "unconditional", "two critic steps"],
)
def test_the_graphed_step_trains_the_eager_model_bit_for_bit(
    table, params, monkeypatch
):
    eager = GANSampler(**TINY, **params).fit(table)
    log = use_fake_graphs(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        graphed = GANSampler(**TINY, **params).fit(table)
    # 5 steps an epoch, 4 epochs: 3 eager warm-up steps, one capture, and
    # every other step replayed.
    assert log == ["capture"] + ["replay"] * 17
    _assert_same_fit(graphed, eager)
    np.testing.assert_array_equal(
        graphed.sample(100, random_state=0).to_numpy(),
        eager.sample(100, random_state=0).to_numpy(),
    )


def test_the_graphed_step_with_the_label_loss_trains_the_eager_model(
    table, monkeypatch
):
    X, y = table.drop(columns="k"), table["k"]
    params = dict(TINY, label_loss=1.0)
    eager = GANSampler(**params).fit(X, y)
    log = use_fake_graphs(monkeypatch)
    graphed = GANSampler(**params).fit(X, y)
    assert log == ["capture"] + ["replay"] * 17
    _assert_same_fit(graphed, eager)
    for name, value in graphed._label_state["classifier"].items():
        assert torch.equal(value, eager._label_state["classifier"][name])


def test_a_graph_that_skips_the_index_copy_would_be_caught(table, monkeypatch):
    # The check above can fail: a step that read its batches from where the
    # epoch's indices were when it was captured (no copy before each
    # replay) trains a different model.
    params = {**TINY, "conditional": False}
    eager = GANSampler(**params).fit(table)
    use_fake_graphs(monkeypatch)
    call = training.TrainingStep.__call__

    def no_copy(self, step):
        if self.graph is not None:
            return self.graph.replay()
        return call(self, step)

    monkeypatch.setattr(training.TrainingStep, "__call__", no_copy)
    graphed = GANSampler(**params).fit(table)
    assert not all(
        torch.equal(p, q)
        for p, q in zip(_weights(graphed), _weights(eager), strict=True)
    )


def test_the_weight_average_counts_on_the_device_with_the_same_numbers():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    host = training.WeightAverage(module, 0.99)
    device = training.WeightAverage(module, 0.99)
    for t in range(40):
        with torch.no_grad():
            for p in module.parameters():
                p.add_(torch.randn_like(p))
        module(torch.randn(8, 3))  # batch-norm statistics move too
        host.update()
        if t == 5:
            device.count_on_device()
        device.update(on_device=t >= 5)
    assert device._count.item() == 40 and device.n_updates == 5
    for a, b in zip(
        host.module.state_dict().values(),
        device.module.state_dict().values(),
        strict=True,
    ):
        assert torch.equal(a, b)


def test_a_failed_capture_warns_once_and_trains_on_eagerly(table, monkeypatch):
    eager = GANSampler(**TINY).fit(table)
    monkeypatch.setattr(training, "GRAPH_DEVICES", ("cuda", "cpu"))
    monkeypatch.setattr(training, "new_graph", lambda device: object())

    @contextlib.contextmanager
    def failing(graph, stream):
        raise RuntimeError("operation not permitted when stream is capturing")
        yield

    monkeypatch.setattr(training, "capture", failing)
    with pytest.warns(RuntimeWarning, match="could not be captured") as caught:
        graphed = GANSampler(**TINY).fit(table)
    assert len([w for w in caught if "captured" in str(w.message)]) == 1
    assert "operation not permitted" in str(caught[0].message)
    _assert_same_fit(graphed, eager)
    # The optimizers are left as eager ones.
    assert not graphed._optimizer_states[0]["param_groups"][0]["capturable"]


def test_compiled_and_data_parallel_steps_are_not_graphed():
    cuda = torch.device("cuda")
    config = GANSampler()._training_config(n_rows=1000)
    assert training.graph_wanted(cuda, config, data_parallel=False)
    assert not training.graph_wanted(cuda, config, data_parallel=True)
    compiled = config.__class__(**{**config.__dict__, "compile": ("inductor", None)})
    assert not training.graph_wanted(cuda, compiled, data_parallel=False)
    assert not training.graph_wanted(torch.device("cpu"), config, data_parallel=False)


def test_a_warm_start_captures_its_own_graph(table, monkeypatch):
    eager = GANSampler(**TINY).fit(table)
    eager.set_params(warm_start=True, epochs=2).fit(table)
    log = use_fake_graphs(monkeypatch)
    graphed = GANSampler(**TINY).fit(table)
    graphed.set_params(warm_start=True, epochs=2).fit(table)
    assert log.count("capture") == 2 and len(graphed.history_) == 6
    _assert_same_fit(graphed, eager)


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@cuda
@pytest.mark.cuda
@pytest.mark.parametrize("params", [{}, {"conditional": False, "n_critic": 2}])
def test_a_cuda_fit_replays_its_step_as_a_graph(table, params, monkeypatch):
    made = []
    new_graph = training.new_graph

    def counting(device):
        made.append(device)
        return new_graph(device)

    monkeypatch.setattr(training, "new_graph", counting)
    # 1,000 steps of the default networks: on the CPU (eagerly, seeds 0-2)
    # the means of x and z came within 0.09 and 0.11 of the table's and
    # the category shares within 0.02; an untrained generator's means are
    # 0.5 to 0.9 away.
    settings = dict(params, batch_size=100, epochs=500, device="cuda", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the capture worked
        gan = GANSampler(**settings).fit(table)
    assert len(made) == 1
    assert all(np.isfinite([h["d_loss"], h["g_loss"]]).all() for h in gan.history_)
    rows = gan.sample(4000, random_state=0)
    for column in ("x", "z"):
        assert abs(rows[column].mean() - table[column].mean()) < 0.25, column
    shares = rows["k"].value_counts(normalize=True)
    real = table["k"].value_counts(normalize=True)
    assert (shares - real).abs().max() < 0.06
