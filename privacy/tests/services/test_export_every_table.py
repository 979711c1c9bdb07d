"""Finding 4, generically: every table the inventory lists as holding personal data is either
exported (its rows about the guardian, every personal field) or marked "not about a guardian";
for one guardian with rows in every such table, each row appears in the export.

A new personal table fails here until the export finds its rows (privacy/selectors/export.py)
or the inventory says why none is about a guardian (`NOT_ABOUT_GUARDIAN`); a new field of an
exported table is in the export at once (drawn from the inventory)."""

import io
import json
import zipfile

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ActivationCode, RenewalRequest
from entaix.tests.factories import account
from imports.models import ImportPlanItem, ImportProblem, ImportRun
from privacy import inventory, services
from privacy.models import DataRequestNote, DataRequestSubject, LegalHold, RectificationTask
from privacy.services import export
from privacy.tests.conftest import file_request
from schools.models import GuardianLink
from scim.models import ScimClient, ScimDelivery

pytestmark = pytest.mark.django_db


def _doc(item) -> dict:
    with zipfile.ZipFile(io.BytesIO(item.file.read())) as archive:
        return json.loads(archive.read("data.json"))


def _html(item) -> str:
    item.file.seek(0)
    with zipfile.ZipFile(io.BytesIO(item.file.read())) as archive:
        return archive.read("data.html").decode()


def _login_records(login: str, address: str) -> dict[str, set[int]]:
    now = timezone.now()
    common = {"username": login, "ip_address": address, "user_agent": "Firefox/140"}
    return {
        "axes.accesslog": {AccessLog.objects.create(**common, attempt_time=now).pk},
        "axes.accessfailurelog": {
            AccessFailureLog.objects.create(**common, attempt_time=now, locked_out=False).pk
        },
        "axes.accessattempt": {AccessAttempt.objects.create(**common, failures_since_start=2).pk},
    }


def _connected_service_rows(own, city_user) -> dict[str, set[int]]:
    """A sign-in to a connected service and the tokens it left (oidc)."""
    from datetime import timedelta

    from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

    from oidc.models import Client, SignIn

    client = Client.objects.create(
        name="Médiathèque", redirect_uris="https://media.example.fr/cb", created_by=city_user,
        client_type="confidential", authorization_grant_type="authorization-code",
    )  # fmt: skip
    soon = timezone.now() + timedelta(minutes=10)
    grant = Grant.objects.create(
        user=own, application=client, code="code-secret-1", expires=soon,
        redirect_uri="https://media.example.fr/cb",
    )  # fmt: skip
    id_token = IDToken.objects.create(user=own, application=client, expires=soon, scope="openid")
    access = AccessToken.objects.create(
        user=own, application=client, token="at-secret-1", id_token=id_token, expires=soon,
        scope="openid",
    )  # fmt: skip
    refresh = RefreshToken.objects.create(user=own, application=client, token="rt-secret-1",
                                          access_token=access)  # fmt: skip
    sign_in = SignIn.objects.create(account=own, client=client, scopes="openid profile")
    return {
        "oidc.signin": {sign_in.pk},
        "oauth2_provider.grant": {grant.pk},
        "oauth2_provider.idtoken": {id_token.pk},
        "oauth2_provider.accesstoken": {access.pk},
        "oauth2_provider.refreshtoken": {refresh.pk},
    }


def test_the_inventory_s_personal_tables_are_exported_or_marked_not_about_a_guardian():
    personal = set(inventory.personal_labels())
    exported = set(inventory.guardian_tables())
    marked = set(inventory.NOT_ABOUT_GUARDIAN)
    assert exported | marked == personal
    assert exported & marked == set()
    assert {"accounts.user", "axes.accesslog", "sessions.session", "auditlog.logentry",
            "otp_totp.totpdevice", "accounts.renewalrequest"} <= exported  # fmt: skip


def test_every_table_s_rows_about_a_guardian_appear_in_the_export(family, city_user):
    mother = family.mother
    own = account(mother)
    now = timezone.now()
    rows: dict[str, set] = {
        "schools.guardian": {mother.pk},
        "schools.guardianlink": set(
            GuardianLink.objects.filter(guardian=mother).values_list("pk", flat=True)
        ),
        "accounts.user": {own.pk},
        "accounts.activationcode": {
            ActivationCode.objects.create(
                account=own, digest="d" * 64, ciphertext="ciphered-code", expires_at=now
            ).pk
        },
        "accounts.renewalrequest": {RenewalRequest.objects.create(account=own).pk},
        **_login_records(own.login, "203.0.113.5"),
    }
    # Another person's rows never appear.
    _login_records(account(family.father).login, "198.51.100.7")
    session = SessionStore()
    session["_auth_user_id"] = str(own.pk)
    session.create()
    other_session = SessionStore()
    other_session["_auth_user_id"] = str(account(family.father).pk)
    other_session.create()
    totp = TOTPDevice.objects.create(user=own, name="téléphone", confirmed=True)
    static = StaticDevice.objects.create(user=own, name="secours", confirmed=True)
    token = StaticToken.objects.create(device=static, token="87654321")
    rows |= _connected_service_rows(own, city_user)
    rows |= {
        "otp_totp.totpdevice": {totp.pk},
        "otp_static.staticdevice": {static.pk},
        "otp_static.statictoken": {token.pk},
    }
    earlier = file_request(family, kind="rectification", message="Mon numéro a changé.")
    services.data_request_subjects_confirm(
        data_request=earlier, actor=city_user, guardian_id=mother.pk, pupil_ids=[]
    )
    note = DataRequestNote.objects.create(
        request=earlier, author=city_user, text="Rappelée le 2 décembre."
    )
    task = RectificationTask.objects.create(
        person_kind="guardian", guardian=mother, request=earlier, school=family.school,
        field="mobile_phone", current_value="0611223344", requested_value="0611223355",
    )  # fmt: skip
    hold = LegalHold.objects.create(person_kind="guardian", guardian=mother, reason="Contentieux")
    # The ENT received her data over SCIM (issue 18); the father's delivery never appears.
    ent = ScimClient.objects.create(name="ENT ONE", token_digest="e" * 64)
    delivery = ScimDelivery.objects.create(
        client=ent, account=own, first_sent_at=now, last_sent_at=now
    )
    ScimDelivery.objects.create(
        client=ent, account=account(family.father), first_sent_at=now, last_sent_at=now
    )
    run = ImportRun.objects.create(status=ImportRun.Status.APPLIED, mode="Delta",
                                   trigger=ImportRun.Trigger.COMMAND, applied_at=now)  # fmt: skip
    problem = ImportProblem.objects.create(
        run=run, level="warning", code="bad-name", identifier=mother.join_key,
        school_key=family.school.join_key, message="A name of this record is not valid.",
    )  # fmt: skip
    ImportProblem.objects.create(run=run, level="warning", code="bad-name",
                                 identifier=family.father.join_key, message="x")  # fmt: skip
    item = ImportPlanItem.objects.create(
        run=run, seq=0, kind="guardian", action="update", key=mother.join_key,
        data={"mobile_phone": None},
    )  # fmt: skip
    request = file_request(family)
    services.data_request_subjects_confirm(
        data_request=request, actor=city_user, guardian_id=mother.pk, pupil_ids=[family.lea.pk]
    )
    services.data_request_requester_verify(
        data_request=request, method="email-feed", actor=city_user
    )
    first = export.access_export_create(data_request=request, actor=city_user)
    mother.mobile_phone = "0611223355"
    mother.save()
    rows |= {
        "privacy.datarequest": {earlier.pk, request.pk},
        "privacy.datarequestsubject": set(
            DataRequestSubject.objects.filter(guardian=mother).values_list("pk", flat=True)
        ),
        "privacy.datarequestnote": {note.pk},
        "privacy.accessexport": {first.pk},
        "privacy.rectificationtask": {task.pk},
        "privacy.legalhold": {hold.pk},
        "scim.scimdelivery": {delivery.pk},
        "imports.importproblem": {problem.pk},
        "imports.importplanitem": {item.pk},
        "auditlog.logentry": set(
            LogEntry.objects.get_for_object(mother).values_list("pk", flat=True)
        )
        | set(LogEntry.objects.get_for_object(own).values_list("pk", flat=True)),
    }
    assert len(rows["privacy.datarequestsubject"]) == 2
    assert all(rows.values())
    # Every table the export must cover has rows here: a new one fails until added above.
    assert set(rows) | {"sessions.session"} == set(inventory.guardian_tables())

    archive = export.access_export_create(data_request=request, actor=city_user)
    doc = _doc(archive)
    tables = doc["persons"][0]["tables"]
    assert sorted(tables) == sorted(inventory.guardian_tables())
    for label, ids in rows.items():
        shown = {row["id"] for row in tables[label]["rows"]}
        assert ids <= shown, label
    assert [len(tables["sessions.session"]["rows"])] == [1]
    # Every personal field of every row is there: its value, or why it is withheld.
    for label, table in tables.items():
        expected = inventory.exported_fields(label)
        for row in table["rows"]:
            assert [f["field"] for f in row["fields"]] == expected, label
            for f in row["fields"]:
                assert f["withheld"] == inventory.withheld(label, f["field"])
                if f["withheld"]:
                    assert f["value"] is None, label
                    assert f["display"] == str(inventory.WITHHELD[label][f["field"]]), label

    def value(label, pk, field):
        row = next(r for r in tables[label]["rows"] if r["id"] == pk)
        return next(f for f in row["fields"] if f["field"] == field)["value"]

    assert value("schools.guardian", mother.pk, "mobile_phone") == "0611223355"
    assert value("privacy.datarequestnote", note.pk, "text") == "Rappelée le 2 décembre."
    assert value("privacy.rectificationtask", task.pk, "requested_value") == "0611223355"
    assert value("imports.importproblem", problem.pk, "identifier") == mother.join_key
    assert value("axes.accesslog", min(rows["axes.accesslog"]), "ip_address") == "203.0.113.5"
    assert value("otp_totp.totpdevice", totp.pk, "last_used_at") is None
    text = json.dumps(doc)
    # Secrets are never in it, nor another person's rows.
    # The person's connected services are listed as recipients of their data.
    assert [c["client"] for c in doc["persons"][0]["connected_services"]] == ["Médiathèque"]
    assert "Médiathèque" in _html(archive)
    for needle in ("code-secret-1", "at-secret-1", "rt-secret-1"):
        assert needle not in text
    for needle in ("87654321", totp.key, "ciphered-code", session.session_key, "198.51.100.7",
                   other_session.session_key, family.father.join_key):  # fmt: skip
        assert needle not in text
    html = _html(archive)
    assert "Toutes les tables contenant des données vous concernant" in html
    assert "Rappelée le 2 décembre." in html
    assert "87654321" not in html
