"""scikit-learn's estimator checks on cheap but real configurations."""

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    parametrize_with_checks,
)

from skgan import GANSampler

ESTIMATORS = [
    # CTGAN-style defaults (WGAN-GP, PacGAN), tiny networks and few epochs.
    GANSampler(
        epochs=2,
        generator_dims=(32, 32),
        discriminator_dims=(32, 32),
        latent_dim=16,
        device="cpu",
        random_state=0,
    ),
    # The classic GAN of the origin notes.
    GANSampler(
        conditional=False,
        loss="bce",
        pac=1,
        latent_dim=100,
        generator_dims=(128, 256),
        discriminator_dims=(256, 128),
        batch_size=128,
        epochs=2,
        device="cpu",
        random_state=0,
    ),
    GANSampler(loss="hinge", n_critic=2, epochs=1, pac=3, batch_size=7, device="cpu"),
    # The plain (unconditional) GAN with the quantile encoding.
    GANSampler(
        conditional=False,
        continuous_encoding="quantile",
        epochs=1,
        latent_dim=8,
        generator_dims=(16,),
        discriminator_dims=(16,),
        device="cpu",
        random_state=0,
    ),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def _id(estimator):
    return f"{estimator.loss}-{estimator.continuous_encoding}"


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_id)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_id)
def test_dataframe_column_names_consistency(estimator):
    check_dataframe_column_names_consistency(type(estimator).__name__, estimator)
