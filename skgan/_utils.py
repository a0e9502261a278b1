"""Device resolution, seed derivation and small torch helpers."""

from __future__ import annotations

import contextlib
import warnings

import joblib
import numpy as np
import torch
from sklearn.utils import check_random_state

_MAX_SEED = np.iinfo(np.int32).max


_DEVICE_CHOICES = "'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"


def resolve_device(device) -> torch.device:
    """Turn the ``device`` parameter into an available :class:`torch.device`.

    ``"auto"`` picks CUDA when it is available and the CPU otherwise. Any
    other value must name a device that exists on this machine.
    """
    if isinstance(device, torch.device):
        spec = str(device)
    else:
        spec = device
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(spec)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"The 'device' parameter must be {_DEVICE_CHOICES}. Got {device!r} instead."
        ) from exc
    if resolved.type == "cpu":
        return resolved
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise _unavailable(device, "CUDA")
        count = torch.cuda.device_count()
        index = 0 if resolved.index is None else resolved.index
        if index >= count:
            raise ValueError(
                f"The 'device' parameter is {device!r} but this machine has "
                f"{count} CUDA device(s) (cuda:0 to cuda:{count - 1})."
            )
        return torch.device("cuda", index)
    if resolved.type == "mps":
        if not torch.backends.mps.is_available():
            raise _unavailable(device, "MPS")
        return resolved
    raise ValueError(
        f"The 'device' parameter must be {_DEVICE_CHOICES}. Got {device!r} instead."
    )


def _unavailable(device, backend: str) -> ValueError:
    return ValueError(
        f"The 'device' parameter is {device!r} but {backend} is not available on "
        "this machine. Use device='auto' or device='cpu'."
    )


def seed_source(random_state) -> np.random.RandomState:
    """Like sklearn's ``check_random_state``, but ``None`` means fresh entropy.

    scikit-learn maps ``None`` to numpy's global RandomState; drawing from it
    would change the caller's global random stream, which skgan promises not
    to touch.
    """
    if random_state is None:
        return np.random.RandomState(np.random.SeedSequence().generate_state(1)[0])
    return check_random_state(random_state)


def derive_seed(random_state: np.random.RandomState) -> int:
    """Draw a torch seed from a numpy RandomState (advancing it)."""
    return int(random_state.randint(_MAX_SEED))


def make_generator(seed: int, device: torch.device) -> torch.Generator:
    """A torch random generator on ``device`` seeded with ``seed``."""
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return generator


@contextlib.contextmanager
def seeded_torch(seed: int, device: torch.device):
    """Seed torch's default RNGs for ``device`` and restore them afterwards.

    Weight initialisation and dropout draw from torch's global generators,
    which take no ``generator`` argument; forking them keeps the caller's
    global random state untouched while making training reproducible.
    """
    if device.type == "cuda":
        with torch.random.fork_rng(devices=[device.index], device_type="cuda"):
            torch.default_generator.manual_seed(seed)
            with torch.cuda.device(device):
                torch.cuda.manual_seed(seed)
            yield
    elif device.type == "mps":
        with torch.random.fork_rng(device_type="mps"):
            torch.default_generator.manual_seed(seed)
            torch.mps.manual_seed(seed)
            yield
    else:
        with torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(seed)
            yield


def runs_on_cpu(device) -> bool:
    """Whether ``device`` resolves to the CPU here (for the determinism tag).

    A device that does not resolve counts as the CPU: ``fit`` reports it.
    """
    try:
        return resolve_device(device).type == "cpu"
    except (ValueError, TypeError):
        return True


class StopFlag:
    """Set by Ctrl-C during a fit: training stops after the current step."""

    def __init__(self):
        self.is_set = False


@contextlib.contextmanager
def stop_on_interrupt():
    """Turn the first Ctrl-C (SIGINT) inside the block into a :class:`StopFlag`.

    The handler sets the flag and puts the previous handler back, so a
    second Ctrl-C interrupts at once, as usual. Signal handlers can only be
    installed from the main thread; elsewhere the flag is never set and
    Ctrl-C raises KeyboardInterrupt as it always does. A process that
    ignores SIGINT (a background job) keeps ignoring it.
    """
    import signal
    import threading

    flag = StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        # The process ignores Ctrl-C (a background job): so does fit.
        yield flag
        return

    def handler(signum, frame):
        flag.is_set = True
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _flush_denormal_is_on() -> bool:
    tiny = torch.tensor(1e-39, dtype=torch.float32)
    return bool((tiny * 1.0) == 0)


@contextlib.contextmanager
def flush_denormal(device: torch.device):
    """Flush denormal floats to zero on the CPU for the duration of a fit.

    Denormals appear once weights and gradients become tiny and can make CPU
    training over ten times slower. The flag is process-global and torch has
    no getter, so its previous value is probed and restored.
    """
    if device.type != "cpu":
        yield
        return
    was_on = _flush_denormal_is_on()
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(was_on)


@contextlib.contextmanager
def cpu_threads(n_jobs, device: torch.device):
    """Use ``n_jobs`` torch CPU threads inside the block, then restore.

    ``None`` keeps torch's current setting; negative values count back from
    the number of cores as in scikit-learn (-1 is all of them).
    """
    if n_jobs is None or device.type != "cpu":
        yield
        return
    # joblib's count honours CPU affinity and container limits.
    n_threads = n_jobs if n_jobs > 0 else max(1, joblib.cpu_count() + 1 + n_jobs)
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# Devices where precision="bf16" turns autocast on. The CPU is left out on
# purpose: the fast paths must not change results there. (Tests add "cpu"
# to run the autocast code path without a GPU.)
AUTOCAST_DEVICES = ("cuda",)


def autocast_dtype(precision: str, device: torch.device):
    """The autocast dtype of the training step, or None for float32."""
    if precision == "float32":
        return None
    reason = None
    if device.type not in AUTOCAST_DEVICES:
        reason = f"it applies on CUDA only, and this fit runs on {device}"
    elif device.type == "cuda" and not torch.cuda.is_bf16_supported():
        reason = f"{torch.cuda.get_device_name(device)} has no bfloat16 support"
    if reason is not None:
        warnings.warn(
            f"precision={precision!r} is ignored: {reason}. Training runs in "
            "float32, with the same results as precision='float32'.",
            UserWarning,
            stacklevel=4,
        )
        return None
    return torch.bfloat16


# Devices where compile= compiles the training step, and the backend used.
# The CPU is left out on purpose, as for precision: compiled kernels fuse and
# round differently, so results would change. (Tests add "cpu", with the
# "aot_eager" backend, to run the compiled code path without a GPU.)
COMPILE_DEVICES = ("cuda",)
COMPILE_BACKEND = "inductor"
COMPILE_MODES = (
    "default",
    "reduce-overhead",
    "max-autotune",
    "max-autotune-no-cudagraphs",
)
# The modes that add CUDA graphs (cudagraph trees), and what runs instead.
# Cudagraph trees reuse a graph's output memory on its next replay, while the
# step keeps the generator pass's output across the critic and generator
# updates: "reduce-overhead" crashed on the first epoch on an H200
# ("accessing tensor output of CUDAGraphs that has been overwritten by a
# subsequent run"; torch 2.11, 2026-12-04). "max-autotune" turns on the same
# graphs.
WITHOUT_CUDA_GRAPHS = {
    "reduce-overhead": "default",
    "max-autotune": "max-autotune-no-cudagraphs",
}


def compile_options(compile, device: torch.device):
    """``(backend, mode)`` for :func:`torch.compile` of the step, or None.

    ``compile`` is the estimator's parameter: False, True (the "default"
    mode) or one of torch.compile's modes. The mode applies to the inductor
    backend only.
    """
    if isinstance(compile, str):
        mode = compile
    elif compile:
        mode = "default"
    else:
        return None
    if device.type not in COMPILE_DEVICES:
        warnings.warn(
            f"compile={compile!r} is ignored: it applies on CUDA only, and this "
            f"fit runs on {device}. The training step runs uncompiled, with the "
            "same results as compile=False.",
            UserWarning,
            stacklevel=4,
        )
        return None
    if mode in WITHOUT_CUDA_GRAPHS:
        warnings.warn(
            f"compile={compile!r} is deprecated and compiles without CUDA graphs, "
            f"as compile={WITHOUT_CUDA_GRAPHS[mode]!r}: torch.compile's CUDA "
            "graphs overwrite the generator's output that the training step "
            "keeps for the generator update, and training crashed on its first "
            f"epoch. Pass compile={WITHOUT_CUDA_GRAPHS[mode]!r} to silence this "
            "warning.",
            FutureWarning,
            stacklevel=4,
        )
        mode = WITHOUT_CUDA_GRAPHS[mode]
    return COMPILE_BACKEND, (mode if COMPILE_BACKEND == "inductor" else None)


def adam(parameters, device: torch.device, **options) -> torch.optim.Adam:
    """Adam with the fused kernel where torch has one for ``device``.

    The fused update is one kernel per step instead of several per tensor:
    about four times faster on the CPU at skgan's sizes.
    """
    parameters = list(parameters)
    if device.type in ("cpu", "cuda"):
        try:
            return torch.optim.Adam(parameters, fused=True, **options)
        except (RuntimeError, TypeError, ValueError):
            pass  # an older torch without a fused kernel for this device
    return torch.optim.Adam(parameters, **options)


def optimizer_state_to(state: dict, device: torch.device) -> dict:
    """A copy of a state dict (an optimizer's or a module's), tensors on ``device``."""

    def move(value):
        if isinstance(value, torch.Tensor):
            return value.detach().to(device, copy=True)
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        if isinstance(value, list):
            return [move(v) for v in value]
        return value

    return move(state)
