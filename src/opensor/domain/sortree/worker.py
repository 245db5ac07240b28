"""Running a generator in a helper process, so that reading a large file uses a second core.

:func:`iterate_in_worker` starts a fresh Python interpreter (``sys.executable``; no ``fork``, so
nothing of the caller's state — open database connections, threads, locks — is shared), calls
a generator function named ``"package.module:function"`` there with picklable arguments, and
yields what that yields, in order, as it comes. Items travel pickled through a pipe whose buffer
bounds how far the helper runs ahead, so memory stays flat.

* An exception in the helper is raised again in the caller, as itself when it can be pickled
  (a :class:`~opensor.domain.sortree.errors.SorTreeError` keeps its message, line and SOR-ID),
  else as :class:`WorkerError` with the helper's traceback; a helper that dies without a word
  also raises :class:`WorkerError`.
* Closing the iterator early, an exception in the caller or Ctrl-C stops the helper and waits
  for it. The helper ignores SIGINT (the caller decides); if the caller is killed outright, the
  helper's next write fails on the broken pipe and it exits, so no orphan keeps running.
* File descriptors listed in ``pass_fds`` are inherited by the helper under the same numbers,
  e.g. a file the caller has opened (so that the helper reads exactly that file).

The helper imports the target's module, which must therefore not need more set-up than its own
imports (no Django models, for example).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import pickle
import signal
import subprocess
import sys
import traceback
from collections.abc import Generator, Mapping, Sequence
from typing import Any

__all__ = ["WorkerError", "iterate_in_worker"]

_PROTOCOL = pickle.HIGHEST_PROTOCOL
_BUFFER = 1 << 16
_PIPE_SIZE = 1 << 20  # how far the helper may run ahead (Linux caps it at pipe-max-size)
_ITEM, _END, _FAILED = 0, 1, 2
_GC_THRESHOLD = 20_000

# Run by the helper: it reads the caller's sys.path first (so that it imports the same code),
# then hands over to _serve.
_BOOTSTRAP = (
    "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
    "from opensor.domain.sortree.worker import _serve; _serve()"
)


class WorkerError(RuntimeError):
    """The helper process failed in a way that cannot be raised as the original exception."""


def iterate_in_worker(
    target: str,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    pass_fds: Sequence[int] = (),
) -> Generator[Any, None, None]:
    """Run the generator function ``target`` (``"module:function"``) in a helper process.

    Yields the items that ``target(*args, **kwargs)`` yields there; see the module docstring.
    """
    read_fd, write_fd = os.pipe()
    try:
        _grow_pipe(write_fd)
        process = subprocess.Popen(
            [sys.executable, "-c", _BOOTSTRAP, str(write_fd)],
            stdin=subprocess.PIPE,
            pass_fds=(write_fd, *pass_fds),
            close_fds=True,
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    finished = False
    try:
        with os.fdopen(read_fd, "rb", buffering=_BUFFER) as stream:
            assert process.stdin is not None
            try:
                pickle.dump(sys.path, process.stdin, protocol=_PROTOCOL)
                call = (target, tuple(args), dict(kwargs or {}))
                pickle.dump(call, process.stdin, protocol=_PROTOCOL)
                process.stdin.close()
            except BrokenPipeError:
                pass  # it died at once: reading tells how
            while True:
                try:
                    kind, payload = pickle.load(stream)
                except EOFError:
                    code = process.wait()
                    raise WorkerError(
                        f"the helper process running {target} ended unexpectedly (exit code {code})"
                    ) from None
                if kind == _ITEM:
                    yield payload
                elif kind == _END:
                    finished = True
                    return
                else:
                    raise payload
    finally:
        if not finished:
            process.kill()
        process.wait()
        if process.stdin is not None:
            process.stdin.close()


def _grow_pipe(fd: int) -> None:
    """Let the pipe hold more than the default 64 KiB, where the system allows it (Linux)."""
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)


def _serve() -> None:
    """The helper's side: run the target and send its items (called by the bootstrap)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(int(sys.argv[1]), "wb", buffering=_BUFFER)
    try:
        target, args, kwargs = pickle.load(sys.stdin.buffer)
        module_name, _, name = target.partition(":")
        function = getattr(importlib.import_module(module_name), name)
        # A streaming producer makes and drops many small containers: collect the youngest
        # generation less often (the default of 700 costs it some 7 %), and leave what the
        # imports made out of every collection.
        gc.freeze()
        gc.set_threshold(_GC_THRESHOLD, *gc.get_threshold()[1:])
        for item in function(*args, **kwargs):
            # pickled whole before writing, so that an item that fails to pickle sends nothing
            out.write(pickle.dumps((_ITEM, item), protocol=_PROTOCOL))
            out.flush()
        out.write(pickle.dumps((_END, None), protocol=_PROTOCOL))
        out.flush()
    except BrokenPipeError:
        os._exit(1)  # the caller has gone: nothing to tell
    except BaseException as error:
        try:
            out.write(pickle.dumps((_FAILED, _transportable(error)), protocol=_PROTOCOL))
            out.flush()
        except BrokenPipeError:
            os._exit(1)
        os._exit(1)
    os._exit(0)


def _transportable(error: BaseException) -> BaseException:
    """``error`` itself when it survives pickling, else a WorkerError with the traceback."""
    try:
        copy = pickle.loads(pickle.dumps(error, protocol=_PROTOCOL))
    except Exception:
        copy = None
    if isinstance(copy, BaseException) and str(copy) == str(error):
        return error
    text = "".join(traceback.format_exception(error))
    return WorkerError(f"the helper process failed:\n{text}")
