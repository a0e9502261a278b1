"""Save and load skgan models in a format that cannot run code when loaded.

A model file is written with :func:`torch.save` and holds only what
``torch.load(..., weights_only=True)`` accepts: a dict of plain values, a
JSON string and CPU tensors. The JSON describes the estimator (its class,
parameters and fitted state) as a tree of tagged values; arrays and weights
are tensors referred to by name. Loading rebuilds objects only of an
allow-list of skgan's own classes, by setting their attributes; nothing is
unpickled, imported or called by name from the file. A pickle, a file of
another format, a truncated file, or a file whose JSON names any other class
is refused with a ``ValueError``.

Since format version 2 the file also records a SHA-256 digest of the JSON and
of every tensor (name, dtype, shape and bytes, in name order), and ``load``
refuses a file whose content does not match it before it builds anything: a
damaged file is an error at ``load``, never a model that fails or samples
wrong rows later. The digest detects damage, not forgery: whoever can edit a
file can recompute it. Files of version 1 (without the digest) still load.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import warnings

import numpy as np
import pandas as pd
import torch

__all__ = ["load", "save"]

FORMAT = "skgan-model"
FORMAT_VERSION = 2
# Version 1: the same, without the digest.
_READABLE_VERSIONS = (1, 2)

# Numeric dtypes stored as tensors (others go into the JSON as lists).
_TENSOR_KINDS = "biuf"
_UNSUPPORTED_UINTS = (np.uint16, np.uint32, np.uint64)


def _allowed_classes() -> dict:
    """The only classes a file may instantiate, by qualified name."""
    from ._columns import ColumnInfo, ColumnSet, Target
    from ._encoding import (
        ModeNormalizer,
        OutputLayout,
        QuantileScaler,
        Span,
        TableEncoder,
    )
    from ._mixture import ColumnMixtures
    from ._sampler import GANSampler

    classes = [
        GANSampler,
        TableEncoder,
        ColumnInfo,
        ColumnSet,
        Target,
        ModeNormalizer,
        QuantileScaler,
        OutputLayout,
        Span,
        ColumnMixtures,
    ]
    try:
        from ._oversampler import GANOverSampler

        classes.append(GANOverSampler)
    except ImportError:  # imbalanced-learn is an optional extra
        pass
    return {f"{c.__module__}.{c.__qualname__}": c for c in classes}


_ESTIMATORS = ("skgan._sampler.GANSampler", "skgan._oversampler.GANOverSampler")


# ------------------------------------------------------------------- save


def save(estimator, path):
    """Save a skgan model to ``path`` in skgan's safe format.

    The file holds the estimator's parameters and fitted state: tensors
    (network weights, optimiser state, encoder arrays) and JSON metadata.
    :func:`load` reads it back without unpickling anything, so loading a
    model from someone else cannot run code. A model trained on a GPU is
    saved with CPU tensors and loads on any machine.

    Parameters
    ----------
    estimator : GANSampler or GANOverSampler
        The model to save, fitted or not. For ``GANAugmentedClassifier`` and
        ``GANAugmentedRegressor``, save the fitted sampler,
        ``skgan.save(model.sampler_, path)``: the wrapped scikit-learn
        estimator is not a skgan model (pickle or joblib it, and load such
        files only from sources you trust).

    path : str, path-like or writable binary file
        Where to write (conventionally with the suffix ``.skgan``). A path
        is written atomically: to a temporary file beside it, renamed when
        complete, so an existing file is never left half-overwritten. In a
        :mod:`torch.distributed` process group of several processes (a
        data-parallel fit under torchrun), only rank 0 writes; the call does
        nothing on the other ranks, which hold the same model.

    Examples
    --------
    >>> import numpy as np, skgan, tempfile, os
    >>> X = np.random.RandomState(0).normal(size=(50, 2))
    >>> gan = skgan.GANSampler(epochs=1, device="cpu", random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skgan")
    >>> skgan.save(gan, path)
    >>> np.array_equal(skgan.load(path).sample(3, random_state=1),
    ...                gan.sample(3, random_state=1))
    True
    """
    name = f"{type(estimator).__module__}.{type(estimator).__qualname__}"
    if name not in _ESTIMATORS:
        hint = ""
        if hasattr(estimator, "sampler_"):
            hint = (
                " For a GANAugmented* meta-estimator, save its fitted sampler: "
                "skgan.save(model.sampler_, path)."
            )
        raise TypeError(
            "skgan.save saves GANSampler and GANOverSampler models; got "
            f"{type(estimator).__name__}.{hint}"
        )
    from ._distributed import rank

    if rank() not in (None, 0):
        return
    writer = _Writer()
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "estimator": writer.estimator(estimator),
    }
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "metadata": json.dumps(metadata),
        "tensors": writer.tensors,
    }
    payload["digest"] = _digest(payload["metadata"], payload["tensors"])
    if not isinstance(path, str | os.PathLike):
        torch.save(payload, path)  # a file object
        return
    # Write beside the target, then rename: an error or a Ctrl-C while
    # writing leaves no truncated file, and an existing file unchanged.
    path = os.fspath(path)
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        torch.save(payload, temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _digest(metadata: str, tensors: dict) -> str:
    """SHA-256 of the JSON and of every tensor, in the order of their names.

    Each tensor contributes its name, dtype, shape and bytes, so that a
    change of any of them changes the digest.
    """
    digest = hashlib.sha256(FORMAT.encode())
    digest.update(b"\0" + metadata.encode("utf-8"))
    for name in sorted(tensors):
        tensor = tensors[name]
        if not isinstance(tensor, torch.Tensor) or tensor.layout != torch.strided:
            raise TypeError(f"entry {name!r} is not a dense tensor")
        header = f"\0{name}\0{tensor.dtype}\0{tuple(tensor.shape)}\0"
        digest.update(header.encode("utf-8"))
        flat = tensor.detach().contiguous().reshape(-1)
        if flat.numel():
            digest.update(flat.view(torch.uint8).numpy())
    return digest.hexdigest()


def _check_digest(payload, metadata, label):
    """Refuse a file whose content does not match its recorded digest."""
    try:
        recorded = payload["digest"]
        metadata_version = metadata["format_version"]
        actual = _digest(payload["metadata"], payload["tensors"])
    except Exception as error:  # a damaged payload fails in many ways
        raise ValueError(
            f"{label} is a damaged skgan model file: its digest cannot be "
            f"checked ({type(error).__name__}: {str(error)[:200]})."
        ) from None
    if metadata_version != payload["format_version"] or recorded != actual:
        raise ValueError(
            f"{label} is a damaged skgan model file: its content does not match "
            "the SHA-256 digest recorded when it was saved (a changed byte, a "
            "bad copy or disk). Nothing was built from it; save the model again "
            "or copy the file again."
        )


def _versions() -> dict:
    import sklearn

    from . import __version__

    return {
        "skgan": __version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
    }


class _Writer:
    """Turns an object tree into JSON-able values plus named CPU tensors."""

    def __init__(self):
        self.tensors = {}
        self.classes = _allowed_classes()

    def tensor(self, value: torch.Tensor) -> str:
        key = f"t{len(self.tensors)}"
        self.tensors[key] = value.detach().to("cpu").clone().contiguous()
        return key

    def estimator(self, est) -> dict:
        params = est.get_params(deep=False)
        state = {k: v for k, v in vars(est).items() if k not in params}
        return {
            "__t": "estimator",
            "class": f"{type(est).__module__}.{type(est).__qualname__}",
            "params": self.value(params, where="parameters"),
            "state": self.value(state, where="fitted state"),
        }

    def value(self, o, where="state"):  # noqa: C901 - one branch per type
        if isinstance(o, np.generic):  # before float: np.float64 is a float
            return {"__t": "np_scalar", "v": self.array(np.asarray(o), where)}
        if o is None or isinstance(o, bool | str | int | float):
            return o
        if isinstance(o, list):
            return [self.value(v, where) for v in o]
        if isinstance(o, tuple):
            return {"__t": "tuple", "v": [self.value(v, where) for v in o]}
        if isinstance(o, dict):
            return {
                "__t": "dict",
                "v": [
                    [self.value(k, where), self.value(v, where)] for k, v in o.items()
                ],
            }
        if isinstance(o, torch.nn.Module):
            return {"__t": "module", "v": self.value(dict(o.state_dict()), where)}
        if isinstance(o, torch.Tensor):
            return {"__t": "tensor", "v": self.tensor(o)}
        if isinstance(o, torch.device):
            return {"__t": "device", "v": str(o)}
        if isinstance(o, os.PathLike):
            return {"__t": "path", "v": os.fspath(o)}
        if isinstance(o, np.ndarray):
            return self.array(o, where)
        if isinstance(o, np.dtype):
            return {"__t": "np_dtype", "v": o.str}
        if isinstance(o, np.random.RandomState):
            return {"__t": "random_state", "v": self.value(o.get_state(), where)}
        if isinstance(o, datetime.tzinfo):
            return _tz(o)
        name = f"{type(o).__module__}.{type(o).__qualname__}"
        if name in _ESTIMATORS:
            return self.estimator(o)
        if name in self.classes:
            state = {k: v for k, v in vars(o).items() if k not in _TRANSIENT}
            return {"__t": "object", "class": name, "v": self.value(state, where)}
        pandas = _pandas_value(o, self, where)
        if pandas is not None:
            return pandas
        raise TypeError(
            f"skgan.save cannot store a {type(o).__module__}.{type(o).__qualname__} "
            f"in the {where} ({o!r:.80}). The safe format holds numbers, strings, "
            "arrays and skgan's own objects; use pickle or joblib for this model "
            "(and load such files only from sources you trust)."
        )

    def array(self, a: np.ndarray, where) -> dict:
        kind = a.dtype.kind
        if kind in _TENSOR_KINDS and a.dtype.type not in _UNSUPPORTED_UINTS:
            return {
                "__t": "ndarray",
                "dtype": a.dtype.str,
                # np.array keeps a 0-d array 0-d (ascontiguousarray would not).
                "tensor": self.tensor(torch.from_numpy(np.array(a, order="C"))),
            }
        if kind in "mM":
            return {
                "__t": "ndarray",
                "dtype": a.dtype.str,
                "tensor": self.tensor(torch.from_numpy(a.view(np.int64).copy())),
            }
        if kind in "USO" or a.dtype.type in _UNSUPPORTED_UINTS:
            items = a.ravel().tolist() if kind != "O" else list(a.ravel())
            return {
                "__t": "ndarray",
                "dtype": a.dtype.str,
                "shape": list(a.shape),
                "items": [self.value(v, where) for v in items],
            }
        raise TypeError(f"skgan.save cannot store an array of dtype {a.dtype}.")


# Caches rebuilt on demand, never saved.
_TRANSIENT = ("_lookup",)


def _tz(tz) -> dict:
    if isinstance(tz, datetime.timezone):
        seconds = tz.utcoffset(None).total_seconds()
        return {"__t": "tz_offset", "v": seconds}
    name = getattr(tz, "key", None)  # zoneinfo
    if isinstance(name, str):
        return {"__t": "tz_name", "v": name}
    name = getattr(tz, "zone", None)  # pytz, which pandas < 3 gives for a name
    if not isinstance(name, str):
        raise TypeError(f"skgan.save cannot store the time zone {tz!r}.")
    # Restored as pytz where it is installed: a pytz zone and the zoneinfo
    # zone of the same name make different dtypes.
    return {"__t": "tz_name", "v": name, "lib": "pytz"}


def _time_zone(name: str, lib):
    if lib == "pytz":
        try:
            import pytz
        except ImportError:  # saved with pandas < 3, loaded without pytz
            pass
        else:
            return pytz.timezone(name)
    import zoneinfo

    return zoneinfo.ZoneInfo(name)


def _pandas_value(o, writer, where):
    """Pandas dtypes and indexes, or None when ``o`` is not one of them."""
    if isinstance(o, pd.CategoricalDtype):
        return {
            "__t": "pd_categorical",
            "categories": writer.value(o.categories, where),
            "ordered": bool(o.ordered),
        }
    if isinstance(o, pd.DatetimeTZDtype):
        return {"__t": "pd_datetimetz", "unit": o.unit, "tz": _tz(o.tz)}
    if isinstance(o, pd.api.extensions.ExtensionDtype):
        text = str(o)
        try:
            same = pd.api.types.pandas_dtype(text) == o
        except TypeError:
            same = False
        if not same:
            raise TypeError(f"skgan.save cannot store the pandas dtype {o!r}.")
        return {"__t": "pd_dtype", "v": text}
    if isinstance(o, pd.Index) and not isinstance(o, pd.MultiIndex):
        return {
            "__t": "pd_index",
            "dtype": writer.value(o.dtype, where),
            "name": writer.value(o.name, where),
            "v": writer.array(np.asarray(o, dtype=object), where),
        }
    if o is pd.NA:
        return {"__t": "pd_na"}
    if o is pd.NaT:
        return {"__t": "pd_nat"}
    return None


# ------------------------------------------------------------------- load


def load(path):
    """Load a model written by :func:`save`, without running code from the file.

    The file is read with ``torch.load(weights_only=True,
    map_location="cpu")``, which only accepts tensors and plain values, and
    objects are rebuilt only for skgan's own classes. A model saved on a GPU
    loads on a machine without one (``sample`` then runs on the CPU, with a
    warning). A file saved by another skgan version loads with a warning.

    Parameters
    ----------
    path : str, path-like or readable binary file
        A file written by :func:`skgan.save`.

    Returns
    -------
    estimator : GANSampler or GANOverSampler
        The model, fitted if it was fitted when saved.

    Raises
    ------
    ValueError
        If the file is not a skgan model file (a pickle, another format, a
        truncated or tampered file); nothing from it is executed.
    """
    label = os.fspath(path) if isinstance(path, str | os.PathLike) else "the file"
    try:
        with warnings.catch_warnings():
            # torch's note about a pickle protocol: the file is refused anyway.
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as error:  # torch raises many types for bad files
        raise ValueError(
            f"{label} is not a skgan model file, or it is damaged or truncated "
            f"({type(error).__name__}: {str(error).splitlines()[0][:200]}). "
            "skgan.load reads only files written by skgan.save and never "
            "unpickles other objects."
        ) from None
    if not (
        isinstance(payload, dict)
        and payload.get("format") == FORMAT
        and isinstance(payload.get("metadata"), str)
        and isinstance(payload.get("tensors"), dict)
    ):
        raise ValueError(
            f"{label} is a torch file but not a skgan model file (written by "
            "skgan.save)."
        )
    version = payload.get("format_version")
    if type(version) is not int or version not in _READABLE_VERSIONS:
        raise ValueError(
            f"{label} has skgan format version {version!r}; this skgan reads "
            f"versions {_READABLE_VERSIONS[0]} to {FORMAT_VERSION}. Upgrade skgan."
        )
    try:
        metadata = json.loads(payload["metadata"])
    except ValueError as error:
        raise ValueError(f"{label} is a damaged skgan model file ({error}).") from None
    if version >= 2 or "digest" in payload:  # (a version 2 file damaged to 1)
        _check_digest(payload, metadata, label)
    try:
        estimator = _Reader(payload["tensors"]).value(metadata["estimator"])
    except _Refused as error:
        raise ValueError(f"{label} was refused: {error}") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        raise ValueError(
            f"{label} is a damaged skgan model file ({type(error).__name__}: {error})."
        ) from None
    saved = metadata.get("versions", {})
    current = _versions()
    if saved.get("skgan") != current["skgan"]:
        warnings.warn(
            f"{label} was saved by skgan {saved.get('skgan')} and is loaded by "
            f"skgan {current['skgan']}; check its samples before relying on it.",
            UserWarning,
            stacklevel=2,
        )
    return estimator


class _Refused(Exception):
    pass


class _Reader:
    def __init__(self, tensors):
        self.tensors = tensors
        self.classes = _allowed_classes()

    def tensor(self, key) -> torch.Tensor:
        value = self.tensors[key]
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"entry {key!r} is not a tensor")
        return value

    def value(self, o):  # noqa: C901 - one branch per tag
        if o is None or isinstance(o, bool | str | float | int):
            return o
        if isinstance(o, list):
            return [self.value(v) for v in o]
        tag = o["__t"]
        if tag == "tuple":
            return tuple(self.value(v) for v in o["v"])
        if tag == "dict":
            return {self.value(k): self.value(v) for k, v in o["v"]}
        if tag == "tensor":
            return self.tensor(o["v"])
        if tag == "module":
            return _ModuleState(self.value(o["v"]))
        if tag == "device":
            return torch.device(o["v"])
        if tag == "path":
            import pathlib

            return pathlib.Path(o["v"])
        if tag == "ndarray":
            return self.array(o)
        if tag == "np_scalar":
            # reshape: files written before 2026-11-27 stored shape (1,).
            return self.array(o["v"]).reshape(())[()]
        if tag == "np_dtype":
            return np.dtype(o["v"])
        if tag == "random_state":
            state = np.random.RandomState()
            state.set_state(self.value(o["v"]))
            return state
        if tag == "tz_offset":
            seconds = float(o["v"])
            if seconds == 0:
                return datetime.timezone.utc
            return datetime.timezone(datetime.timedelta(seconds=seconds))
        if tag == "tz_name":
            return _time_zone(o["v"], o.get("lib"))
        if tag == "estimator":
            return self.estimator(o)
        if tag == "object":
            cls = self.allowed(o["class"])
            obj = object.__new__(cls)
            obj.__dict__.update(self.value(o["v"]))
            return obj
        if tag.startswith("pd_"):
            return self.pandas(o)
        raise _Refused(f"unknown value tag {tag!r}")

    def allowed(self, name):
        cls = self.classes.get(name)
        if cls is None:
            raise _Refused(
                f"it names the class {name!r}, which is not one of skgan's model "
                "classes; nothing was created from it."
            )
        return cls

    def array(self, o) -> np.ndarray:
        dtype = np.dtype(o["dtype"])
        if "tensor" in o:
            values = self.tensor(o["tensor"]).numpy().copy()
            return values.view(dtype) if dtype.kind in "mM" else values.astype(dtype)
        if dtype.kind == "V" or dtype.hasobject and dtype.kind != "O":
            raise _Refused(f"unsupported array dtype {dtype}")
        items = [self.value(v) for v in o["items"]]
        out = np.empty(len(items), dtype=dtype)
        out[:] = items if dtype.kind != "O" else _object_items(items)
        return out.reshape(o["shape"])

    def pandas(self, o):
        tag = o["__t"]
        if tag == "pd_categorical":
            return pd.CategoricalDtype(self.value(o["categories"]), bool(o["ordered"]))
        if tag == "pd_datetimetz":
            return pd.DatetimeTZDtype(unit=o["unit"], tz=self.value(o["tz"]))
        if tag == "pd_dtype":
            return pd.api.types.pandas_dtype(o["v"])
        if tag == "pd_index":
            return pd.Index(
                self.array(o["v"]),
                dtype=self.value(o["dtype"]),
                name=self.value(o.get("name")),  # files before 2026-11-27: none
            )
        if tag == "pd_na":
            return pd.NA
        if tag == "pd_nat":
            return pd.NaT
        raise _Refused(f"unknown value tag {tag!r}")

    def estimator(self, o):
        name = o["class"]
        if name not in _ESTIMATORS:
            raise _Refused(f"{name!r} is not a skgan estimator")
        cls = self.allowed(name)
        params = self.value(o["params"])
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            raise TypeError("parameters must be a dict of names")
        estimator = cls(**params)
        state = self.value(o["state"])
        modules = {k: v for k, v in state.items() if isinstance(v, _ModuleState)}
        estimator.__dict__.update({k: v for k, v in state.items() if k not in modules})
        if modules:
            _restore_networks(estimator, modules)
        return estimator


class _ModuleState:
    """The weights of a network, until the estimator rebuilds the network."""

    def __init__(self, state_dict):
        self.state_dict = state_dict


def _object_items(items):
    # Assigning a list of lists to an object array would broadcast them.
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def _restore_networks(estimator, modules):
    """Rebuild a GANSampler's networks from its encoder and load the weights."""
    if set(modules) != {"generator_", "discriminator_"}:
        raise _Refused(f"unexpected networks {sorted(modules)}")
    generator, discriminator = estimator._build_networks(
        estimator.encoder_, torch.device("cpu"), estimator._fitted_architecture
    )
    generator.load_state_dict(modules["generator_"].state_dict)
    discriminator.load_state_dict(modules["discriminator_"].state_dict)
    estimator.generator_ = generator.eval()
    estimator.discriminator_ = discriminator.eval()
