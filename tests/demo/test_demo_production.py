"""`gonghui demo` is refused in production (a module of its own: test_demo.py keeps the demo
loaded for its whole module)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gonghui.orgs.models import Org


def test_refused_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("demo", stdout=io.StringIO())
    assert not Org.objects.exists()
