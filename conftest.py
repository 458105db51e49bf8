"""The examples in lineage's docstrings run as doctests from the repository's root, where the
files they read are (``tests/data/…``), wherever pytest was started."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).parent


@pytest.fixture(autouse=True)
def _doctests_run_from_the_root(request: pytest.FixtureRequest,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    if isinstance(request.node, pytest.DoctestItem):
        monkeypatch.chdir(ROOT)
