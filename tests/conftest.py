"""Shared fixtures: the running local stack (integration, e2e) and ordering of disruptive tests."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from questlog_core.paths import repo_root

ROOT = repo_root()


def mark_tier(items: list[pytest.Item], conftest: str, marker: pytest.MarkDecorator) -> None:
    """Mark the tests under a conftest's directory only: pytest hands every conftest's
    pytest_collection_modifyitems all the items of the session, not just its own."""
    folder = Path(conftest).resolve().parent
    for item in items:
        if folder in item.path.resolve().parents:
            item.add_marker(marker)


def pytest_collection_modifyitems(config, items):
    """Run tests that stop services last, so the rest see a steady stack."""
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)


@pytest.fixture
def unique() -> str:
    """Return a short unique suffix for topic and table names."""
    return uuid.uuid4().hex[:10]
