"""Fixtures of the mirror tests: a publication store and a real ``sor serve`` process over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.publication.conftest import record, store  # noqa: F401  (fixtures reused)
from tests.servers import running_sor_serve


@pytest.fixture
def serve() -> Iterator[Callable[[Path], str]]:
    """Start ``sor serve`` over a store on a free loopback port; return its base URL."""
    with ExitStack() as servers:
        yield lambda root: servers.enter_context(running_sor_serve(root))
