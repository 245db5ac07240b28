"""Fixtures for the domain tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REFERENCE_DIR = Path(__file__).parents[2].parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The public reference data (``../shared/reference`` beside the repository).

    Tests that use it are marked ``reference``; they skip when the folder is absent, e.g. in a
    clone without the shared folder next to it.
    """
    if not REFERENCE_DIR.is_dir():
        pytest.skip(
            f"reference data not found at {REFERENCE_DIR} "
            "(expected ../shared/reference beside the repository)"
        )
    return REFERENCE_DIR
