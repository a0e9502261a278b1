"""pytest configuration shared by the doctests in skgan/ and the tests."""

import importlib.util

# GANOverSampler's module imports imbalanced-learn, an optional extra: without
# it, its doctests are not collected (tests/ skip the over-sampler's tests).
collect_ignore = []
if importlib.util.find_spec("imblearn") is None:
    collect_ignore.append("skgan/_oversampler.py")
