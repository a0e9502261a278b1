#!/usr/bin/env python
"""Minority-class augmentation on Adult: none, random over-sampling, SMOTENC, GAN.

Run from the repository root::

    python benchmarks/augmentation.py                      # full Adult, 3x2 folds
    python benchmarks/augmentation.py --epochs 100 --repeats 3
    python benchmarks/augmentation.py --plot augmentation.png --json out.json
    python benchmarks/augmentation.py --smoke              # seconds: bundled sample

Data. UCI Adult read from ``--data`` (default ``../shared/data/adult.csv``
next to the repository, 32,561 rows) and cleaned like
:func:`skgan.datasets.load_adult`; ``--smoke`` uses the bundled 3,000-row
sample instead. Missing categories (``?`` in the file) are kept as the
category ``"?"`` for every method (SMOTENC does not accept NaN). The
positive class (income ``>50K``) is then subsampled, with ``--data-seed``, so
that it makes up ``--rate`` of the table (default 5 %: 1,301 positive rows
next to the 24,720 negative ones). Categorical columns become pandas
``category`` columns with the categories of the whole table.

Protocol. Repeated stratified K-fold (``--folds`` x ``--repeats``, seeded
with ``--seed``). In each fold, every over-sampler is fitted on the training
fold only (``fit_resample``, ``sampling_strategy="auto"``: the minority class
is brought up to the majority's count), and every model is then fitted on
the resampled training fold and scored on the untouched test fold. The
resampling runs once per fold and method and is shared by the models, which
is what an imbalanced-learn Pipeline would compute.

Methods (``--methods``):

* ``none``: the training fold as it is;
* ``random``: ``imblearn.over_sampling.RandomOverSampler`` (copies of rows);
* ``smotenc``: ``imblearn.over_sampling.SMOTENC(categorical_features="auto")``;
* ``gan``: ``skgan.GANOverSampler(sampler=GANSampler(epochs=E, device=D,
  n_jobs=threads))``, one class-conditional GAN per fold, default
  architecture; ``E`` is ``--epochs``, by default ``"auto"``, the
  estimator's own default (300 epochs and at least 3,000 steps).

Models (``--models``): ``hgb`` = ``HistGradientBoostingClassifier`` (native
categorical support), ``logreg`` = one-hot encoding + standard scaling +
``LogisticRegression(max_iter=1000)``.

Metrics, on the test fold, positive class = ``>50K``: minority-class F1 (at
the model's default threshold), balanced accuracy, and PR-AUC (average
precision of ``predict_proba``). The table prints the mean and standard
deviation over the folds, and F1 divided by SMOTENC's F1 in the same fold
(mean of the per-fold ratios). Nothing is tuned: every method runs with the
settings above, chosen before the run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEFAULT_DATA = REPO.parent / "shared" / "data" / "adult.csv"
TARGET = "income"
POSITIVE = ">50K"
METHODS = ("none", "random", "smotenc", "gan")
MODELS = ("hgb", "logreg")
METRICS = ("f1", "balanced_accuracy", "pr_auc")


def load_table(args):
    """Features (category + int64 columns) and the 0/1 target, imbalanced."""
    import pandas as pd

    from skgan.datasets import _read_adult_frame, load_adult

    if args.smoke:
        frame, source = load_adult(), "skgan.datasets.load_adult() (3,000 rows)"
    else:
        if not args.data.exists():
            sys.exit(f"error: data file {args.data} not found (pass --data PATH).")
        frame, source = _read_adult_frame(args.data), str(args.data)
    y = (frame.pop(TARGET) == POSITIVE).to_numpy().astype(int)
    rng = np.random.RandomState(args.data_seed)
    negatives = np.flatnonzero(y == 0)
    n_pos = int(round(args.rate / (1 - args.rate) * negatives.size))
    positives = rng.choice(np.flatnonzero(y == 1), n_pos, replace=False)
    keep = np.sort(np.r_[negatives, positives])
    X = frame.iloc[keep].reset_index(drop=True)
    for column in X.columns:
        if X[column].dtype == object:
            X[column] = pd.Categorical(X[column].fillna("?"))
    return X, y[keep], source


def make_sampler(method, args, seed):
    if method == "none":
        return None
    if method == "random":
        from imblearn.over_sampling import RandomOverSampler

        return RandomOverSampler(random_state=seed)
    if method == "smotenc":
        from imblearn.over_sampling import SMOTENC

        return SMOTENC(categorical_features="auto", random_state=seed)
    from skgan import GANOverSampler, GANSampler

    gan = GANSampler(epochs=args.epochs, device=args.device, n_jobs=args.threads)
    return GANOverSampler(sampler=gan, random_state=seed)


def make_model(name, X, seed):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if name == "hgb":
        return HistGradientBoostingClassifier(
            categorical_features="from_dtype", random_state=seed
        )
    categorical = [c for c in X.columns if X[c].dtype == "category"]
    numeric = [c for c in X.columns if c not in categorical]
    encode = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
            ("num", StandardScaler(), numeric),
        ]
    )
    return make_pipeline(encode, LogisticRegression(max_iter=1000))


def score(model, X_test, y_test):
    from sklearn.metrics import (
        average_precision_score,
        balanced_accuracy_score,
        f1_score,
    )

    pred = model.predict(X_test)
    proba = model.predict_proba(X_test)[:, 1]
    return {
        "f1": f1_score(y_test, pred),
        "balanced_accuracy": balanced_accuracy_score(y_test, pred),
        "pr_auc": average_precision_score(y_test, proba),
    }


def run(args):
    import torch
    from sklearn.model_selection import RepeatedStratifiedKFold
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    X, y, source = load_table(args)
    print(f"data: {source}")
    print(
        f"table: {len(y)} rows, {int(y.sum())} positive ({y.mean():.1%}); "
        f"{args.folds} folds x {args.repeats} repeats; GAN epochs {args.epochs}, "
        f"device {args.device}; threads {args.threads}; "
        f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    cv = RepeatedStratifiedKFold(
        n_splits=args.folds, n_repeats=args.repeats, random_state=args.seed
    )
    results = []  # one dict per (fold, method, model)
    with threadpool_limits(limits=args.threads):
        for fold, (train, test) in enumerate(cv.split(X, y)):
            X_train, y_train = X.iloc[train], y[train]
            X_test, y_test = X.iloc[test], y[test]
            for method in args.methods:
                sampler = make_sampler(method, args, seed=args.seed + fold)
                start = time.perf_counter()
                if sampler is None:
                    X_res, y_res = X_train, y_train
                else:
                    X_res, y_res = sampler.fit_resample(X_train, y_train)
                seconds = time.perf_counter() - start
                for name in args.models:
                    model = make_model(name, X, seed=args.seed + fold)
                    model.fit(X_res, y_res)
                    row = dict(fold=fold, method=method, model=name, resample_s=seconds)
                    row.update(score(model, X_test, y_test))
                    results.append(row)
                    print(
                        f"  fold {fold} {method:8s} {name:7s} F1 {row['f1']:.4f} "
                        f"bal.acc {row['balanced_accuracy']:.4f} "
                        f"PR-AUC {row['pr_auc']:.4f} (resample {seconds:.1f} s)",
                        flush=True,
                    )
    return results


def summarise(results, methods, models):
    """Per (model, method): mean and sd of each metric, and F1 / SMOTENC's F1."""
    table = []
    for name in models:
        for method in methods:
            rows = [r for r in results if r["model"] == name and r["method"] == method]
            entry = {"model": name, "method": method}
            for metric in METRICS:
                values = np.array([r[metric] for r in rows])
                entry[metric] = (float(values.mean()), float(values.std(ddof=1)))
            entry["resample_s"] = float(np.mean([r["resample_s"] for r in rows]))
            reference = {
                r["fold"]: r["f1"]
                for r in results
                if r["model"] == name and r["method"] == "smotenc"
            }
            if reference:
                ratios = [r["f1"] / reference[r["fold"]] for r in rows]
                entry["f1_vs_smotenc"] = float(np.mean(ratios))
            table.append(entry)
    return table


def format_table(table):
    lines = [
        "| model | method | minority F1 | balanced accuracy | PR-AUC | F1 / SMOTENC "
        "| resample s |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in table:
        cells = [f"{e[m][0]:.4f} ± {e[m][1]:.4f}" for m in METRICS]
        ratio = f"{e['f1_vs_smotenc']:.3f}" if "f1_vs_smotenc" in e else "–"
        lines.append(
            f"| {e['model']} | {e['method']} | {' | '.join(cells)} | {ratio} "
            f"| {e['resample_s']:.1f} |"
        )
    return "\n".join(lines)


def plot(results, methods, models, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(models), len(METRICS), figsize=(12, 3.5 * len(models)))
    axes = np.atleast_2d(axes)
    for i, name in enumerate(models):
        for j, metric in enumerate(METRICS):
            data = [
                [r[metric] for r in results if r["model"] == name and r["method"] == m]
                for m in methods
            ]
            axes[i, j].boxplot(data)
            axes[i, j].set_xticks(range(1, len(methods) + 1), methods)
            axes[i, j].set_title(f"{name}: {metric.replace('_', ' ')}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot: {path}")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rate", type=float, default=0.05, help="positive share")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--epochs",
        type=lambda text: text if text == "auto" else int(text),
        default="auto",
        help="GAN epochs (default: GANSampler's, 'auto')",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-seed", type=int, default=0)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--plot", type=Path, help="box plots of every metric (PNG)")
    parser.add_argument(
        "--smoke", action="store_true", help="bundled sample, 2 folds, 1 epoch"
    )
    args = parser.parse_args(argv)
    args.methods = [m for m in args.methods.split(",") if m]
    args.models = [m for m in args.models.split(",") if m]
    unknown = set(args.methods) - set(METHODS) | set(args.models) - set(MODELS)
    if unknown:
        parser.error(f"unknown methods or models: {sorted(unknown)}")
    if args.smoke:
        args.folds, args.repeats, args.epochs = 2, 1, 1
    return args


def main(argv=None):
    args = parse_args(argv)
    results = run(args)
    table = summarise(results, args.methods, args.models)
    print()
    print(format_table(table))
    if args.json:
        args.json.write_text(json.dumps({"folds": results, "summary": table}, indent=1))
        print(f"json: {args.json}")
    if args.plot:
        plot(results, args.methods, args.models, args.plot)


if __name__ == "__main__":
    main()
