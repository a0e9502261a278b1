"""Command line: ``python -m skgan demo`` (more sub-commands to come)."""

from __future__ import annotations

import argparse
import sys
import time


def _demo(args) -> int:
    import numpy as np
    from scipy.stats import ks_2samp
    from sklearn.datasets import load_breast_cancer

    from skgan import GANSampler

    data = load_breast_cancer()
    X, names = data.data, list(data.feature_names)
    print(
        f"skgan demo: learning scikit-learn's breast cancer table "
        f"({X.shape[0]} rows x {X.shape[1]} numeric columns) with GANSampler, "
        f"{args.epochs} epochs on {args.device}.",
        flush=True,
    )
    gan = GANSampler(
        epochs=args.epochs,
        device=args.device,
        random_state=args.seed,
        verbose=1 if args.verbose else 0,
    )
    start = time.perf_counter()
    _fit_with_progress(gan, X)
    fit_seconds = time.perf_counter() - start
    synthetic = gan.sample(args.n_samples)
    losses = ""
    if gan.history_:
        last = gan.history_[-1]
        losses = f" (final d_loss {last['d_loss']:.3f}, g_loss {last['g_loss']:.3f})"
    print(
        f"Trained {gan.n_iter_} epochs in {fit_seconds:.1f} s on {gan.device_}"
        f"{losses}; sampled {len(synthetic)} rows.\n"
    )
    ks = np.array(
        [ks_2samp(X[:, j], synthetic[:, j]).statistic for j in range(X.shape[1])]
    )
    print(
        f"{'column':<24}{'real mean':>12}{'synth mean':>12}{'real std':>11}"
        f"{'synth std':>11}{'KS':>7}"
    )
    for j in range(6):
        print(
            f"{names[j]:<24}{X[:, j].mean():>12.3f}{synthetic[:, j].mean():>12.3f}"
            f"{X[:, j].std():>11.3f}{synthetic[:, j].std():>11.3f}{ks[j]:>7.3f}"
        )
    print(f"... {X.shape[1] - 6} more columns.")
    real_corr = np.corrcoef(X, rowvar=False)
    synth_corr = np.corrcoef(synthetic, rowvar=False)
    upper = np.triu_indices(X.shape[1], k=1)
    corr_gap = np.abs(real_corr - synth_corr)[upper].mean()
    print(
        f"\nColumn shapes, mean 1 - KS over all columns: {1 - ks.mean():.3f} "
        "(1 is a perfect match)."
    )
    print(f"Correlations, mean absolute difference: {corr_gap:.3f} (0 is perfect).")
    np.savetxt(
        args.output, synthetic, delimiter=",", header=",".join(names), comments=""
    )
    print(f"Wrote {len(synthetic)} synthetic rows to {args.output}.")
    return 0


def _fit_with_progress(gan, X):
    """Fit, drawing a one-line progress bar from the per-epoch history."""
    if gan.verbose:
        return gan.fit(X)
    total = gan.epochs
    # Train in slices with warm_start so the bar advances: each slice goes on
    # training the same networks with the optimizer state kept.
    step = max(1, total // 20)
    gan.set_params(warm_start=True)
    done = 0
    try:
        while done < total:
            requested = min(step, total - done)
            gan.set_params(epochs=requested).fit(X)
            trained, done = gan.n_iter_ - done, gan.n_iter_
            _print_bar(done, total)
            if trained < requested:
                break  # training diverged; fit has warned and kept good weights
    finally:
        gan.set_params(warm_start=False, epochs=total)
    if sys.stdout.isatty():
        print()
    return gan


def _print_bar(done, total):
    filled = int(30 * done / total)
    bar = f"  [{'#' * filled}{'.' * (30 - filled)}] epoch {done}/{total}"
    if sys.stdout.isatty():
        print(f"\r{bar}", end="", flush=True)
    else:
        print(bar, flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="skgan", description="Generative adversarial networks for tables."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="fit a GAN on a built-in table, compare, write samples to CSV"
    )
    demo.add_argument("--epochs", type=int, default=300, help="training epochs (300)")
    demo.add_argument(
        "-n", "--n-samples", type=int, default=1000, help="rows to generate (1000)"
    )
    demo.add_argument(
        "-o",
        "--output",
        default="skgan_demo_samples.csv",
        help="CSV file for the samples (skgan_demo_samples.csv)",
    )
    demo.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N, mps")
    demo.add_argument("--seed", type=int, default=0, help="random_state (0)")
    demo.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="one line per epoch instead of a progress bar",
    )
    demo.set_defaults(handler=_demo)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
