"""skgan: generative adversarial networks as scikit-learn estimators."""

from . import metrics
from ._sampler import GANSampler

__version__ = "0.1.0.dev0"

__all__ = ["GANSampler", "__version__", "metrics"]
