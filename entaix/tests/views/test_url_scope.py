"""Every URL of the portal, for every role: allowed or forbidden (403/404), never data.

A URL missing from the tables below fails `test_every_url_is_in_the_tables`: a new page must say
who may open it.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import LetterBatch, User
from entaix.tests import factories
from imports.city.services import city_person_import_check
from imports.models import CityPersonImport, FetchAttempt, ImportPlanItem, ImportRun
from imports.tests.feeds import snapshot
from oidc.models import Client
from privacy.models import DataRequest
from schools.models import Staff
from scim.models import ScimClient

pytestmark = pytest.mark.django_db
ROLES = ("anon", "guardian", "teacher", "director", "city", "dpo", "it")
OK, DENY, LOGIN, POST_ONLY = "ok", "deny", "login", "post-only"


@pytest.fixture
def world(two_schools, city_user):
    a, b = two_schools["a"], two_schools["b"]
    guardian = a["pupils"][0].guardians.get()
    guardian.account = factories.UserFactory(kind=User.Kind.GUARDIAN, login="parent.a")
    guardian.save()
    # A changeover held for review (issue 21): its page shows every part of the review.
    run = ImportRun.objects.create(status="held", trigger="command", held_reasons=["changeover"])
    _changeover_plan(run, a, b)
    data_request = DataRequest.objects.create(  # a data request (issue 7)
        reference="RGPD-2026-URLS01", kind="access", requester_name="X", relation="parent",
        requester_email="x@example.fr", due_on="2026-12-31",
    )  # fmt: skip
    batch = LetterBatch.objects.create(  # a letter batch asked by A's director (issue 16)
        kind="school", requested_by=a["director"].account, school=a["school"], profile="pupil"
    )
    # People outside the feed (issue 21): one entered by the city at A, and a checked CSV.
    city_person = Staff.objects.create(
        source="city", join_key="ville:urls", last_name="Martin", first_name="Sophie",
        role="atsem", start_date="2026-09-01", end_date="2030-07-03",
        first_seen_at=timezone.now(), last_seen_at=timezone.now(),
    )  # fmt: skip
    city_person.assignments.create(school=a["school"])
    city_import = city_person_import_check(
        data=f"nom;prenom;role;uai;date_debut;date_fin\nGirard;Paul;ATSEM;{a['school'].uai};"
        "01/09/2026;03/07/2030\nPetit;Emma;ATSEM;0139999Z;01/09/2026;03/07/2030\n".encode(),
        filename="agents.csv", actor=city_user,
    )  # fmt: skip
    scim_client = ScimClient.objects.create(name="ENT", token_digest="0" * 64)  # issue 18
    scim = {"scimclient": scim_client.pk, "scim_id": "0f9b2c1e-0000-4000-8000-000000000000",
            "resource_type": "User", "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
            "rest": "Bulk"}  # fmt: skip
    users = {
        "anon": None,
        "guardian": guardian.account,
        "teacher": a["teachers"][0].account,  # teaches a's first class only
        "director": a["director"].account,
        "city": city_user,  # the school service
        "dpo": factories.UserFactory(
            login="dpo.ville", kind=User.Kind.CITY, city_role=User.CityRole.DPO
        ),
        # An IT administrator (issue 18): registers the connected services.
        "it": factories.UserFactory(
            login="it.ville", kind=User.Kind.CITY, city_role=User.CityRole.IT_ADMIN
        ),
    }
    oidc_client = Client.objects.create(  # a connected service (issue 18)
        name="Médiathèque", redirect_uris="https://media.example.fr/cb",
        client_type="confidential", authorization_grant_type="authorization-code",
    )  # fmt: skip
    own = {  # objects of school A's first class
        "class": a["classes"][0].pk,
        "uai": a["school"].uai,
        "pupil": a["pupils"][0].pk,
        "guardian": guardian.pk,
        "staff": a["teachers"][0].pk,
        "run": run.pk,
        "request": data_request.pk,
        "batch": batch.pk,
        "account": a["teachers"][0].account_id,
        "cityperson": city_person.pk,
        "cityimport": city_import.pk,
        "client": oidc_client.pk,
        **scim,
    }
    other = {  # school B's
        "class": b["classes"][0].pk,
        "uai": b["school"].uai,
        "pupil": b["pupils"][0].pk,
        "guardian": b["pupils"][0].guardians.get().pk,
        "staff": b["teachers"][0].pk,
        "run": run.pk,
        "request": data_request.pk,
        "batch": batch.pk,
        "account": b["teachers"][0].account_id,
        "cityperson": city_person.pk,
        "cityimport": city_import.pk,
        "client": oidc_client.pk,
        **scim,
    }
    return {"users": users, "own": own, "other": other}


def _changeover_plan(run, a, b) -> None:
    """School A's pupils move up (class 0 split in two new classes), one leaves, one arrives;
    class 1 is renamed; B's second teacher moves to A."""
    key_a = a["school"].join_key
    old = a["classes"][0]
    old.name = "CP A"
    old.save(update_fields=["name"])
    for pupil in a["pupils"]:
        pupil.level = "CP"
        pupil.save(update_fields=["level"])
    halves = [f"{key_a}|class|NEW{n}" for n in (1, 2)]
    items = [
        ("class", "create", halves[0], key_a, {"name": "CE1 A", "kind": "class"}),
        ("class", "create", halves[1], key_a, {"name": "CE1 B", "kind": "class"}),
        ("class", "update", f"{key_a}|class|{a['classes'][1].code}", key_a, {"name": "CE1 C"}),
        ("pupil", "update", a["pupils"][0].join_key, key_a,
         {"level": "CE1", "classes": [halves[0]]}),
        ("pupil", "update", a["pupils"][1].join_key, key_a,
         {"level": "CE1", "classes": [halves[1]]}),
        ("pupil", "leave", a["pupils"][2].join_key, key_a, {}),
        ("pupil", "create", "NEW-PUPIL", key_a, {"level": "CP", "school": key_a}),
        ("staff", "update", b["teachers"][1].join_key, key_a,
         {"assignments": [[key_a, False, []]]}),
    ]  # fmt: skip
    ImportPlanItem.objects.bulk_create(
        ImportPlanItem(run=run, seq=seq, kind=kind, action=action, key=key, school_key=school,
                       data=data)
        for seq, (kind, action, key, school, data) in enumerate(items)
    )  # fmt: skip


def expect(anon, guardian, teacher, director, city, dpo=None, it=None):
    """What each role gets; the DPO and the IT administrators (city staff too) get what the
    school service gets unless said otherwise."""
    values = (anon, guardian, teacher, director, city, city if dpo is None else dpo,
              city if it is None else it)  # fmt: skip
    return dict(zip(ROLES, values, strict=True))


STAFF = expect(LOGIN, DENY, OK, OK, OK)
CITY = expect(LOGIN, DENY, DENY, DENY, OK)
PUBLIC = expect(OK, OK, OK, OK, OK)
SIGNED_IN = expect(LOGIN, OK, OK, OK, OK)
POST = dict.fromkeys(ROLES, POST_ONLY)
# Role checks come before the method check: a refused role never learns the method.
STAFF_POST = expect(LOGIN, DENY, POST_ONLY, POST_ONLY, POST_ONLY)
CITY_POST = expect(LOGIN, DENY, DENY, DENY, POST_ONLY)
# The data-request register is the DPO's alone (issue 20), not the whole school service's.
DPO = expect(LOGIN, DENY, DENY, DENY, DENY, OK)
DPO_POST = expect(LOGIN, DENY, DENY, DENY, DENY, POST_ONLY)
# People outside the feed (issue 21): the school service's, not the DPO's.
CITY_PEOPLE = expect(LOGIN, DENY, DENY, DENY, OK, DENY, DENY)
CITY_PEOPLE_POST = expect(LOGIN, DENY, DENY, DENY, POST_ONLY, DENY, DENY)
SCIM_API = dict.fromkeys(ROLES, "401")

# name: (argument names, expectations on A's objects, expectations on B's objects or None)
GET_TABLE = {
    "home": ((), SIGNED_IN, None),
    "accessibility": ((), PUBLIC, None),
    "sitemap": ((), PUBLIC, None),
    "set_language": ((), PUBLIC, None),  # a GET redirects back, changes nothing
    "accounts:login": ((), PUBLIC, None),
    "accounts:logout": ((), POST, None),
    "accounts:account-index": ((), STAFF, None),
    "accounts:class-accounts": (("class",), STAFF, expect(LOGIN, DENY, DENY, DENY, OK)),
    "accounts:class-letters": (("class",), STAFF_POST, None),
    "accounts:staff-accounts": (("uai",), expect(LOGIN, DENY, DENY, OK, OK),
                                expect(LOGIN, DENY, DENY, DENY, OK)),
    "accounts:account-reset": ((), STAFF_POST, None),
    "accounts:account-reset-done": ((), STAFF, None),
    "accounts:letter-batch-create": ((), STAFF_POST, None),
    "accounts:renewal-list": ((), STAFF, None),
    "accounts:renewal-print": ((), STAFF_POST, None),
    # Letter batches (issue 16): the whole school for its director and the city; a batch's pages
    # for who asked only.
    "accounts:school-letters": (("uai",), expect(LOGIN, DENY, DENY, OK, OK),
                                expect(LOGIN, DENY, DENY, DENY, OK)),
    "accounts:letter-batch-request": ((), STAFF_POST, None),
    "accounts:letter-batch": (("batch",), expect(LOGIN, DENY, DENY, OK, DENY), None),
    "accounts:letter-batch-status": (("batch",), expect(LOGIN, DENY, DENY, OK, DENY), None),
    "accounts:letter-batch-retry": (("batch",), STAFF_POST, None),
    "accounts:letter-batch-download": (("batch", "token"), expect(LOGIN, DENY, DENY, DENY, DENY),
                                       None),  # a bad link
    # Two-factor authentication (issue 13): offered to staff, reset by city staff.
    "accounts:mfa": ((), STAFF, None),
    "accounts:mfa-start": ((), STAFF_POST, None),
    "accounts:mfa-confirm": ((), STAFF_POST, None),
    "accounts:mfa-recovery-renew": ((), STAFF_POST, None),
    "accounts:mfa-reset-list": ((), CITY, None),
    "accounts:mfa-reset": (("account",), CITY_POST, None),
    "accounts:city-staff": ((), expect(LOGIN, DENY, DENY, DENY, OK, DENY), None),
    "accounts:city-staff-deactivate": (("staff",), expect(LOGIN, DENY, DENY, DENY, POST_ONLY, DENY),
                                       None),
    "account:activate": ((), PUBLIC, None),
    "account:terms": ((), PUBLIC, None),
    "account:password-forgot": ((), PUBLIC, None),
    "account:password-forgot-done": ((), PUBLIC, None),
    "account:login-forgot": ((), PUBLIC, None),
    "account:login-forgot-done": ((), PUBLIC, None),
    "account:password-reset": (("uidb64", "token"), PUBLIC, None),
    "account:detail": ((), SIGNED_IN, None),
    "account:email-change": ((), expect(LOGIN, POST_ONLY, POST_ONLY, POST_ONLY, POST_ONLY), None),
    "account:email-confirm": (("uidb64", "token"), PUBLIC, None),  # the link is the proof
    "account:password-change": ((), SIGNED_IN, None),
    "schools:school-list": ((), STAFF, None),
    "schools:person-search": ((), STAFF, None),
    "schools:pupil": (("pupil",), STAFF, expect(LOGIN, DENY, DENY, DENY, OK)),
    "schools:guardian": (("guardian",), STAFF, expect(LOGIN, DENY, DENY, DENY, OK)),
    "schools:staff": (("staff",), STAFF, expect(LOGIN, DENY, DENY, DENY, OK)),
    "schools:dashboard": ((), CITY, None),
    "schools:school-detail": (("uai",), STAFF, expect(LOGIN, DENY, DENY, DENY, OK)),
    "schools:school-open": (("uai",), CITY_POST, None),
    "schools:school-close": (("uai",), CITY_POST, None),
    "imports:run-list": ((), CITY, None),
    "imports:fetch-now": ((), CITY_POST, None),
    "imports:run-detail": (("run",), CITY, None),
    "imports:run-approve": (("run",), CITY_POST, None),
    "imports:run-discard": (("run",), CITY_POST, None),
    "imports:run-resume": (("run",), CITY_POST, None),
    "imports:run-problems-csv": (("run",), CITY, None),
    "imports:school-report": (("run", "uai"), expect(LOGIN, DENY, DENY, OK, OK),
                              expect(LOGIN, DENY, DENY, DENY, OK)),
    "imports:school-problems-csv": (("run", "uai"), expect(LOGIN, DENY, DENY, OK, OK),
                                    expect(LOGIN, DENY, DENY, DENY, OK)),
    "imports:city-person-list": ((), CITY_PEOPLE, None),
    "imports:city-person-create": ((), CITY_PEOPLE, None),
    "imports:city-person-edit": (("cityperson",), CITY_PEOPLE, None),
    "imports:city-import-upload": ((), CITY_PEOPLE, None),
    "imports:city-import": (("cityimport",), CITY_PEOPLE, None),
    "imports:city-import-apply": (("cityimport",), CITY_PEOPLE_POST, None),
    "imports:city-import-discard": (("cityimport",), CITY_PEOPLE_POST, None),
    "imports:city-import-findings-csv": (("cityimport",), CITY_PEOPLE, None),
    # Data protection (issue 7): public pages, the DPO's register (city staff), directors' tasks.
    "privacy:notice": ((), PUBLIC, None),
    "privacy:request-create": ((), PUBLIC, None),
    "privacy:request-done": ((), PUBLIC, None),
    "privacy:export-download": (("token",), dict.fromkeys(ROLES, DENY), None),  # a bad link
    "privacy:request-list": ((), DPO, None),
    "privacy:request-detail": (("request",), DPO, None),
    "privacy:request-attachment": (("request",), expect(LOGIN, DENY, DENY, DENY, DENY), None),
    "privacy:request-action": (("request",), DPO_POST, None),
    "privacy:export-open": (("request",), expect(LOGIN, DENY, DENY, DENY, DENY), None),
    "privacy:export-send": (("request",), DPO_POST, None),
    "privacy:rectification-list": ((), expect(LOGIN, DENY, DENY, OK, OK), None),
    "privacy:rectification-cancel": (("request",), DPO_POST, None),
    "privacy:retention": ((), DPO, None),
    "privacy:hold-list": ((), DPO, None),
    "privacy:hold-lift": (("request",), DPO_POST, None),
    "privacy:purge-list": ((), DPO, None),
    "privacy:purge-detail": (("request",), expect(LOGIN, DENY, DENY, DENY, DENY), None),
    "privacy:audit": ((), DPO, None),
    "privacy:inventory": ((), DPO, None),
    # OpenID Connect provider (issue 18): its endpoints are public (the authorization endpoint
    # asks for a login first; without parameters it answers its error page), its client list
    # is city staff's, registering and changing clients the IT administrators'.
    "oauth2_provider:oidc-connect-discovery-info": ((), PUBLIC, None),
    "oauth2_provider:jwks-info": ((), PUBLIC, None),
    "oauth2_provider:authorize": ((), expect(LOGIN, "400", "400", "400", "400"), None),
    "oauth2_provider:token": ((), POST, None),
    "oauth2_provider:revoke-token": ((), POST, None),
    "oauth2_provider:user-info": ((), dict.fromkeys(ROLES, "401"), None),
    "oauth2_provider:rp-initiated-logout": ((), PUBLIC, None),
    "oidc:client-list": ((), CITY, None),
    "oidc:client-create": ((), expect(LOGIN, DENY, DENY, DENY, DENY, DENY, OK), None),
    "oidc:client-update": (("client",), expect(LOGIN, DENY, DENY, DENY, DENY, DENY, OK), None),
    "oidc:client-secret": (("client",), expect(LOGIN, DENY, DENY, DENY, DENY, DENY, POST_ONLY),
                           None),
    # SCIM (issue 18): the API answers a client's bearer token, never a session (401); its
    # discovery endpoints are public. The connected services are listed to city staff and
    # managed by the IT administrators only (not a role of this table: scim/tests).
    "scim:users": ((), SCIM_API, None),
    "scim:user": (("scim_id",), SCIM_API, None),
    "scim:groups": ((), SCIM_API, None),
    "scim:group": (("scim_id",), SCIM_API, None),
    "scim:service-provider-config": ((), PUBLIC, None),
    "scim:resource-types": ((), PUBLIC, None),
    "scim:resource-type": (("resource_type",), PUBLIC, None),
    "scim:schemas": ((), PUBLIC, None),
    "scim:schema": (("schema",), PUBLIC, None),
    "scim:not-found": (("rest",), dict.fromkeys(ROLES, DENY), None),
    "scim:client-list": ((), CITY, None),
    "scim:client-detail": (("scimclient",), expect(LOGIN, DENY, DENY, DENY, DENY, DENY, OK),
                           None),
    "scim:client-token-renew": (("scimclient",),
                                expect(LOGIN, DENY, DENY, DENY, DENY, DENY, POST_ONLY), None),
}  # fmt: skip

# POST-only endpoints that change data: who must be refused (they change nothing).
POST_DENIED = {
    "accounts:class-letters": (("class",), ("anon", "guardian")),
    "accounts:account-reset": ((), ("anon", "guardian")),
    "accounts:letter-batch-create": ((), ("anon", "guardian")),
    "accounts:renewal-print": ((), ("anon", "guardian")),
    "accounts:letter-batch-request": ((), ("anon", "guardian")),
    "accounts:letter-batch-retry": (("batch",), ("anon", "guardian", "teacher")),
    "accounts:mfa-start": ((), ("anon", "guardian")),
    "accounts:mfa-reset": (("account",), ("anon", "guardian", "teacher", "director")),
    "accounts:city-staff-deactivate": (("staff",), ("anon", "guardian", "teacher", "director")),
    "schools:school-open": (("uai",), ("anon", "guardian", "teacher", "director")),
    "schools:school-close": (("uai",), ("anon", "guardian", "teacher", "director")),
    "imports:fetch-now": ((), ("anon", "guardian", "teacher", "director")),
    "imports:run-approve": (("run",), ("anon", "guardian", "teacher", "director")),
    "imports:run-discard": (("run",), ("anon", "guardian", "teacher", "director")),
    "imports:run-resume": (("run",), ("anon", "guardian", "teacher", "director")),
    "imports:city-import-apply": (("cityimport",), ("anon", "guardian", "teacher", "director")),
    "imports:city-import-discard": (("cityimport",), ("anon", "guardian", "teacher", "director")),
    "imports:city-person-create": ((), ("anon", "guardian", "teacher", "director")),
    "imports:city-person-edit": (("cityperson",), ("anon", "guardian", "teacher", "director")),
    "privacy:request-action": (("request",), ("anon", "guardian", "teacher", "director")),
    "privacy:export-send": (("request",), ("anon", "guardian", "teacher", "director")),
    "privacy:rectification-cancel": (("request",), ("anon", "guardian", "teacher", "director")),
    "privacy:hold-lift": (("request",), ("anon", "guardian", "teacher", "director")),
    "oidc:client-create": ((), ("anon", "guardian", "teacher", "director")),
    "oidc:client-update": (("client",), ("anon", "guardian", "teacher", "director")),
    "oidc:client-secret": (("client",), ("anon", "guardian", "teacher", "director")),
    "scim:client-token-renew": (("scimclient",), ("anon", "guardian", "teacher", "director")),
    "scim:client-detail": (("scimclient",), ("anon", "guardian", "teacher", "director")),
}


def all_url_names(patterns=None, namespace=None):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # the admin is checked in schools/tests/views/test_admin.py
            yield from all_url_names(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_is_in_the_tables():
    assert sorted(set(all_url_names()) - set(GET_TABLE)) == []


def url_for(name, arg_names, objects):
    values = {"uidb64": "MQ", "token": "bad-token", **objects}
    return reverse(name, args=[values[a] for a in arg_names])


def outcome(response) -> str:
    if response.status_code == 405:
        return POST_ONLY
    if response.status_code in (403, 404):
        return DENY
    if response.status_code == 401:
        return "401"
    if response.status_code == 302 and "/comptes/login/" in response["Location"]:
        return LOGIN
    if response.status_code in (200, 302):
        return OK
    return str(response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_get_every_url_as(role, world, client):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    got, wanted = {}, {}
    for name, (arg_names, on_own, on_other) in GET_TABLE.items():
        got[name] = outcome(client.get(url_for(name, arg_names, world["own"])))
        wanted[name] = on_own[role]
        if on_other is not None:
            response = client.get(url_for(name, arg_names, world["other"]))
            got[f"{name} (other school)"] = outcome(response)
            wanted[f"{name} (other school)"] = on_other[role]
            if on_other[role] == DENY:
                assert "École B" not in response.content.decode()
    assert got == wanted


@pytest.mark.parametrize("role", ["anon", "guardian", "teacher", "director"])
def test_refused_posts_change_nothing(role, world, client):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    before = (snapshot(), LetterBatch.objects.count(), FetchAttempt.objects.count(),
              list(Client.objects.values_list("client_secret", "name", "is_active")),
              list(ImportRun.objects.values_list("status", flat=True)),
              list(CityPersonImport.objects.values_list("status", "rows")),
              list(User.objects.order_by("pk").values_list("password", "is_active")))  # fmt: skip
    for name, (arg_names, denied) in POST_DENIED.items():
        if role not in denied:
            continue
        for objects in (world["own"], world["other"]):
            response = client.post(url_for(name, arg_names, objects), {"ids": [1, 2, 3]})
            assert outcome(response) in (DENY, LOGIN), (name, response.status_code)
    after = (snapshot(), LetterBatch.objects.count(), FetchAttempt.objects.count(),
             list(Client.objects.values_list("client_secret", "name", "is_active")),
             list(ImportRun.objects.values_list("status", flat=True)),
             list(CityPersonImport.objects.values_list("status", "rows")),
             list(User.objects.order_by("pk").values_list("password", "is_active")))  # fmt: skip
    assert after == before


def test_directors_posts_on_another_school_change_nothing(world, client):
    from accounts.models import ActivationCode
    from accounts.services import account_sync

    account_sync()  # every pupil and guardian gets an account: something to reset
    other = list(
        User.objects.filter(pupil__school__uai=world["other"]["uai"]).values_list("pk", flat=True)
    )
    assert len(other) == 4

    def state():
        accounts = User.objects.order_by("pk").values_list("pk", "password", "is_active")
        return (snapshot(), LetterBatch.objects.count(), ActivationCode.objects.count(),
                list(accounts))  # fmt: skip

    client.force_login(world["users"]["director"])
    before = state()
    response = client.post(url_for("accounts:class-letters", ("class",), world["other"]))
    assert outcome(response) == DENY
    response = client.post(reverse("accounts:account-reset"), {"ids": other})
    assert outcome(response) == DENY
    response = client.post(reverse("accounts:letter-batch-create"), {"ids": other})
    assert outcome(response) == DENY
    assert state() == before
