"""scikit-learn's estimator checks on cheap but real configurations."""

import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    parametrize_with_checks,
)

from skgan import (
    CategoryEncoder,
    GANAugmentedClassifier,
    GANAugmentedRegressor,
    GANSampler,
)


def _listed(parametrize):
    """The same parametrize mark with its values in a list.

    scikit-learn 1.6 and imbalanced-learn 0.14 hand pytest a generator, which
    pytest 9.2 deprecates (PytestRemovedIn10Warning) at collection.
    """
    argnames, argvalues = parametrize.mark.args
    return pytest.mark.parametrize(argnames, list(argvalues), **parametrize.mark.kwargs)


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
    GANSampler(
        loss="hinge",
        n_critic=2,
        epochs=1,
        pac=3,
        batch_size=7,
        ema_decay=0.0,
        device="cpu",
    ),
    # Early stopping (rows held back, scored, the best networks kept) and
    # the generator's weight average.
    GANSampler(
        early_stopping=True,
        validation_fraction=0.5,
        ema_decay=0.9,
        epochs=3,
        latent_dim=8,
        generator_dims=(16,),
        discriminator_dims=(16,),
        device="cpu",
        random_state=0,
    ),
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


@_listed(parametrize_with_checks(ESTIMATORS))
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


# ---------------------------------------------------------------- augmentation


def _tiny_sampler(**params):
    return GANSampler(
        epochs=2,
        latent_dim=8,
        generator_dims=(16,),
        discriminator_dims=(16,),
        batch_size=50,
        pac=5,
        device="cpu",
        **params,
    )


META_ESTIMATORS = [
    GANAugmentedClassifier(
        LogisticRegression(), sampler=_tiny_sampler(), n_synthetic=0.3, random_state=0
    ),
    # A 2-epoch GAN's rows are mostly noise; check_regressors_train asks for
    # R^2 > 0.5 on the real rows, so only a few are added here.
    GANAugmentedRegressor(
        Ridge(), sampler=_tiny_sampler(), n_synthetic=0.1, random_state=0
    ),
    # The default estimators (CategoryEncoder then HistGradientBoosting), a
    # fixed count of rows.
    GANAugmentedClassifier(sampler=_tiny_sampler(), n_synthetic=20, random_state=0),
    GANAugmentedRegressor(sampler=_tiny_sampler(), n_synthetic=5, random_state=0),
]


@_listed(parametrize_with_checks(META_ESTIMATORS))
def test_meta_estimators_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", META_ESTIMATORS, ids=lambda e: type(e).__name__)
def test_meta_estimators_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)
    check_dataframe_column_names_consistency(type(estimator).__name__, estimator)


# -------------------------------------------------------------- preprocessing

ENCODERS = [CategoryEncoder(), CategoryEncoder(max_categories=2)]


@_listed(parametrize_with_checks(ENCODERS))
def test_encoder_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ENCODERS, ids=lambda e: str(e.max_categories))
def test_encoder_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)
    check_dataframe_column_names_consistency(type(estimator).__name__, estimator)


imblearn_checks = pytest.importorskip("imblearn.utils.estimator_checks")
from skgan import GANOverSampler  # noqa: E402

OVERSAMPLERS = [
    GANOverSampler(sampler=_tiny_sampler(), random_state=0),
    GANOverSampler(
        sampling_strategy="all",
        sampler=_tiny_sampler(conditional=False, continuous_encoding="quantile"),
        random_state=0,
    ),
]


@_listed(parametrize_with_checks(OVERSAMPLERS))
def test_oversampler_sklearn_compatible(estimator, check):
    check(estimator)


@_listed(imblearn_checks.parametrize_with_checks(OVERSAMPLERS))
def test_oversampler_imblearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", OVERSAMPLERS)
def test_oversampler_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)
    check_dataframe_column_names_consistency(type(estimator).__name__, estimator)
    imblearn_checks.check_param_validation(type(estimator).__name__, estimator)
    imblearn_checks.check_dataframe_column_names_consistency(
        type(estimator).__name__, estimator
    )
