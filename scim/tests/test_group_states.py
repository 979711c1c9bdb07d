"""scim.services.scim_groups_refresh: each group's digest is that of its name and its active
members' ids, sorted and unique, whatever order the memberships are read in (they are streamed a
group at a time); an unchanged directory changes no group."""

import hashlib

import pytest

from accounts import services as account_services
from accounts.models import User
from schools.models import School
from scim import selectors, services
from scim.models import ScimGroupState

pytestmark = pytest.mark.django_db


def expected_digests() -> dict[tuple[int, int | None], int]:
    """The definition, computed the plain way: every membership held, then sorted."""
    school_ids = list(School.objects.filter(ent_open=True).values_list("pk", flat=True))
    active = set(User.objects.filter(is_active=True).values_list("pk", flat=True))
    members: dict[tuple[int, int | None], set[int]] = {}
    for account_id, school_id, class_id in selectors.memberships_by_school(school_ids):
        if account_id in active:
            members.setdefault((school_id, class_id), set()).add(account_id)
    result = {}
    for group in selectors.scim_groups_for_client(school_ids=school_ids):
        ids = ",".join(map(str, sorted(members.get((group.school_id, group.class_id), ()))))
        text = f"{group.id}|{group.name}|{ids}"
        result[(group.school_id, group.class_id)] = int.from_bytes(
            hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True
        )
    return result


def stored() -> dict[tuple[int, int | None], int]:
    return {(s.school_id, s.school_class_id): s.digest for s in ScimGroupState.objects.all()}


def test_group_digests_are_their_active_members_sorted(synced):
    assert stored() == expected_digests()
    assert len(stored()) == 6  # two schools, two classes each, one school group each
    assert services.scim_groups_refresh() == 0
    pupil = synced["a"]["pupils"][0]
    pupil.refresh_from_db()
    before = stored()
    account_services.account_lock(account_ids=[pupil.account_id], actor=None, reason="test")
    after = stored()
    assert after == expected_digests()
    changed = {key for key in after if after[key] != before[key]}
    school, klass = pupil.school_id, pupil.class_links.get().school_class_id
    assert changed == {(school, None), (school, klass)}
