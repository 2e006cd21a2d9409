"""Runs after ``test_page_walk.py`` (file order): the walk's demo, loaded inside a transaction
that is rolled back, leaves no row behind for the rest of the suite."""

import pytest
from django.contrib.auth import get_user_model

from gonghui.demo import data
from gonghui.orgs.models import Org


@pytest.mark.django_db
def test_the_walk_demo_is_rolled_back():
    assert not get_user_model().objects.filter(username__in=[s.username for s in data.STAFF])
    assert not Org.objects.exists()
