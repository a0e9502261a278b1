"""Command line: ``skgan`` or ``python -m skgan``.

Sub-commands:

* ``fit``: train a :class:`~skgan.GANSampler` on a CSV file and save it with
  :func:`skgan.save`;
* ``sample``: load a model file and write synthetic rows to a CSV file;
* ``evaluate``: print :func:`skgan.metrics.quality_report` for a real and a
  synthetic CSV file;
* ``demo``: fit a GAN on the bundled Adult table and compare.

User errors (a missing file, an unknown column, a bad value, a file that is
not a model) end with exit status 2 and one line on stderr that starts with
``skgan: error:``. Set the environment variable ``SKGAN_DEBUG=1`` to see
tracebacks instead.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
import time
import warnings

EXIT_USER_ERROR = 2
EXIT_BUG = 1
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE
_STDOUT = "-"

_EPILOG = """\
exit status:
  0  success
  1  an unexpected error (a bug): set SKGAN_DEBUG=1 for the traceback
  2  a usage error: bad arguments, a missing or unreadable file, an unknown
     column or value, a file that is not a skgan model

environment:
  SKGAN_DEBUG=1  show full Python tracebacks instead of one-line errors
"""


class UserError(Exception):
    """An error in what the user asked for: reported in one line, status 2."""


# ---------------------------------------------------------------------- demo


def _demo(args) -> int:
    from skgan import GANSampler
    from skgan.datasets import load_adult
    from skgan.metrics import column_shapes

    # Checked before training, as fit does.
    _check_positive(args.epochs, "--epochs")
    _check_positive(args.n_samples, "-n")
    _check_device(args.device)
    _check_output(args.output)
    real = load_adult()
    categorical = real.select_dtypes(exclude="number").columns
    print(
        f"skgan demo: learning a {len(real):,}-row sample of the UCI Adult census "
        f"table ({real.shape[1]} columns: {real.shape[1] - len(categorical)} "
        f"numeric, {len(categorical)} categorical, with missing values) with "
        f"GANSampler, {args.epochs} epochs on {args.device}.",
        flush=True,
    )
    # GANSampler's defaults but 300 epochs (1,800 steps here; epochs="auto"
    # would make 3,000). Measured on 2 idle CPU cores (seeds 0-2): 38-49 s,
    # column shapes 0.907-0.938; the former demo's batches of 100 rows for 60
    # epochs (more, noisier steps: 10 packs a batch) took 19 s for 0.85-0.89,
    # and 68 s for 150 epochs gave 0.915.
    gan = GANSampler(
        epochs=args.epochs,
        device=args.device,
        random_state=args.seed,
        verbose=2 if args.verbose else 0,
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


def _print_bar(done, total, unit="epoch", stream=None):
    stream = sys.stdout if stream is None else stream
    filled = int(30 * done / total)
    bar = f"  [{'#' * filled}{'.' * (30 - filled)}] {unit} {done:,}/{total:,}"
    if stream.isatty():
        print(f"\r{bar}", end="", flush=True, file=stream)
    else:
        print(bar, flush=True, file=stream)


# ------------------------------------------------------------ shared helpers


_INTEGER_TEXT = r"\s*[+-]?\d+\s*"
# ISO 8601 dates and datetimes: 2023-01-31, 2023-01-31T08:15, 2023-01-31
# 08:15:00.5, with an optional Z or UTC offset.
_ISO_DATETIME = (
    r"\d{4}-\d{2}-\d{2}"
    r"([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?"
)


def _read_csv(pd, path, dates=None, detect_dates=True):
    """Read a CSV file into a DataFrame; user errors as :class:`UserError`.

    pandas reads an integer column with empty fields as float64. Such a
    column becomes the nullable ``Int64`` when every value present is
    written as an integer in the file, so that a model fitted on it writes
    integers back. Date columns are parsed as :func:`_parse_dates` says;
    ``dates`` is the text of ``--dates`` (None without it).
    """
    if not os.path.exists(path):
        raise UserError(f"{path}: no such file")
    if os.path.isdir(path):
        raise UserError(f"{path} is a directory, not a CSV file")
    try:
        frame = pd.read_csv(path)
        floats = [
            name
            for name in frame.columns
            if frame[name].dtype.kind == "f" and frame[name].isna().any()
        ]
        if floats:
            text = pd.read_csv(path, usecols=floats, dtype=str)
    except (ValueError, UnicodeDecodeError) as error:
        # ParserError, EmptyDataError and decoding errors are ValueErrors.
        raise UserError(
            f"cannot read {path} as a CSV file: {_one_line(error)}"
        ) from None
    for name in floats:
        present = text[name].dropna()
        values = frame[name].dropna()
        if (
            len(present)
            and present.str.fullmatch(_INTEGER_TEXT).all()
            and values.abs().max() < 2**53
        ):
            frame[name] = frame[name].astype("Int64")
    if dates is not None:
        dates = _column_names(dates, frame.columns, "--dates", path)
    return _parse_dates(pd, frame, path, dates or (), detect_dates)


def _parse_dates(pd, frame, path, dates, detect):
    """Text columns of dates or datetimes as datetime64 columns.

    With ``detect``, every text column whose values are all ISO 8601 dates
    or datetimes (empty fields aside); and the columns named in ``dates``
    whatever their format, an error when they do not parse. A model then
    generates new dates, written back as dates (datetimes when the input
    had times).
    """
    types = pd.api.types
    for name in frame.columns:
        column = frame[name]
        if types.is_numeric_dtype(column.dtype) or types.is_bool_dtype(column.dtype):
            if name in dates:
                raise UserError(f"--dates {name}: {path} has numbers in this column")
            continue
        if types.is_datetime64_any_dtype(column.dtype):
            continue
        present = column.dropna().astype(str)
        if name not in dates and not (
            detect and len(present) and present.str.fullmatch(_ISO_DATETIME).all()
        ):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pandas' notes on inferring formats
                parsed = pd.to_datetime(column)
        except (ValueError, TypeError, OverflowError) as error:
            parsed, reason = None, _one_line(error)
        else:
            reason = "mixed time zones"
        if parsed is not None and types.is_datetime64_any_dtype(parsed.dtype):
            frame[name] = parsed
        elif name in dates:
            raise UserError(
                f"--dates {name}: {path} has values in this column that are not "
                f"dates ({reason})"
            )
    return frame


def _date_options(parser):
    parser.add_argument(
        "--dates",
        metavar="A,B,...",
        help="comma-separated columns to read as dates or datetimes, whatever "
        "their format (columns of ISO 8601 dates, such as 2023-01-31 or "
        "2023-01-31T08:15:00, are found without it)",
    )
    parser.add_argument(
        "--no-date-detection",
        action="store_true",
        help="read ISO 8601 date columns as text (categories), unless --dates "
        "names them",
    )


def _column_names(text, columns, option, path):
    """The comma-separated names of ``--option``; each must be a column."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise UserError(f"{option} needs at least one column name")
    unknown = [name for name in names if name not in columns]
    if unknown:
        raise UserError(
            f"{option} names {_names(unknown)}, not a column of {path}; its "
            f"columns are {_names(columns)}"
        )
    return names


def _names(values, limit=30):
    shown = ", ".join(repr(str(v)) for v in list(values)[:limit])
    more = len(values) - limit
    return shown + (f", ... ({more} more)" if more > 0 else "")


def _is_categorical_dtype(pd, dtype):
    """The dtype rule of ``categorical_features="from_dtype"``."""
    types = pd.api.types
    return types.is_bool_dtype(dtype) or not (
        types.is_numeric_dtype(dtype) or types.is_datetime64_any_dtype(dtype)
    )


def _categorical_features(pd, frame, names):
    """``names`` plus the columns that are categorical by their dtype."""
    chosen = set(names)
    return [
        name
        for name in frame.columns
        if name in chosen or _is_categorical_dtype(pd, frame[name].dtype)
    ]


def _check_output(path):
    """Refuse an output file that cannot be written, before any work."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError(f"cannot write {path}: no directory {folder}")
    if os.path.isdir(path):
        raise UserError(f"cannot write {path}: it is a directory")


def _epochs(text):
    """``--epochs``: an integer or ``auto``."""
    return "auto" if text == "auto" else int(text)


def _check_positive(value, option):
    if value is not None and value < 1:
        raise UserError(f"{option} must be a positive integer; got {value}")


def _check_device(device):
    """Refuse an unknown or unavailable device before reading any data."""
    from skgan._utils import resolve_device

    try:
        resolve_device(device)
    except ValueError as error:
        raise UserError(f"--device {device}: {_one_line(error)}") from None


def _one_line(error) -> str:
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return text or type(error).__name__


# ----------------------------------------------------------------------- fit


def _fit(args) -> int:
    import pandas as pd

    from skgan import GANSampler, save

    if args.epochs != "auto":
        _check_positive(args.epochs, "--epochs")
    _check_positive(args.batch_size, "--batch-size")
    _check_device(args.device)
    _check_output(args.output)
    frame = _read_csv(
        pd,
        args.data,
        dates=args.dates,
        detect_dates=not args.no_date_detection,
    )
    if len(frame) == 0:
        raise UserError(f"{args.data} has a header but no rows")
    X, y = frame, None
    if args.target is not None:
        if args.target not in frame.columns:
            raise UserError(
                f"--target names {args.target!r}, not a column of {args.data}; "
                f"its columns are {_names(frame.columns)}"
            )
        X, y = frame.drop(columns=args.target), frame[args.target]
        if X.shape[1] == 0:
            raise UserError(
                f"{args.data} has no column besides the --target {args.target!r}"
            )
        if y.isna().any():
            raise UserError(
                f"the --target column {args.target!r} is empty in "
                f"{int(y.isna().sum())} rows; drop those rows or choose another "
                "target"
            )
    categorical = "from_dtype"
    if args.categorical is not None:
        names = _column_names(
            args.categorical, frame.columns, "--categorical", args.data
        )
        categorical = _categorical_features(
            pd, X, [name for name in names if name != args.target]
        )
    gan = GANSampler(
        categorical_features=categorical,
        enforce_rounding=not args.no_rounding,
        epochs=args.epochs,
        early_stopping={"on": True, "off": False, "auto": "auto"}[args.early_stopping],
        device=args.device,
        precision=args.precision,
        compile=False if args.compile == "off" else args.compile,
        random_state=args.seed,
        verbose=0 if args.quiet else 1,
        **({} if args.batch_size is None else {"batch_size": args.batch_size}),
    )
    start = time.perf_counter()
    # GANSampler prints its per-epoch lines on stdout: send them to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        gan.fit(X, y)
    seconds = time.perf_counter() - start
    save(gan, args.output)  # atomic: a failed save keeps an older file
    kept = ""
    if gan.best_epoch_ is not None:
        kept = (
            f"; kept epoch {gan.best_epoch_}, validation score "
            f"{gan.best_validation_score_:.4f}"
        )
    print(
        f"Wrote the model to {args.output} (trained {gan.n_iter_} "
        f"epoch{'s' if gan.n_iter_ != 1 else ''} in {seconds:.1f} s on "
        f"{gan.device_}{kept})."
    )
    return 0


# -------------------------------------------------------------------- sample


def _sampler_of(model, path):
    """The fitted GANSampler in a loaded model file."""
    from skgan import GANSampler

    if not isinstance(model, GANSampler):
        sampler = getattr(model, "sampler_", None)  # a GANOverSampler
        if not isinstance(sampler, GANSampler):
            raise UserError(
                f"{path} holds an unfitted {type(model).__name__}; train one "
                "with 'skgan fit'"
            )
        model = sampler
    if not hasattr(model, "encoder_"):
        raise UserError(
            f"{path} holds an unfitted GANSampler; train one with 'skgan fit'"
        )
    return model


def _parse_conditions(encoder, items):
    """``col=value`` texts to ``(conditions dict, y or None)``.

    A value is matched against the text of the categories the model saw in
    ``fit``; an empty value means the missing level of a column that had
    missing values.
    """
    infos = encoder.columns_.infos
    by_name = {str(info.name): info for info in infos}
    from skgan._sampler import label_column

    target = label_column(encoder)
    categorical = [str(info.name) for info in infos if info.kind == "categorical"]
    if target is not None:
        categorical.append(target)
    conditions, y = {}, None
    given = {}  # column -> the --condition that fixed it
    for item in items or ():
        column, equals, text = item.partition("=")
        if not equals or not column:
            raise UserError(f"--condition takes column=value; got {item!r}")
        if column in given:
            raise UserError(
                f"--condition {item}: column {column!r} is already fixed by "
                f"--condition {given[column]}; give each column once"
            )
        given[column] = item
        if column == target:
            info = encoder.target_
        elif column in by_name:
            info = by_name[column]
            if info.kind != "categorical":
                raise UserError(
                    f"--condition {item}: {column!r} is a continuous column; "
                    "conditions fix categorical columns only, which are "
                    f"{_names(categorical) or 'none'}"
                )
        else:
            raise UserError(
                f"--condition {item}: the model has no column {column!r}; its "
                f"categorical columns are {_names(categorical) or 'none'}"
            )
        value = _category_from_text(info, text, item)
        if column == target:
            y = value
        else:
            conditions[info.name] = value
    return conditions, y


def _category_from_text(info, text, item):
    for category in info.categories:
        if str(category) == text:
            return category
    if text == "" and info.has_missing:
        return None
    valid = [str(c) for c in info.categories]
    missing = " (or nothing after '=' for a missing value)" if info.has_missing else ""
    raise UserError(
        f"--condition {item}: {text!r} is not a value of column {str(info.name)!r}; "
        f"valid values: {_names(valid)}{missing}"
    )


def _sample(args) -> int:
    import numpy as np

    from skgan import load
    from skgan._rowfiles import RowFileWriter
    from skgan._sampler import _SAMPLE_BLOCK

    _check_positive(args.n_samples, "-n")
    if args.output != _STDOUT:
        try:  # the suffix, the folder and pyarrow, before anything is loaded
            RowFileWriter(args.output)
        except (ValueError, ImportError) as error:
            raise UserError(f"-o {args.output}: {_one_line(error)}") from None
    if not os.path.exists(args.model):
        raise UserError(f"{args.model}: no such file")
    if os.path.isdir(args.model):
        raise UserError(f"{args.model} is a directory, not a model file")
    model = _sampler_of(load(args.model), args.model)
    encoder = model.encoder_
    conditions, y = _parse_conditions(encoder, args.condition)
    # Without --seed, every run draws new rows (not the file's saved stream).
    random_state = args.seed if args.seed is not None else np.random.RandomState()
    options = dict(y=y, conditions=conditions or None, random_state=random_state)
    if args.output == _STDOUT:
        model.sample_to_file(sys.stdout, args.n_samples, **options)
        return 0
    # Rows are generated and written a block at a time (131,072 rows): a
    # progress bar on stderr when there is more than one block.
    progress = None
    if not args.quiet and args.n_samples > _SAMPLE_BLOCK:
        progress = functools.partial(_print_bar, unit="rows", stream=sys.stderr)
    model.sample_to_file(args.output, args.n_samples, progress=progress, **options)
    if progress is not None and sys.stderr.isatty():
        print(file=sys.stderr)
    print(f"Wrote {args.n_samples:,} rows to {args.output}.")
    return 0


# ------------------------------------------------------------------ evaluate


def _evaluate(args) -> int:
    import pandas as pd

    from skgan.metrics import quality_report

    options = dict(
        dates=args.dates,
        detect_dates=not args.no_date_detection,
    )
    real = _read_csv(pd, args.real, **options)
    synthetic = _read_csv(pd, args.synthetic, **options)
    holdout = None if args.holdout is None else _read_csv(pd, args.holdout, **options)
    for path, table in ((args.synthetic, synthetic), (args.holdout, holdout)):
        if table is None:
            continue
        missing = [name for name in real.columns if name not in table.columns]
        extra = [name for name in table.columns if name not in real.columns]
        if missing or extra:
            parts = [f"missing {_names(missing)}" if missing else ""]
            parts.append(f"not in {args.real}: {_names(extra)}" if extra else "")
            raise UserError(
                f"{path} and {args.real} have different columns: "
                + "; ".join(p for p in parts if p)
            )
    for path, table in ((args.real, real), (args.synthetic, synthetic)):
        if len(table) < 5:
            raise UserError(
                f"{path} needs at least 5 rows (detection_auc's 5 folds); it "
                f"has {len(table)}"
            )
    if args.target is not None:
        if args.target not in real.columns:
            raise UserError(
                f"--target names {args.target!r}, not a column of {args.real}; "
                f"its columns are {_names(real.columns)}"
            )
        if holdout is None:
            raise UserError(
                "--target needs --holdout: machine-learning efficacy trains on "
                "the real and on the synthetic rows and tests both models on "
                "real rows that the GAN did not see"
            )
    categorical = None
    if args.categorical is not None:
        names = _column_names(
            args.categorical, real.columns, "--categorical", args.real
        )
        categorical = _categorical_features(pd, real, names)
    report = quality_report(
        real,
        synthetic[list(real.columns)],
        target=args.target,
        real_holdout=None if holdout is None else holdout[list(real.columns)],
        categorical_features=categorical,
        random_state=args.seed,
    )
    print(report)
    return 0


# ---------------------------------------------------------------------- main


def _parser():
    from skgan._utils import COMPILE_MODES

    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="skgan",
        description="Generative adversarial networks for tables: train a "
        "synthesizer on a CSV file, sample synthetic rows, compare them with "
        "the real ones.",
        epilog=_EPILOG,
        formatter_class=formatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fit = commands.add_parser(
        "fit",
        help="train a GANSampler on a CSV file and save it",
        description="Train a GANSampler on a CSV file and save it with "
        "skgan.save (a safe model file: loading it runs no code). Text columns "
        "are categorical, numeric ones continuous; --categorical adds numeric "
        "columns to the categorical ones. Progress goes to stderr: one line "
        "per epoch, or about 100 lines for a longer fit.",
        epilog="example:\n  skgan fit adult.csv -o adult.skgan --target income "
        "--epochs 300\n\n" + _EPILOG,
        formatter_class=formatter,
    )
    fit.add_argument("data", help="CSV file with a header row")
    fit.add_argument(
        "-o", "--output", required=True, help="model file to write (e.g. model.skgan)"
    )
    fit.add_argument(
        "--target",
        metavar="COLUMN",
        help="class column: learn the table conditioned on it, so that "
        "'skgan sample --condition COLUMN=VALUE' draws rows of a class",
    )
    fit.add_argument(
        "--categorical",
        metavar="A,B,...",
        help="comma-separated columns to treat as categorical, in addition to "
        "the text and true/false columns (which always are)",
    )
    fit.add_argument(
        "--epochs",
        type=_epochs,
        default="auto",
        help="training epochs, or auto (the default, as GANSampler: 300, or "
        "more on a small table so that training makes 3,000 steps)",
    )
    fit.add_argument(
        "--early-stopping",
        choices=("auto", "on", "off"),
        default="off",
        help="hold back 10%% of the rows, stop when the generator's score on "
        "them stops improving and keep its best epoch; auto: on for tables of "
        "more than 10,000 rows (default: off, as GANSampler)",
    )
    fit.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="rows per training step (default: 500, at most the number of rows)",
    )
    fit.add_argument(
        "--device",
        default="auto",
        help="auto (a CUDA GPU when there is one), cpu, cuda, cuda:N or mps "
        "(default: auto)",
    )
    fit.add_argument(
        "--precision",
        choices=("float32", "bf16"),
        default="float32",
        help="bf16: bfloat16 autocast when training on a CUDA GPU; elsewhere a "
        "warning and float32 (default: float32)",
    )
    fit.add_argument(
        "--compile",
        choices=("off", *COMPILE_MODES),
        default="off",
        help="compile the training step with torch.compile in this mode when "
        "training on a CUDA GPU; elsewhere a warning and no compiling "
        "(default: off)",
    )
    fit.add_argument(
        "--seed",
        type=int,
        default=None,
        help="random seed: the same seed, data and machine give the same model "
        "on the CPU (default: none)",
    )
    fit.add_argument(
        "--no-rounding",
        action="store_true",
        help="write float columns at full precision instead of with the "
        "decimals of the input (GANSampler(enforce_rounding=False))",
    )
    _date_options(fit)
    fit.add_argument(
        "-q", "--quiet", action="store_true", help="no progress lines on stderr"
    )
    fit.set_defaults(handler=_fit)

    sample = commands.add_parser(
        "sample",
        help="write synthetic rows from a model file to CSV",
        description="Load a model written by 'skgan fit' (or skgan.save) and "
        "write synthetic rows as CSV, with the columns of the training file. "
        "For a model fitted with --target the target column is written last.",
        epilog="examples:\n"
        "  skgan sample adult.skgan -n 1000 -o synthetic.csv\n"
        "  skgan sample adult.skgan -n 500 --condition sex=Female "
        "--condition 'income=>50K' --seed 0\n\n" + _EPILOG,
        formatter_class=formatter,
    )
    sample.add_argument("model", help="model file written by 'skgan fit'")
    sample.add_argument(
        "-n",
        "--n-samples",
        type=int,
        required=True,
        help="number of rows to generate",
    )
    sample.add_argument(
        "-o",
        "--output",
        default=_STDOUT,
        help="file to write: .csv, or .parquet/.pq (needs pyarrow: pip install "
        "'skgan[parquet]'); '-' (the default) writes CSV to stdout. Rows are "
        "written as they are generated, so any number fits in memory",
    )
    sample.add_argument(
        "--condition",
        action="append",
        metavar="COLUMN=VALUE",
        help="every row gets VALUE in the categorical COLUMN (or the --target "
        "column of the fit); repeat for several columns. VALUE is written as "
        "in the CSV file; nothing after '=' asks for a missing value",
    )
    sample.add_argument(
        "--seed",
        type=int,
        default=None,
        help="random seed: the same seed gives the same rows (default: new "
        "rows on every run)",
    )
    sample.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar on stderr (shown when writing more than 131,072 "
        "rows to a file)",
    )
    sample.set_defaults(handler=_sample)

    evaluate = commands.add_parser(
        "evaluate",
        help="compare synthetic rows with real ones (skgan.metrics.quality_report)",
        description="Print skgan.metrics.quality_report for two CSV files with "
        "the same columns: column shapes, column pair trends and how well a "
        "classifier tells real from synthetic rows; with --holdout, the "
        "distance to the closest record; with --holdout and --target, "
        "machine-learning efficacy.",
        epilog="example:\n  skgan evaluate train.csv synthetic.csv "
        "--holdout test.csv --target income\n\n" + _EPILOG,
        formatter_class=formatter,
    )
    evaluate.add_argument("real", help="CSV file of the real rows the GAN learnt")
    evaluate.add_argument("synthetic", help="CSV file of synthetic rows")
    evaluate.add_argument(
        "--holdout",
        metavar="CSV",
        help="real rows the GAN did not see (adds distance to closest record)",
    )
    evaluate.add_argument(
        "--target",
        metavar="COLUMN",
        help="column to predict for machine-learning efficacy (needs --holdout)",
    )
    evaluate.add_argument(
        "--categorical",
        metavar="A,B,...",
        help="comma-separated columns to treat as categorical, in addition to "
        "the text and true/false columns",
    )
    evaluate.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed of the classifiers (default: 0)",
    )
    _date_options(evaluate)
    evaluate.set_defaults(handler=_evaluate)

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
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings as one line each, without the source line."""
    stream = sys.stderr if file is None else file
    print(f"skgan: warning: {_one_line(message)}", file=stream, flush=True)


def main(argv=None) -> int:
    """Run the ``skgan`` command line; returns the exit status.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; ``None`` reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 2 for a user error, 1 for an unexpected error, 141
        when the reader of stdout went away, 130 when interrupted.
    """
    args = _parser().parse_args(argv)
    debug = os.environ.get("SKGAN_DEBUG", "") not in ("", "0")
    with warnings.catch_warnings():
        if not debug:
            warnings.showwarning = _show_warning
        try:
            return args.handler(args)
        except BrokenPipeError:
            # The reader of stdout went away (``skgan sample m.skgan | head``):
            # 128 + SIGPIPE, the status of Unix tools in that case.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return EXIT_BROKEN_PIPE
        except KeyboardInterrupt:
            if debug:
                raise
            print("skgan: interrupted", file=sys.stderr)
            return 130
        except (UserError, ValueError, TypeError, OSError) as error:
            # FileNotFoundError is an OSError.
            if debug:
                raise
            print(f"skgan: error: {_one_line(error)}", file=sys.stderr)
            return EXIT_USER_ERROR
        except Exception as error:
            if debug:
                raise
            print(
                f"skgan: error: unexpected {type(error).__name__}: "
                f"{_one_line(error)} (a bug in skgan? set SKGAN_DEBUG=1 for the "
                "traceback and report it)",
                file=sys.stderr,
            )
            return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
