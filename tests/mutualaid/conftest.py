"""Mutual-aid tests keep their private files in a temporary folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    yield settings.PRIVATE_ROOT
