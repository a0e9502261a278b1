"""The only module that imports private scikit-learn APIs.

``_fit_context`` and the parameter-constraint classes are private in
scikit-learn; keeping them here means one place to mend when they move.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions

__all__ = ["Interval", "InvalidParameterError", "StrOptions", "_fit_context"]
