"""The only module that imports private scikit-learn APIs.

``_fit_context`` and the parameter-constraint classes are private in
scikit-learn; keeping them here means one place to mend when they move.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    RealNotInt,
    StrOptions,
)

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "RealNotInt",
    "StrOptions",
    "_fit_context",
]
