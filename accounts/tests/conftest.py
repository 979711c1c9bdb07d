import pytest
from django.core.cache import cache

from accounts import services


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate-limit counters live in Redis: every test starts from zero."""
    cache.clear()


@pytest.fixture
def synced(two_schools):
    """`two_schools` with an ENT account for each pupil and guardian, and staff e-mails."""
    services.account_sync()
    for tag in ("a", "b"):
        for index, teacher in enumerate(two_schools[tag]["teachers"]):
            teacher.email = f"ens.{tag}{index}@ac-aix-marseille.fr"
            teacher.save(update_fields=["email"])
        director = two_schools[tag]["director"]
        director.email = f"dir.{tag}@ac-aix-marseille.fr"
        director.save(update_fields=["email"])
    return two_schools
