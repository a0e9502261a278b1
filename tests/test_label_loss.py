"""The label loss (``label_loss``): an auxiliary classifier teaches the
generator how the other columns predict ``y``."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

# The quality tests' small networks (one thread, so that a seed gives the
# same model on any machine).
from test_quality import SMALL

import skgan
from skgan import GANSampler
from skgan._networks import LabelClassifier
from skgan._training import label_loss


def _table(n=600, seed=0):
    """Four independent normal columns; y is the sign of x0 - x1 + x2."""
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["x0", "x1", "x2", "x3"])
    y = pd.Series(np.where(X.x0 - X.x1 + X.x2 > 0, "pos", "neg"), name="y")
    return X, y


def _label_model_accuracy(gan, X, y):
    """Accuracy on real rows of a model trained on the generated rows."""
    Xs, ys = gan.sample(2000, return_y=True, random_state=0)
    if ys.nunique() < 2:
        return 0.5
    model = LogisticRegression().fit(Xs.to_numpy(), ys.to_numpy())
    return model.score(X.to_numpy(), y.to_numpy())


def test_the_label_loss_teaches_how_the_columns_predict_the_label():
    # 300 steps: too few for the critic alone to teach the label's relation
    # to the columns, which the label loss teaches. Measured, seeds 0-2:
    # 0.525, 0.420, 0.542 without the loss, 0.662, 0.822, 0.880 with it;
    # real rows score 0.99.
    X, y = _table()
    scores = {}
    for weight in (0.0, 1.0):
        params = dict(SMALL, random_state=2, epochs=50, label_loss=weight)
        scores[weight] = _label_model_accuracy(GANSampler(**params).fit(X, y), X, y)
    assert scores[0.0] < 0.7
    assert scores[1.0] > 0.8


def test_the_label_loss_changes_nothing_without_y():
    X, _ = _table(200)
    a = GANSampler(**SMALL, epochs=2, label_loss=0.0).fit(X)
    b = GANSampler(**SMALL, epochs=2, label_loss=1.0).fit(X)
    for p, q in zip(
        a.generator_.state_dict().values(),
        b.generator_.state_dict().values(),
        strict=True,
    ):
        assert torch.equal(p, q)
    assert a._label_state is None and b._label_state is None


def _classifier_weights(gan):
    return gan._label_state["classifier"]


def test_a_warm_start_continues_the_classifier(tmp_path):
    X, y = _table(200)
    gan = GANSampler(**SMALL, epochs=2, label_loss=1.0).fit(X, y)
    first = {k: v.clone() for k, v in _classifier_weights(gan).items()}
    steps = gan._label_state["optimizer"]["state"][0]["step"].item()
    assert steps == 4  # 2 epochs of 2 steps
    # Through the safe format: the classifier's state is saved with the model.
    skgan.save(gan, tmp_path / "model.skgan")
    loaded = skgan.load(tmp_path / "model.skgan")
    for name, value in _classifier_weights(loaded).items():
        assert torch.equal(value, first[name])
    loaded.set_params(warm_start=True).fit(X, y)
    assert loaded._label_state["optimizer"]["state"][0]["step"].item() == 2 * steps
    assert not all(
        torch.equal(v, first[k]) for k, v in _classifier_weights(loaded).items()
    )


def test_a_warm_start_without_a_fitted_classifier_starts_one():
    X, y = _table(200)
    gan = GANSampler(**SMALL, epochs=2).fit(X, y)
    assert gan._label_state is None
    gan.set_params(warm_start=True, label_loss=1.0).fit(X, y)
    assert gan._label_state["optimizer"]["state"][0]["step"].item() == 4


def test_the_classifier_ignores_the_label_span():
    torch.manual_seed(0)
    classifier = LabelClassifier(6, (3, 2), (8,)).eval()
    rows = torch.randn(5, 6)
    other = rows.clone()
    other[:, 3:5] = torch.randn(5, 2)  # another label, the same columns
    assert torch.equal(classifier(rows), classifier(other))
    other[:, 0] += 1.0  # another column: another prediction
    assert not torch.equal(classifier(rows), classifier(other))
    hot = torch.zeros(3, 6)
    hot[[0, 1, 2], [3, 4, 4]] = 1.0
    assert classifier.labels(hot).tolist() == [0, 1, 1]


@pytest.mark.parametrize("weight", [-1.0, "high"])
def test_a_bad_label_loss_is_rejected_before_training(weight):
    X, y = _table(50)
    with pytest.raises(ValueError, match="label_loss"):
        GANSampler(**SMALL, epochs=1, label_loss=weight).fit(X, y)


def test_the_label_loss_stops_at_the_real_rows_predictability():
    torch.manual_seed(0)
    classifier = LabelClassifier(6, (3, 2), (8,)).eval()
    fake = torch.randn(10, 6)
    fake[:, 3:5] = torch.tensor([1.0, 0.0])  # every fake row of class 0
    fake.requires_grad_(True)
    cross_entropy = torch.nn.functional.cross_entropy(
        classifier(fake), torch.zeros(10, dtype=torch.long)
    ).item()
    loss = label_loss(classifier, fake, torch.tensor(cross_entropy - 0.25))
    assert loss.item() == pytest.approx(0.25, abs=1e-6)
    loss.backward()
    assert fake.grad.abs().sum() > 0
    fake.grad = None
    # Fakes as predictable as real rows, or more: no loss, no gradient.
    loss = label_loss(classifier, fake, torch.tensor(cross_entropy + 0.25))
    assert loss.item() == 0.0
    loss.backward()
    assert fake.grad.abs().sum() == 0


def test_divergence_restores_the_classifier_too():
    # The classifier learns at discriminator_lr: an absurd one blows it up
    # with the networks, and the last good weights of all three are kept.
    X, y = _table(200)
    gan = GANSampler(
        **dict(SMALL, generator_lr=1e30, discriminator_lr=1e30, loss="bce", pac=1),
        epochs=3,
        label_loss=1.0,
    )
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 1"):
        gan.fit(X, y)
    for value in _classifier_weights(gan).values():
        assert torch.isfinite(value).all()
    # Training can go on from there with sane learning rates.
    gan.set_params(warm_start=True, generator_lr=2e-4, discriminator_lr=2e-4)
    gan.fit(X, y)
    assert all(torch.isfinite(v).all() for v in _classifier_weights(gan).values())
