"""Training-by-sampling: conditions, their frequencies and matching rows."""

import numpy as np
import torch

from skgan._conditioning import ConditionSampler


def make_codes(n=6000, seed=0):
    rng = np.random.RandomState(seed)
    a = rng.choice(3, n, p=[0.9, 0.09, 0.01])  # one rare category
    b = rng.choice(5, n)
    c = np.zeros(n, dtype=int)  # a one-level column
    return torch.tensor(np.c_[a, b, c]), [3, 5, 1]


def test_rows_satisfy_their_conditions_in_every_column():
    codes, sizes = make_codes()
    sampler = ConditionSampler(codes, sizes)
    column, position, rows = sampler.sample(
        20_000, rng=torch.Generator().manual_seed(0)
    )
    # The position (of the condition vector's 1) lies in the column's block.
    assert (sampler.owner[position] == column).all()
    category = position - sampler.offsets[column]
    assert (codes[rows, column] == category).all()
    # Columns are chosen uniformly.
    shares = torch.bincount(column, minlength=3) / len(column)
    torch.testing.assert_close(shares, torch.full((3,), 1 / 3), atol=0.02, rtol=0)


def test_log_frequency_for_training_real_frequency_for_sampling():
    codes, sizes = make_codes()
    sampler = ConditionSampler(codes, sizes)
    counts = torch.bincount(codes[:, 0], minlength=3).double()
    for log_frequency, expected in (
        (True, torch.log1p(counts) / torch.log1p(counts).sum()),
        (False, counts / counts.sum()),
    ):
        column, position, _ = sampler.sample(
            60_000, log_frequency=log_frequency, rng=torch.Generator().manual_seed(1)
        )
        picked = position[column == 0]  # column 0's block starts at 0
        shares = torch.bincount(picked, minlength=3).double() / len(picked)
        torch.testing.assert_close(shares, expected, atol=0.01, rtol=0)


def test_every_row_of_a_category_can_be_drawn():
    codes, sizes = make_codes()
    sampler = ConditionSampler(codes, sizes)
    column, _, rows = sampler.sample(50_000, rng=torch.Generator().manual_seed(2))
    rare = rows[(column == 0) & (codes[rows, 0] == 2)]
    members = torch.nonzero(codes[:, 0] == 2).ravel()
    # Every row of the rare category turns up, none of the others.
    assert set(rare.tolist()) == set(members.tolist())


def test_reproducible_with_a_generator_and_global_rng_untouched():
    codes, sizes = make_codes(500)
    sampler = ConditionSampler(codes, sizes)
    state = torch.get_rng_state()
    a = sampler.sample(64, rng=torch.Generator().manual_seed(3))
    b = sampler.sample(64, rng=torch.Generator().manual_seed(3))
    assert torch.equal(torch.get_rng_state(), state)
    for x, y in zip(a, b, strict=True):
        assert torch.equal(x, y)


def test_unused_categories_are_never_drawn_and_the_rest_keep_their_shares():
    # A pandas categorical can declare levels no training row has: count 0,
    # first, inside and last in a column, and a one-level column between.
    from skgan._conditioning import ConditionSpace

    counts = torch.tensor([0, 5, 0, 3, 0, 7, 0, 0, 9, 1, 0])
    space = ConditionSpace([5, 1, 5], counts)
    rng = torch.Generator().manual_seed(0)
    column, position = space.draw(300_000, log_frequency=False, rng=rng)
    assert (space.owner[position] == column).all()
    shares = torch.bincount(position, minlength=11).double() / len(position)
    per_column = torch.tensor([8.0] * 5 + [7.0] + [10.0] * 5, dtype=torch.float64)
    expected = counts / per_column / 3  # columns are chosen uniformly
    assert (shares[counts == 0] == 0).all()
    torch.testing.assert_close(shares, expected, atol=0.004, rtol=0)
