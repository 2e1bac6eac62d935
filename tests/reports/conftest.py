"""Fixtures of the statistics tests."""

import pytest

from .helpers import build_registry, load_catalogue


@pytest.fixture(autouse=True)
def _catalogue(db):
    load_catalogue()


@pytest.fixture
def registry(users):
    return build_registry(users)
