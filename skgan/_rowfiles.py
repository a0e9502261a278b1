"""Write blocks of rows to a CSV or Parquet file, atomically.

Used by :meth:`skgan.GANSampler.sample_to_file` and ``skgan sample``: the
rows arrive block by block and are written as they come, so memory holds one
block whatever the file's size. The file is written beside its path and
renamed when complete.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os

# Name endings and their format; CSV may be compressed (gzip, bzip2, xz).
FORMATS = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".csv.bz2": "csv",
    ".csv.xz": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


class RowFileWriter:
    """A context manager: ``with RowFileWriter(path) as w: w.write(frame)``.

    ``path`` may also be a text file object (such as ``sys.stdout``), written
    as CSV in place, without renaming.

    The format comes from the suffix of ``path`` (:data:`FORMATS`). A bad
    suffix, a missing folder or (for Parquet) a missing pyarrow is a
    ``ValueError`` or ``ImportError`` at construction, before any row is
    generated. Leaving the block with an exception (a Ctrl-C included)
    removes the partial file and leaves an existing ``path`` unchanged.
    """

    def __init__(self, path):
        self._file = None  # the CSV file
        self._parquet = None  # the pyarrow ParquetWriter
        self._schema = None
        self._started = False
        self._stream = None  # a text file object given instead of a path
        if hasattr(path, "write"):
            self._stream, self.path, self.format = path, path, "csv"
            return
        if not isinstance(path, str | os.PathLike):
            raise TypeError(
                "path must be a str, a path-like or a text file object; got "
                f"{type(path).__name__}."
            )
        self.path = os.fspath(path)
        suffix = next((s for s in FORMATS if self.path.lower().endswith(s)), None)
        if suffix is None:
            raise ValueError(
                f"Cannot tell the format of {self.path!r} from its suffix: use "
                f"one of {', '.join(FORMATS)}."
            )
        self.format = FORMATS[suffix]
        self._open = _OPENERS.get(os.path.splitext(suffix)[1], open)
        folder = os.path.dirname(self.path) or "."
        if not os.path.isdir(folder):
            raise ValueError(
                f"Cannot write {self.path!r}: there is no directory {folder!r}."
            )
        if self.format == "parquet":
            try:
                import pyarrow  # noqa: F401
                import pyarrow.parquet  # noqa: F401
            except ImportError:
                raise ImportError(
                    f"Writing {self.path!r} as Parquet needs pyarrow: pip install "
                    '"skgan[parquet]" (or pyarrow), or write a .csv file.'
                ) from None
        self._temporary = f"{self.path}.tmp-{os.getpid()}"

    def __enter__(self):
        if self._stream is not None:
            self._file = self._stream
        elif self.format == "csv":
            self._file = self._open(self._temporary, "wt", newline="", encoding="utf-8")
        return self

    def write(self, frame) -> None:
        """Append the rows of a DataFrame (the first call writes the header)."""
        if self.format == "csv":
            frame.to_csv(self._file, header=not self._started, index=False)
            self._started = True
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        # Every block takes the first block's schema: a block in which a text
        # column happens to be all missing keeps the column's type.
        table = pa.Table.from_pandas(frame, schema=self._schema, preserve_index=False)
        if self._parquet is None:
            self._schema = table.schema
            self._parquet = pq.ParquetWriter(self._temporary, self._schema)
        self._parquet.write_table(table)

    def __exit__(self, kind, error, traceback):
        if self._stream is not None:
            self._stream.flush()
            return False
        try:
            if self._file is not None:
                self._file.close()
            if self._parquet is not None:
                self._parquet.close()
            if kind is None:
                os.replace(self._temporary, self.path)
        finally:
            if os.path.exists(self._temporary):
                os.remove(self._temporary)
        return False
