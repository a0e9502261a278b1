"""
=======================================================
A mixed-type table: Adult census data, with conditions
=======================================================

Real tables mix numbers, categories and missing values. This example fits a
:class:`~skgan.GANSampler` on seven columns of the Adult census data that
ships with skgan (:func:`~skgan.datasets.load_adult`, 3,000 rows): four
integer columns, three text columns (one of them with missing values), and
the ``income`` label as ``y``. Then it checks what comes back:

* the same columns, in the same order, with the same dtypes;
* missing values, at a rate to compare with the real one;
* the spikes of integer columns (the zeros of ``capital-gain``, the 40 of
  ``hours-per-week``), which skgan encodes as exact "point modes";
* rows with fixed values, ``sample(conditions={"sex": "Female"})``;
* rows of a chosen class, ``sample(y=">50K")``, since the model was fitted
  with the labels: ``fit(X, y)``;
* per-column and per-pair quality scores from :mod:`skgan.metrics`.

Settings: small networks, ``epochs=120`` and ``batch_size=200`` so that the
script runs in well under a minute on 2 CPU cores (one torch thread); the
training time is printed below. This is far less training than a real
application would use: read the figures as a check of the mechanics, not as
the quality skgan can reach.
"""

# %%
# The data
# --------
# ``load_adult(return_X_y=True)`` gives a DataFrame of features and the
# ``income`` Series. The integer columns are int64 and the text columns are
# object columns of str, with NaN where a value is missing.
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from skgan import GANSampler
from skgan.datasets import load_adult
from skgan.metrics import column_pair_trends, column_shapes

X, y = load_adult(return_X_y=True)
columns = [
    "age",
    "workclass",
    "education",
    "sex",
    "capital-gain",
    "hours-per-week",
    "education-num",
]
X = X[columns]
print(f"X: {X.shape[0]} rows x {X.shape[1]} columns; y: {y.name!r}")
print(X.dtypes.to_string())
X.head()

# %%
# Fit a class-conditional model
# -----------------------------
# With the default ``categorical_features="from_dtype"``, the object columns
# (``workclass``, ``education``, ``sex``) are categorical and the integer
# columns continuous. Passing ``y`` makes the label one more categorical
# column, learnt jointly with the others. ``n_jobs=1`` uses one torch thread,
# the fastest setting on a busy 2-core machine.
gan = GANSampler(
    epochs=120,
    batch_size=200,
    pac=5,
    latent_dim=64,
    generator_dims=(128, 128),
    discriminator_dims=(128, 128),
    device="cpu",
    n_jobs=1,
    random_state=0,
)
start = time.perf_counter()
gan.fit(X, y)
print(
    f"Trained {gan.n_iter_} epochs on {gan.device_} in "
    f"{time.perf_counter() - start:.1f} s (batch_size_={gan.batch_size_})"
)
print("classes_:", gan.classes_)

# %%
# Same columns, same dtypes
# -------------------------
# ``sample`` returns a DataFrame like ``X``; with ``return_y=True`` it also
# returns the labels, as a Series with the name of the training ``y``.
# Without ``y``, the labels follow the training class frequencies.
X_new, y_new = gan.sample(3000, return_y=True)
print(
    pd.DataFrame({"real": X.dtypes, "synthetic": X_new.dtypes}).to_string(),
    "\n",
)
print("same columns, in order:", list(X_new.columns) == list(X.columns))
print("same dtypes:", bool((X_new.dtypes == X.dtypes).all()))
print(f"labels: a {type(y_new).__name__} named {y_new.name!r}")
print(
    pd.DataFrame(
        {
            "real": y.value_counts(normalize=True),
            "synthetic": y_new.value_counts(normalize=True),
        }
    ).round(3)
)
X_new.head()

# %%
# Missing values and point modes
# ------------------------------
# A missing ``workclass`` is a category of its own, so synthetic rows have
# missing values too. Values that hold at least 5 % of a continuous column
# get a mode of their own and come back exactly: the zeros of
# ``capital-gain`` and the 40 of ``hours-per-week``. The table compares the
# shares in the real and the synthetic rows.
checks = {
    "workclass missing": lambda t: t["workclass"].isna().mean(),
    "capital-gain == 0": lambda t: (t["capital-gain"] == 0).mean(),
    "hours-per-week == 40": lambda t: (t["hours-per-week"] == 40).mean(),
}
print(
    pd.DataFrame(
        {
            "real": {name: check(X) for name, check in checks.items()},
            "synthetic": {name: check(X_new) for name, check in checks.items()},
        }
    ).round(3)
)

# %%
# Conditions: rows with fixed values
# ----------------------------------
# ``conditions`` fixes the value of categorical columns, and every returned
# row satisfies it: rows that miss it are discarded and replaced. A model
# fitted without ``y`` feeds the requested category to its conditional
# generator, so that few rows are discarded; this class-conditional model
# feeds it the class label instead (drawn at the training class
# frequencies), and meets the ``sex`` condition by discarding rows alone.
# The other columns should follow the real relations: here the mean working
# hours of women and men.
women = gan.sample(1000, conditions={"sex": "Female"})
men = gan.sample(1000, conditions={"sex": "Male"})
print("every row Female:", bool((women["sex"] == "Female").all()))
print(
    pd.DataFrame(
        {
            "real": X.groupby("sex")["hours-per-week"].mean(),
            "synthetic": {
                "Female": women["hours-per-week"].mean(),
                "Male": men["hours-per-week"].mean(),
            },
        }
    ).round(1)
)

# %%
# Rows of a chosen class
# ----------------------
# ``sample(y=label)`` draws rows of one class (``y`` can also hold one label
# per row). A few summaries per class, real against synthetic:


def summary(table):
    return {
        "mean age": table["age"].mean(),
        "capital-gain > 0": (table["capital-gain"] > 0).mean(),
        "Bachelors": (table["education"] == "Bachelors").mean(),
    }


rows = {}
for label in gan.classes_:
    rows[(label, "real")] = summary(X[y == label])
    rows[(label, "synthetic")] = summary(gan.sample(1000, y=label))
print(pd.DataFrame(rows).T.round(3))

# %%
# Conditions and labels combine: women earning more than $50K.
rich_women, labels = gan.sample(
    5, y=">50K", conditions={"sex": "Female"}, return_y=True
)
rich_women.assign(income=labels)

# %%
# Quality scores
# --------------
# :func:`~skgan.metrics.column_shapes` scores each column's marginal
# distribution (1 - Kolmogorov-Smirnov statistic for a continuous column,
# 1 - total variation distance for a categorical one; 1 means identical) and
# :func:`~skgan.metrics.column_pair_trends` the relations between pairs of
# columns. See :doc:`/metrics` for what the scores mean.
shapes = column_shapes(X, X_new)
trends = column_pair_trends(X, X_new)
print(f"column shapes: {shapes.score:.3f}, column pair trends: {trends.score:.3f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
scores = pd.Series(shapes.column_scores)
axes[0].barh(scores.index, scores.to_numpy())
axes[0].set_xlim(0, 1)
axes[0].set_xlabel("column shape score (1 = identical marginals)")
bins = np.arange(X["age"].min(), X["age"].max() + 2)
axes[1].hist(X["age"], bins=bins, density=True, alpha=0.5, label="real")
axes[1].hist(X_new["age"], bins=bins, density=True, alpha=0.5, label="synthetic")
axes[1].set_xlabel("age")
axes[1].legend()
fig.tight_layout()
plt.show()

# %%
# With this little training the synthetic table is far from a copy: compare
# the printed rates and scores, and train longer (more ``epochs``, larger
# networks) for real use. The user guide describes the column types skgan
# accepts, how conditions and labels work, and when to choose
# ``continuous_encoding="quantile"`` instead of the default.
