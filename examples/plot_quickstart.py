"""
===================================
Quickstart: a GAN for a table
===================================

Fit a :class:`~skgan.GANSampler` on scikit-learn's breast cancer table
(569 rows, 30 numeric columns), follow the training losses, draw 1000 new
rows and compare them with the real ones: a few column distributions and the
correlation matrix. Along the way we check two promises of the API: a
DataFrame goes in and a DataFrame comes out, and ``sample(n, random_state=0)``
gives the same rows every time.

Settings: the default model (WGAN-GP loss, PacGAN critic with ``pac=10``,
``batch_size=500``), ``epochs=300``, ``random_state=0``. ``device="auto"``
trains on a GPU when there is one and on the CPU otherwise. A last section
trains a second model with more training steps. On 2 CPU cores (one torch
thread) the whole script runs in under a minute; the training times are
printed below.
"""

# %%
# Load the data as a DataFrame
# ----------------------------
# ``as_frame=True`` gives a pandas DataFrame with named float columns. An
# ndarray works the same way and gives back an ndarray.
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer

from skgan import GANSampler

X = load_breast_cancer(as_frame=True).data
print(f"{type(X).__name__} of shape {X.shape}")
X.iloc[:, :5].describe().round(2)

# %%
# Fit
# ---
# ``random_state=0`` makes ``fit`` and the sampling that follows reproducible
# on the CPU (with the same torch version and thread count).
gan = GANSampler(epochs=300, random_state=0)
start = time.perf_counter()
gan.fit(X)
print(
    f"Trained {gan.n_iter_} epochs on {gan.device_} in "
    f"{time.perf_counter() - start:.1f} s (batch_size_={gan.batch_size_})"
)
print("Last epoch:", gan.history_[-1])

# %%
# Training losses
# ---------------
# ``history_`` holds one entry per epoch with the mean losses of its steps.
# With the WGAN-GP loss, ``d_loss`` is the critic's loss: its estimate of the
# negated Wasserstein distance between real and generated rows, plus the
# gradient penalty. A critic loss that rises towards zero means the critic
# finds it harder to tell the two apart. ``g_loss`` is the negated critic
# score of the generated rows; its level drifts with the critic and says
# little on its own. Neither curve measures sample quality: compare the
# samples with the data, as below.
epochs = [entry["epoch"] for entry in gan.history_]
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(epochs, [entry["d_loss"] for entry in gan.history_], label="d_loss (critic)")
ax.plot(epochs, [entry["g_loss"] for entry in gan.history_], label="g_loss (generator)")
ax.axhline(0, color="grey", lw=0.5)
ax.set_xlabel("epoch")
ax.set_ylabel("mean loss")
ax.set_title("GANSampler training losses")
ax.legend()
fig.tight_layout()

# %%
# Sample: a DataFrame in gives a DataFrame out
# --------------------------------------------
# The synthetic rows come back with the same columns and dtypes as the
# training frame, and stay inside the range of each column seen in ``fit``.
X_new = gan.sample(1000)
print(type(X_new).__name__, X_new.shape)
print("same columns:", list(X_new.columns) == list(X.columns))
print("same dtypes:", (X_new.dtypes == X.dtypes).all())
print(
    "inside the training range:",
    bool(((X_new >= X.min()) & (X_new <= X.max())).all().all()),
)
X_new.iloc[:, :5].describe().round(2)

# %%
# Reproducible samples
# --------------------
# Without ``random_state``, each call to ``sample`` continues the estimator's
# sampling stream and returns new rows. With an int ``random_state`` the rows
# are the same on every call.
first = gan.sample(5, random_state=0)
second = gan.sample(5, random_state=0)
print("sample(5, random_state=0) twice, same rows:", first.equals(second))
print("two calls without random_state, same rows:", gan.sample(5).equals(gan.sample(5)))
first.iloc[:, :5].round(3)

# %%
# Real and synthetic columns
# --------------------------
# Histograms of three columns, real against synthetic, on the same bins.
columns = ["mean radius", "mean texture", "worst concavity"]
fig, axes = plt.subplots(1, len(columns), figsize=(11, 3.2))
for ax, column in zip(axes, columns, strict=True):
    bins = np.linspace(X[column].min(), X[column].max(), 30)
    ax.hist(X[column], bins=bins, density=True, alpha=0.5, label="real (569)")
    ax.hist(X_new[column], bins=bins, density=True, alpha=0.5, label="synthetic (1000)")
    ax.set_title(column)
axes[0].legend()
fig.tight_layout()

for column in columns:
    print(
        f"{column:>16}: mean real {X[column].mean():8.3f}  synthetic "
        f"{X_new[column].mean():8.3f} | std real {X[column].std():7.3f}  "
        f"synthetic {X_new[column].std():7.3f}"
    )

# %%
# Generated values are clipped to the range seen in ``fit``. A column whose
# generated values often fall below the real minimum shows a pile-up at that
# minimum: compare how many rows sit exactly at it.
at_minimum = (X_new == X.min()).mean()
print(
    f"share of rows at the column minimum, {columns[-1]!r}: real "
    f"{(X[columns[-1]] == X[columns[-1]].min()).mean():.1%}, synthetic "
    f"{at_minimum[columns[-1]]:.1%}"
)

# %%
# Correlations
# ------------
# A GAN models the columns jointly, so the synthetic rows should keep the
# correlations of the real ones. The right panel is the difference,
# synthetic minus real, for all 30 x 30 pairs.
corr_real = X.corr().to_numpy()
corr_synthetic = X_new.corr().to_numpy()
difference = corr_synthetic - corr_real

fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
panels = [
    (corr_real, "real"),
    (corr_synthetic, "synthetic"),
    (difference, "synthetic - real"),
]
for ax, (matrix, title) in zip(axes, panels, strict=True):
    image = ax.imshow(matrix, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_title(f"correlation: {title}")
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(image, ax=axes, shrink=0.8)

off_diagonal = ~np.eye(len(corr_real), dtype=bool)
print(
    f"Correlation difference over {off_diagonal.sum() // 2} pairs: "
    f"mean |diff| {np.abs(difference[off_diagonal]).mean():.3f}, "
    f"largest |diff| {np.abs(difference[off_diagonal]).max():.3f}"
)

# %%
# The synthetic rows have the right ranges and roughly the right centres, but
# this model is far from a copy of the data: in our run the synthetic
# correlations were stronger than the real ones for many pairs, some
# histograms were shifted or wider, and ``worst concavity`` piled up at its
# minimum. Judge a model by comparisons like these, not by its losses.
#
# More training steps
# -------------------
# 569 rows in batches of 500 make only 2 generator steps per epoch, so 300
# epochs are 600 steps: little training. A smaller ``batch_size`` (or more
# epochs) gives more steps. Here ``batch_size=100`` gives 6 steps per epoch
# for about the same time per epoch. We compare both models on the summaries
# above.


def summary(real, synthetic):
    diff = (synthetic.corr() - real.corr()).to_numpy()[off_diagonal]
    column = columns[-1]
    return {
        "mean |corr diff|": np.abs(diff).mean(),
        "largest |corr diff|": np.abs(diff).max(),
        f"{column} at min": (synthetic[column] == real[column].min()).mean(),
    }


more_steps = GANSampler(epochs=300, batch_size=100, random_state=0)
start = time.perf_counter()
more_steps.fit(X)
print(
    f"Trained {more_steps.n_iter_} epochs in {time.perf_counter() - start:.1f} s "
    f"(batch_size_={more_steps.batch_size_})"
)
comparison = pd.DataFrame(
    {
        "batch_size=500 (default)": summary(X, X_new),
        "batch_size=100": summary(X, more_steps.sample(1000, random_state=0)),
        "real rows": summary(X, X),
    }
).T
print(comparison.round(3).to_string())

# %%
# The printed table says whether the extra steps brought the synthetic
# correlations closer to the real ones; in our run they did, and fewer values
# piled up at the minimum. See the user guide's advice on training length.

plt.show()
