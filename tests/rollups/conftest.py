import pytest


@pytest.fixture(autouse=True)
def _no_grace(settings):
    """Every missing id is a rollback (PostgreSQL's sequences keep the ids of rolled-back tests):
    the tests about open transactions set the grace themselves."""
    settings.GONGHUI_ROLLUP_GRACE_SECONDS = 0
