import datetime

import pytest
from django.core.cache import cache

from accounts import services
from entaix.tests import factories
from entaix.tests.factories import add_guardian


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


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Letter PDFs go to MEDIA_ROOT/private/letters: a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def family(synced):
    """`synced` plus one guardian with authority over three children: two in school A (classes 0
    and 1) and one in school B; the youngest is in school A's class 1. A contact without
    authority over a pupil of class 0 gets no letter."""
    a, b = synced["a"], synced["b"]
    birth = {
        a["pupils"][0]: (2018, 3, 1),
        a["pupils"][2]: (2020, 5, 2),
        b["pupils"][0]: (2016, 1, 9),
    }
    for pupil, (year, month, day) in birth.items():
        pupil.birth_date = datetime.date(year, month, day)
        pupil.save(update_fields=["birth_date"])
    parent = factories.GuardianFactory(first_name="Aïcha", last_name="Zidane")
    for pupil in birth:
        factories.link(pupil, parent, legal=1)
    add_guardian(a["pupils"][1], legal=0, first_name="Tata", last_name="Contact")
    services.account_sync()
    parent.refresh_from_db()
    synced["parent"] = parent
    return synced
