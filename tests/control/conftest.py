"""Fixtures for the control tower tests."""
from __future__ import annotations

import pytest

from control_facts import Facts


@pytest.fixture
def facts(store):
    return Facts(store)
