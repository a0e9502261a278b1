"""The generator's output head: per-span activations in one vectorised pass."""

import torch

from skgan._encoding import OutputLayout, Span
from skgan._networks import OutputHead

MIXED = OutputLayout(
    spans=(
        Span(0, 1, "tanh"),
        Span(1, 3, "softmax"),
        Span(4, 2, "tanh"),
        Span(6, 3, "softmax"),
        Span(9, 5, "softmax"),
    )
)


def test_tanh_only_layout_is_plain_tanh():
    head = OutputHead(OutputLayout(spans=(Span(0, 4, "tanh"),)))
    x = torch.randn(8, 4)
    torch.testing.assert_close(head(x), torch.tanh(x))
    assert head.state_dict() == {}


def test_mixed_layout_applies_each_activation_to_its_span():
    head = OutputHead(MIXED)
    x = torch.randn(64, MIXED.width, requires_grad=True)
    out = head(x, rng=torch.Generator().manual_seed(0))
    torch.testing.assert_close(out[:, [0, 4, 5]], torch.tanh(x[:, [0, 4, 5]]))
    for start, width in ((1, 3), (6, 3), (9, 5)):
        span = out[:, start : start + width]
        assert (span >= 0).all()
        torch.testing.assert_close(span.sum(dim=1), torch.ones(64))
    out.sum().backward()  # differentiable through every span
    assert torch.isfinite(x.grad).all() and (x.grad[:, 0] != 0).all()


def test_gumbel_softmax_samples_categories_at_softmax_frequencies():
    head = OutputHead(OutputLayout(spans=(Span(0, 3, "softmax"),)))
    logits = torch.log(torch.tensor([0.6, 0.3, 0.1])).expand(20_000, 3)
    picks = head(logits, rng=torch.Generator().manual_seed(1)).argmax(dim=1)
    shares = torch.bincount(picks, minlength=3) / len(picks)
    torch.testing.assert_close(
        shares, torch.tensor([0.6, 0.3, 0.1]), atol=0.015, rtol=0
    )


def test_rng_makes_it_reproducible_and_leaves_the_global_rng_alone():
    head = OutputHead(MIXED)
    x = torch.randn(16, MIXED.width)
    state = torch.get_rng_state()
    a = head(x, rng=torch.Generator().manual_seed(5))
    b = head(x, rng=torch.Generator().manual_seed(5))
    assert torch.equal(torch.get_rng_state(), state)
    torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_wide_conditions_are_embedded_so_size_grows_linearly():
    from skgan._networks import CONDITION_EMBEDDING, Discriminator, Generator

    def n_params(module):
        return sum(p.numel() for p in module.parameters())

    sizes = []
    for levels in (2_000, 4_000):
        layout = OutputLayout((Span(0, 1, "tanh"), Span(1, levels, "softmax")))
        g = Generator(8, (16,), layout, cond_width=levels)
        d = Discriminator(layout.width, (16,), pac=2, cond_width=levels)
        out = g(torch.randn(4, 8), torch.arange(4))  # conditions as positions
        assert out.shape == (4, levels + 1)
        assert d(out, torch.arange(4)).shape == (2,)
        sizes.append(n_params(g) + n_params(d))
    # Doubling the categories about doubles the weights (a one-hot carried
    # into the generator's last layer would quadruple them).
    assert sizes[1] / sizes[0] < 2.1
    narrow = Generator(8, (16,), OutputLayout((Span(0, 5, "softmax"),)), cond_width=5)
    assert narrow.embed.weight is None and CONDITION_EMBEDDING >= 5


def test_condition_input_is_the_one_hot_or_its_linear_embedding():
    from skgan._networks import CONDITION_EMBEDDING, ConditionInput

    position = torch.tensor([0, 4, 2, 4])
    narrow = ConditionInput(5)
    assert narrow.out_width == 5 and not list(narrow.parameters())
    torch.testing.assert_close(narrow(position), torch.eye(5)[position])
    # A wide condition: the lookup equals the linear map of the one-hot,
    # forward and backward, with nn.Linear's initialisation.
    width = CONDITION_EMBEDDING + 72
    torch.manual_seed(0)
    wide = ConditionInput(width)
    torch.manual_seed(0)
    linear = torch.nn.Linear(width, CONDITION_EMBEDDING, bias=False)
    assert torch.equal(wide.weight, linear.weight) and wide.out_width == 128
    weights = torch.randn(4, CONDITION_EMBEDDING)
    (wide(position) * weights).sum().backward()
    (linear(torch.eye(width)[position]) * weights).sum().backward()
    torch.testing.assert_close(wide.weight.grad, linear.weight.grad)
    torch.testing.assert_close(wide(position), linear(torch.eye(width)[position]))
