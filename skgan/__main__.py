"""Command line: ``python -m skgan demo`` (more sub-commands to come)."""

from __future__ import annotations

import argparse
import sys
import time


def _demo(args) -> int:
    from skgan import GANSampler
    from skgan.datasets import load_adult
    from skgan.metrics import column_shapes

    real = load_adult()
    categorical = real.select_dtypes(exclude="number").columns
    print(
        f"skgan demo: learning a {len(real):,}-row sample of the UCI Adult census "
        f"table ({real.shape[1]} columns: {real.shape[1] - len(categorical)} "
        f"numeric, {len(categorical)} categorical, with missing values) with "
        f"GANSampler, {args.epochs} epochs of batches of 100 rows on {args.device}.",
        flush=True,
    )
    # A small table: batches of 100 rows give 30 steps per epoch (the
    # default 500 would give 6), so a short run still trains enough.
    gan = GANSampler(
        epochs=args.epochs,
        batch_size=100,
        device=args.device,
        random_state=args.seed,
        verbose=1 if args.verbose else 0,
    )
    start = time.perf_counter()
    _fit_with_progress(gan, real)
    fit_seconds = time.perf_counter() - start
    synthetic = gan.sample(args.n_samples)
    losses = ""
    if gan.history_:
        last = gan.history_[-1]
        losses = f" (final d_loss {last['d_loss']:.3f}, g_loss {last['g_loss']:.3f})"
    print(
        f"Trained {gan.n_iter_} epochs in {fit_seconds:.1f} s on {gan.device_}"
        f"{losses}; sampled {len(synthetic)} rows with the same columns and "
        "dtypes.\n"
    )
    shapes = column_shapes(real, synthetic, categorical_features=list(categorical))
    print(f"{'column':<16}{'kind':<13}{'real':>22}{'synthetic':>22}{'shape':>7}")
    for name in real.columns:
        if name in categorical:
            top = real[name].value_counts(normalize=True).index[0]
            kind = "categorical"
            cells = [
                f"{top} {(col[name] == top).mean():.1%}" for col in (real, synthetic)
            ]
        else:
            kind = "numeric"
            cells = [f"mean {col[name].mean():,.1f}" for col in (real, synthetic)]
        cells = [c if len(c) <= 21 else c[:18] + "..." for c in cells]
        print(
            f"{name:<16}{kind:<13}{cells[0]:>22}{cells[1]:>22}"
            f"{shapes.column_scores[name]:>7.3f}"
        )
    print(
        f"\nColumn shapes, mean over columns: {shapes.score:.3f} (1 - KS for numeric, "
        "1 - total variation for categorical columns; 1 is a perfect match)."
    )
    missing = [
        f"{name} {real[name].isna().mean():.1%} / {synthetic[name].isna().mean():.1%}"
        for name in real.columns
        if real[name].isna().any()
    ]
    print("Missing values, real / synthetic: " + ", ".join(missing) + ".")
    women = gan.sample(5, conditions={"sex": "Female", "income": ">50K"})
    print(
        "\nConditional sampling, sample(5, conditions={'sex': 'Female', "
        "'income': '>50K'}):"
    )
    print(women.to_string(max_colwidth=14))
    synthetic.to_csv(args.output, index=False)
    print(f"\nWrote {len(synthetic)} synthetic rows to {args.output}.")
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
    demo.add_argument("--epochs", type=int, default=60, help="training epochs (60)")
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
