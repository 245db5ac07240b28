"""The helper process that reads SorTree files on a second core: order, errors, no orphans."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest

from opensor.domain.sortree import SorTreeError
from opensor.domain.sortree.worker import WorkerError, iterate_in_worker

HERE = f"{__name__}"


# -- targets run in the helper (this module is importable there: it gets our sys.path) -------


def numbers(count: int, *, step: int = 1) -> Iterator[int]:
    """0, step, 2 step … (count items)."""
    yield from range(0, count * step, step)


def pid_then_forever() -> Iterator[int]:
    """The helper's pid, then big items until the pipe is full (the helper then blocks)."""
    yield os.getpid()
    while True:
        yield "x" * 100_000


def fails_with_sortree_error(after: int) -> Iterator[int]:
    """A few items, then a SorTreeError."""
    yield from range(after)
    raise SorTreeError("bad element", 42, 8341000016002)


class _Unpicklable(Exception):
    def __init__(self, a: int, b: int) -> None:  # pickle calls it with one argument only
        super().__init__(f"{a} and {b}")


def fails_unpicklably() -> Iterator[int]:
    """An exception that cannot be sent back as itself."""
    yield 1
    raise _Unpicklable(1, 2)


def reads_a_file(fd: int) -> Iterator[bytes]:
    """The lines of a file the caller opened."""
    with os.fdopen(fd, "rb", closefd=False) as stream:
        yield from stream


def dies() -> Iterator[int]:
    """The helper ends without a word."""
    yield 1
    os._exit(3)


# -- the tests --------------------------------------------------------------------------------


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # a zombie still answers kill(0): read /proc where there is one
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(")")[-1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def test_items_come_in_order_with_keyword_arguments() -> None:
    assert list(iterate_in_worker(f"{HERE}:numbers", (5,), {"step": 3})) == [0, 3, 6, 9, 12]


def test_a_file_opened_by_the_caller_is_read_by_the_helper(tmp_path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"one\ntwo\n")
    with path.open("rb") as stream:
        fd = stream.fileno()
        lines = list(iterate_in_worker(f"{HERE}:reads_a_file", (fd,), pass_fds=(fd,)))
    assert lines == [b"one\n", b"two\n"]


def test_an_error_in_the_helper_is_raised_as_itself_after_the_items_before_it() -> None:
    seen = []
    with pytest.raises(SorTreeError) as raised:
        for item in iterate_in_worker(f"{HERE}:fails_with_sortree_error", (2,)):
            seen.append(item)
    assert seen == [0, 1]
    assert (raised.value.message, raised.value.line, raised.value.sor_id) == (
        "bad element",
        42,
        8341000016002,
    )
    assert str(raised.value) == "line 42, SOR-ID 8341000016002: bad element"


def test_an_error_that_cannot_travel_comes_back_with_its_traceback() -> None:
    with pytest.raises(WorkerError, match=r"(?s)_Unpicklable: 1 and 2"):
        list(iterate_in_worker(f"{HERE}:fails_unpicklably"))


def test_a_helper_that_dies_is_reported() -> None:
    with pytest.raises(WorkerError, match=r"ended unexpectedly \(exit code 3\)"):
        list(iterate_in_worker(f"{HERE}:dies"))


def test_an_unknown_target_is_reported() -> None:
    with pytest.raises(AttributeError):
        list(iterate_in_worker(f"{HERE}:no_such_function"))


def test_stopping_early_ends_the_helper() -> None:
    items = iterate_in_worker(f"{HERE}:pid_then_forever")
    pid = next(items)
    next(items)
    items.close()
    assert _gone(pid)


_PARENT = textwrap.dedent(
    """
    import contextlib, sys, time
    sys.path[:] = {path!r}
    from opensor.domain.sortree.worker import iterate_in_worker
    with contextlib.closing(iterate_in_worker("{here}:pid_then_forever")) as items:
        print(next(items), flush=True)
        for _ in items:
            time.sleep(0.05)  # slower than the helper, which soon blocks on a full pipe
    """
)


def _start_parent() -> tuple[subprocess.Popen[str], int]:
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT.format(path=sys.path, here=HERE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert parent.stdout is not None
    helper = int(parent.stdout.readline())
    time.sleep(0.3)  # inside the loop
    return parent, helper


def _clean_up(parent: subprocess.Popen[str], helper: int) -> None:
    if parent.poll() is None:
        parent.kill()
        parent.wait()
    assert parent.stdout is not None
    parent.stdout.close()
    if not _gone(helper, 0):
        with contextlib.suppress(ProcessLookupError):
            os.kill(helper, signal.SIGKILL)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_killed_caller_leaves_no_helper_behind() -> None:
    parent, helper = _start_parent()
    try:
        parent.kill()
        parent.wait()
        assert _gone(helper), "the helper outlived its killed caller"
    finally:
        _clean_up(parent, helper)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_in_the_caller_ends_the_helper() -> None:
    parent, helper = _start_parent()
    try:
        parent.send_signal(signal.SIGINT)
        parent.wait(timeout=10)
        assert parent.returncode != 0
        assert _gone(helper), "the helper outlived the interrupted caller"
    finally:
        _clean_up(parent, helper)
