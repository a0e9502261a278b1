"""skgan: generative adversarial networks as scikit-learn estimators."""

from . import metrics
from ._augment import GANAugmentedClassifier, GANAugmentedRegressor
from ._preprocessing import CategoryEncoder
from ._sampler import GANSampler
from .io import load, save

__version__ = "0.1.0.dev0"

__all__ = [
    "CategoryEncoder",
    "GANAugmentedClassifier",
    "GANAugmentedRegressor",
    "GANOverSampler",
    "GANSampler",
    "__version__",
    "load",
    "metrics",
    "save",
]


def __getattr__(name):
    # GANOverSampler subclasses imbalanced-learn's base class, and
    # imbalanced-learn is an optional extra: import it on first use only.
    if name == "GANOverSampler":
        try:
            from ._oversampler import GANOverSampler
        except ImportError as error:
            raise ImportError(
                "GANOverSampler needs imbalanced-learn, which is not installed "
                f"({error}). Install it with: pip install 'skgan[imblearn]'"
            ) from error
        return GANOverSampler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
