"""
===============================================
Handwritten digits: classic GAN against WGAN-GP
===============================================

scikit-learn's 8 x 8 handwritten digits (1797 images, 64 pixel columns scaled
to [0, 1]) make a table whose samples can be looked at. We train two GANs on
it with :class:`~skgan.GANSampler`:

* the **classic GAN** (Goodfellow et al., 2014): binary cross-entropy loss,
  a critic that scores single rows (``pac=1``), small networks, batches of
  128;
* the **defaults**: WGAN-GP loss and a PacGAN critic that scores packs of
  10 rows, as in the CTGAN paper.

A common claim is that the classic GAN tends to collapse onto a few digits
and that WGAN-GP with packing fixes that. Instead of taking it on trust we
measure both models with a classifier trained on the real digits, and put
the numbers next to those of the real digits and of two simple fakes.

Both models encode the pixels with ``continuous_encoding="quantile"``, one
scalar per pixel, which suits image-like columns; the default mode-specific
normalisation is meant for tables with skewed, multi-modal columns and
trains worse here (see the user guide). Settings: 300 epochs each,
``random_state=0``, ``device="auto"`` (the CPU here). On 2 CPU cores with
one torch thread the two fits take about a minute and a half together; the
script prints the time of each.
"""

# %%
# The data and the judge
# ----------------------
# A logistic regression trained on the real digits is the judge. For each
# image it gives the probability of each digit. We report:
#
# * the **mean confidence**: the mean over images of the largest class
#   probability. Sharp, well-formed digits score high; blurred or ambiguous
#   ones score low;
# * the share of images with **confidence above 0.9**;
# * the **share of images per predicted digit**, and how many of the 10
#   digits make up at least 3 % of the images. A model that collapsed onto a
#   few digits covers few classes; the real data has about 10 % of each.
#
# Confidence alone can be fooled (a model could draw one perfect digit over
# and over), and coverage alone too (noise spreads over the classes), so we
# look at both, and at the images.
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skgan import GANSampler

X, y = load_digits(return_X_y=True)
X = X / 16.0
judge = LogisticRegression(max_iter=2000).fit(X, y)
N_SAMPLES = 2000


def measure(images):
    """Confidence and class coverage of ``images`` according to the judge."""
    proba = judge.predict_proba(images)
    confidence = proba.max(axis=1)
    shares = np.bincount(proba.argmax(axis=1), minlength=10) / len(images)
    return {
        "mean confidence": confidence.mean(),
        "confidence > 0.9": (confidence > 0.9).mean(),
        "classes >= 3 %": int((shares >= 0.03).sum()),
        "smallest class": shares.min(),
        "largest class": shares.max(),
    }, shares


# %%
# Reference points
# ----------------
# Three yardsticks on the same judge: the real digits themselves; images whose
# pixels are drawn independently from each pixel's real distribution (right
# marginals, no shapes); and the average of two random real digits (strokes,
# but two overlapping digits). The judge was trained on the real digits, so
# their score is an optimistic ceiling.
rng = np.random.RandomState(0)
independent = np.column_stack(
    [rng.choice(X[:, j], size=N_SAMPLES) for j in range(X.shape[1])]
)
pairs = rng.randint(len(X), size=(N_SAMPLES, 2))
averaged = (X[pairs[:, 0]] + X[pairs[:, 1]]) / 2

samples = {
    "real digits": X,
    "independent pixels": independent,
    "average of two digits": averaged,
}

# %%
# Train the two GANs
# ------------------
# The classic configuration: 1797 rows in batches of 128 give 15 steps per
# epoch. The defaults use batches of 500, so 4 steps per epoch, each of them
# dearer because of the gradient penalty.
models = {
    "classic GAN (bce, pac=1)": GANSampler(
        loss="bce",
        pac=1,
        latent_dim=100,
        generator_dims=(128, 256),
        discriminator_dims=(256, 128),
        batch_size=128,
        epochs=300,
        continuous_encoding="quantile",
        random_state=0,
    ),
    "defaults (wgan-gp, pac=10)": GANSampler(
        continuous_encoding="quantile", random_state=0
    ),
}
for name, gan in models.items():
    start = time.perf_counter()
    gan.fit(X)
    print(
        f"{name}: {gan.n_iter_} epochs, batch_size_={gan.batch_size_}, "
        f"on {gan.device_}, {time.perf_counter() - start:.1f} s"
    )
    samples[name] = gan.sample(N_SAMPLES, random_state=0)

# %%
# The measures
# ------------
results, class_shares = {}, {}
for name, images in samples.items():
    results[name], class_shares[name] = measure(images)
table = pd.DataFrame(results).T
table["classes >= 3 %"] = table["classes >= 3 %"].astype(int)
print(
    table.to_string(
        formatters={
            "mean confidence": "{:.3f}".format,
            "confidence > 0.9": "{:.1%}".format,
            "smallest class": "{:.1%}".format,
            "largest class": "{:.1%}".format,
        }
    )
)

# %%
# Share of the images per predicted digit, in percent:
shares = pd.DataFrame(class_shares).T * 100
shares.columns.name = "predicted digit"
print(shares.round(1).to_string())

# %%
# Look at them
# ------------
# Ten random real digits per row, then the first 40 samples of each GAN. The
# small number above each image is the judge's prediction.
n_rows, n_cols = 4, 10
shown = {
    "real digits": X[rng.choice(len(X), n_rows * n_cols, replace=False)],
    **{name: samples[name][: n_rows * n_cols] for name in models},
}

fig = plt.figure(figsize=(n_cols * 0.75, 3 * n_rows * 0.85 + 0.9))
blocks = fig.subfigures(len(shown), 1, hspace=0.04)
for block, (name, images) in zip(blocks, shown.items(), strict=True):
    block.suptitle(name, fontsize=11, y=0.99)
    axes = block.subplots(n_rows, n_cols)
    predicted = judge.predict(images)
    for ax, image, digit in zip(axes.ravel(), images, predicted, strict=False):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(str(digit), fontsize=7, pad=1.5)
        ax.set_xticks([])
        ax.set_yticks([])
    block.subplots_adjust(
        top=0.86, bottom=0.01, left=0.02, right=0.98, hspace=0.45, wspace=0.12
    )

# When run as a script, also write the grid to examples/output/ (sphinx-gallery
# runs examples without ``__file__`` and collects the figure itself).
try:
    from pathlib import Path

    output = Path(__file__).resolve().parent / "output"
except NameError:
    output = None
if output is not None:
    output.mkdir(exist_ok=True)
    fig.savefig(output / "digits_grid.png", dpi=100)
    print(f"Wrote {output / 'digits_grid.png'}")

plt.show()

# %%
# What the numbers say
# --------------------
# Both GANs learnt shapes, not only pixel statistics: the judge reads their
# samples more confidently than the images of independent pixels and the
# averages of two digits, though less confidently than the real digits, and
# the samples are visibly noisier than the real ones.
#
# The claim we started from is not borne out here. When we ran this script
# (CPU, one torch thread, torch 2.13), the classic GAN did not collapse: it
# drew every digit in roughly even shares, and it beat the defaults on mean
# confidence and on the share of confident images. The defaults spread their
# samples less evenly over the digits. Refitting both models with
# ``random_state=1`` and ``2`` (not part of this script) gave the same
# ordering. So on this table, at 300 epochs, WGAN-GP with packing is not
# needed to avoid collapse, and the classic loss gives the sharper digits.
# This says nothing about other tables, longer training or other settings,
# which we did not try; measure your own data the same way rather than rely
# on either loss's reputation.
#
# The comparison of this run, computed from the table above:
classic, default = (table.loc[name] for name in models)
for column in [
    "mean confidence",
    "confidence > 0.9",
    "classes >= 3 %",
    "smallest class",
]:
    if classic[column] == default[column]:
        verdict = "tie"
    else:
        verdict = "classic" if classic[column] > default[column] else "defaults"
    print(
        f"{column:>17}: classic {classic[column]:.3g}, defaults "
        f"{default[column]:.3g} -> higher: {verdict}"
    )
