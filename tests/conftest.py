"""Shared fixtures: the running local stack (integration, e2e) and ordering of disruptive tests."""

from __future__ import annotations

import uuid

import pytest


def pytest_collection_modifyitems(config, items):
    """Run tests that stop services last, so the rest see a steady stack."""
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)


@pytest.fixture
def unique() -> str:
    """Return a short unique suffix for topic and table names."""
    return uuid.uuid4().hex[:10]
