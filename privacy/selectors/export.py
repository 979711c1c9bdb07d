"""The copy of a person's data for an access request (GDPR art. 15), and its delivery.

One ZIP: `data.json` (machine-readable) and `data.html` (readable, in French). Every field is
given with its source and retention rule (privacy/inventory.py), with the purposes,
recipients, rights and the CNIL's contact. Third parties are masked: the child's other
guardians (identity and contact details), and the requester's other children.

The link e-mailed to the requester is signed (django.core.signing) and expires after
GDPR_EXPORT_LINK_DAYS; each download is recorded.
"""

import datetime
import io
import json
import logging
import zipfile
from collections.abc import Callable, Iterable

from auditlog.models import LogEntry
from django.apps import apps
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import Event
from accounts.models import ActivationCode, RenewalRequest, User
from entaix.common.exceptions import ApplicationError
from imports.models import ImportPlanItem, ImportProblem, ImportRun
from privacy import inventory, selectors
from privacy.inventory import INVENTORY, Rule, Source, retention_text
from privacy.models import (
    AccessExport,
    DataRequest,
    DataRequestNote,
    DataRequestSubject,
    LegalHold,
    PersonKind,
    RectificationTask,
)
from schools.models import GuardianLink, PupilClass, School, StaffAssignment, StaffClass

logger = logging.getLogger(__name__)

SALT = "entaix.gdpr.export"


def export_token(export: AccessExport) -> str:
    """The signed token of an export's download link (checked by
    `services.export.access_export_from_token`)."""
    return signing.dumps({"e": export.pk, "n": export.token_nonce}, salt=SALT)


FORMAT = "entaix-access-export/1"


MASKED = "[masked]"


CNIL = {
    "authority": "Commission nationale de l'informatique et des libertés (CNIL)",
    "website": "https://www.cnil.fr",
    "address": "3 Place de Fontenoy, TSA 80715, 75334 Paris Cedex 07",
}


_CODE_EVENTS = {Event.CODE_ISSUED, Event.CODE_REGENERATED}


_LETTER_EVENTS = {Event.LETTER_PRINTED, Event.RENEWAL_SLIP_PRINTED}


_RESET_EVENTS = {Event.RESET, Event.RECOVERY_LINK_SENT, Event.RECOVERY_PASSWORD_SET}


def privacy_notice() -> dict:
    """Purposes, legal basis, recipients, source, retention, rights, complaint (art. 13 to 15)."""
    return {
        "controller": _("City of Aix-en-Provence — school service"),
        "purposes": [
            _(
                "Give pupils, their guardians and school staff access to the primary-school ENT "
                "(digital workspace): accounts, activation letters, password recovery."
            ),
            _(
                "Keep the directory of the city's schools (schools, classes, pupils, guardians, "
                "staff) up to date from the Ministry of Education's feed."
            ),
            _("Answer data-protection requests and keep the proof of it."),
            _("Keep the service secure and traceable (audit trail)."),
        ],
        "legal_basis": _(
            "A task carried out in the public interest (GDPR art. 6(1)(e)), under the "
            "convention between the City and the Académie d'Aix-Marseille. The data are used "
            "for the ENT only."
        ),
        "categories": [
            _("Identity: names, civility, birth date (pupils and staff), INE (pupils)."),
            _("School life: school, classes and groups, level."),
            _("Guardians: postal address, phones, e-mail, relation to the child, authority."),
            _("ENT account: login, e-mail, activation, terms of use, last login, events."),
        ],
        "recipients": [
            _("Authorised staff of the City of Aix-en-Provence's school service."),
            _("The school's director and teachers, for their school or their classes."),
            _("No other recipient; no transfer outside the European Union."),
        ],
        "source": _(
            "The Ministry of Education's ONDE database, through the AAF directory feed of the "
            "Académie d'Aix-Marseille; the e-mail address and the acceptance of the terms of use "
            "come from the person."
        ),
        "retention": [
            retention_text(rule)
            for rule in (Rule.PUPIL, Rule.GUARDIAN, Rule.STAFF, Rule.ACCOUNT, Rule.AUDIT)
        ],
        "rights": [
            _("Access to your data and a copy of them (GDPR art. 15)."),
            _(
                "Rectification (art. 16): data coming from ONDE are corrected by the school's "
                "director in ONDE, then reach entaix with the next feed."
            ),
            _("Erasure (art. 17) and restriction (art. 18), within the limits of the public task."),
            _("Opposition (art. 21), for reasons relating to your particular situation."),
            _("Lodging a complaint with the CNIL."),
        ],
        "how": _(
            "File a request on the form of this site (Personal data → File a request). We answer "
            "within one month; this can be extended by two months for complex requests, and you "
            "are told before the first month ends."
        ),
        "cnil": CNIL,
    }


def _plain(value):
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _display(value, choices=None) -> str:
    """The value as a person reads it (the JSON keeps `value` as is)."""
    if value is None or value == "" or value == []:
        return "—"
    if choices:
        return str(dict(choices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _field(model, name: str, value) -> dict:
    info = INVENTORY[model._meta.label_lower][name]
    model_field = model._meta.get_field(name)
    return {
        "field": name,
        "label": str(model_field.verbose_name),
        "value": _plain(value),
        "display": _display(value, getattr(model_field, "flatchoices", None)),
        "source": str(info.source),
        "source_label": str(Source(info.source).label),
        "retention": str(info.rule),
        "retention_text": retention_text(info.rule),
    }


def _fields(obj, names) -> list[dict]:
    return [_field(type(obj), name, getattr(obj, name)) for name in names]


_IDENTITY = {
    PersonKind.PUPIL: (
        "civility",
        "last_name",
        "birth_name",
        "first_name",
        "other_first_names",
        "birth_date",
        "ine",
        "level",
        "cycle",
        "class_type",
    ),
    PersonKind.GUARDIAN: (
        "civility",
        "last_name",
        "birth_name",
        "first_name",
        "other_first_names",
        "address",
        "postal_code",
        "city",
        "country",
        "home_phone",
        "mobile_phone",
        "work_phone",
        "email",
    ),
    PersonKind.STAFF: (
        "civility",
        "last_name",
        "birth_name",
        "first_name",
        "other_first_names",
        "email",
        "is_teacher",
        "specialities",
    ),
}


_PRESENCE = ("join_key", "first_seen_at", "last_seen_at", "left_at")


_ACCOUNT = (
    "login",
    "email",
    "first_name",
    "last_name",
    "kind",
    "is_active",
    "date_joined",
    "last_login",
    "activated_at",
    "email_confirmed_at",
    "terms_version",
    "terms_accepted_at",
)


def _actor_label(entry: LogEntry, *, own_accounts: set[int]) -> str:
    if entry.actor_id is None:
        return _("entaix (automatic)")
    if entry.actor_id in own_accounts:
        return _("you")
    if entry.actor.kind == User.Kind.CITY:
        return _("city staff")
    if entry.actor.kind == User.Kind.STAFF:
        return _("school staff")
    return _("another person")


def _events(targets, *, own_accounts: set[int]) -> list[dict]:
    condition = selectors.targets_q(targets)
    entries = (
        LogEntry.objects.filter(condition)
        .select_related("actor", "content_type")
        .order_by("timestamp", "id")
    )
    return [
        {
            "at": _plain(entry.timestamp),
            "when": _display(entry.timestamp),
            "object": entry.content_type.model,
            "action": (entry.additional_data or {}).get("event")
            or LogEntry.Action.choices[entry.action][1],
            "fields": sorted((entry.changes or {}).keys())
            if isinstance(entry.changes, dict)
            else [],
            "by": _actor_label(entry, own_accounts=own_accounts),
            # The address the person acted from (never a staff member's).
            "address": entry.remote_addr if entry.actor_id in own_accounts else None,
        }
        for entry in entries
    ]


def _login_records(account: User | None) -> list[dict]:
    """django-axes: the person's logins and failed attempts, with address and browser."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    if account is None:
        return []
    rows = []
    for kind, model in (
        ("login", AccessLog),
        ("failure", AccessFailureLog),
        ("lockout-counter", AccessAttempt),
    ):
        for record in model.objects.filter(username__iexact=account.login).order_by("attempt_time"):
            rows.append(
                {
                    "type": kind,
                    "at": _plain(record.attempt_time),
                    "when": _display(record.attempt_time),
                    "address": record.ip_address,
                    "browser": record.user_agent,
                    "source": str(Source.SYSTEM),
                    "retention": str(Rule.LOGIN_RECORDS),
                }
            )
    return rows


def _session_rows(account: User | None) -> list:
    """The person's open sessions."""
    from django.contrib.sessions.models import Session

    if account is None:
        return []
    return [
        s
        for s in Session.objects.filter(expire_date__gt=timezone.now()).order_by("expire_date")
        if str(s.get_decoded().get("_auth_user_id")) == str(account.pk)
    ]


def _sessions(account: User | None) -> list[dict]:
    """The person's open sessions (their expiry only: the rest is a random key)."""
    return [
        {"expires": _plain(s.expire_date), "retention": str(Rule.SESSION)}
        for s in _session_rows(account)
    ]


def _account(account: User | None) -> dict | None:
    if account is None:
        return None
    fields = _fields(account, _ACCOUNT)
    password = _field(User, "password", _("set") if account.has_usable_password() else _("not set"))
    password["note"] = _("Stored as a one-way hash: nobody can read it.")
    code = ActivationCode.objects.filter(account=account).first()
    return {
        "fields": [*fields, password],
        "activation_code": (
            {
                "issued_at": _plain(code.updated_at),
                "expires_at": _plain(code.expires_at),
                "display": _("issued %(issued)s, expires %(expires)s")
                % {"issued": _display(code.updated_at), "expires": _display(code.expires_at)},
                "note": _("The code itself is never shown here."),
            }
            if code
            else None
        ),
        "renewal_requests": [
            {
                "asked_at": _plain(r.created_at),
                "when": _display(r.created_at),
                "status": r.get_status_display(),
                "handled_at": _plain(r.handled_at),
            }
            for r in RenewalRequest.objects.filter(account=account).order_by("created_at")
        ],
    }


def _feed_history(kind: str, join_key: str, school_names: dict[str, str]) -> list[dict]:
    items = (
        ImportPlanItem.objects.filter(kind=kind, key=join_key, run__status=ImportRun.Status.APPLIED)
        .select_related("run")
        .order_by("run__applied_at", "seq")
    )
    history = []
    for item in items:
        row = {
            "at": _plain(item.run.applied_at),
            "when": _display(item.run.applied_at),
            "import_run": item.run_id,
            "action": item.action,
            "fields_changed": sorted(k for k in item.data if k not in ("classes", "assignments")),
        }
        if "school" in item.data:
            row["school"] = school_names.get(item.data["school"], item.data["school"])
        history.append(row)
    return history


def _person_base(kind: str, person, role: str, school_names: dict[str, str]) -> dict:
    return {
        "role": role,
        "kind": kind,
        "name": f"{person.first_name} {person.last_name}",
        "identity": _fields(person, _IDENTITY[PersonKind(kind)]),
        "presence": _fields(person, _PRESENCE),
        "feed_history": _feed_history(
            f"{kind}s" if kind != "staff" else "staff", person.join_key, school_names
        ),
        "account": _account(person.account),
    }


def _pupil_doc(pupil, *, requester, school_names) -> dict:
    doc = _person_base("pupil", pupil, "child", school_names)
    doc["school"] = {"name": pupil.school.name, "uai": pupil.school.uai}
    doc["classes"] = [
        {
            "name": link.school_class.name,
            "kind": link.school_class.kind,
            "school": link.school_class.school.name,
            "ended": _plain(link.school_class.left_at),
        }
        for link in PupilClass.objects.filter(pupil=pupil)
        .select_related("school_class__school")
        .order_by("school_class__name")
    ]
    doc["guardians"] = []
    for link in GuardianLink.objects.filter(pupil=pupil).order_by("legal", "id"):
        mine = requester is not None and link.guardian_id == requester.pk
        doc["guardians"].append(
            {
                "who": (
                    f"{requester.first_name} {requester.last_name}"
                    if mine
                    else _("%(mask)s another guardian (identity and contact details masked)")
                    % {"mask": MASKED}
                ),
                **{
                    f["field"]: f
                    for f in _fields(link, ("relation", "legal", "financial", "contact", "left_at"))
                },
            }
        )
    return doc


def _guardian_doc(guardian, *, children_ids: set[int], school_names) -> dict:
    doc = _person_base("guardian", guardian, "requester", school_names)
    doc["children"] = []
    for link in GuardianLink.objects.filter(guardian=guardian).select_related("pupil"):
        shown = link.pupil_id in children_ids
        doc["children"].append(
            {
                "who": (
                    f"{link.pupil.first_name} {link.pupil.last_name}"
                    if shown
                    else _("%(mask)s another child (not part of this request)") % {"mask": MASKED}
                ),
                **{
                    f["field"]: f
                    for f in _fields(link, ("relation", "legal", "financial", "contact", "left_at"))
                },
            }
        )
    return doc


def _staff_doc(staff, school_names) -> dict:
    doc = _person_base("staff", staff, "requester", school_names)
    doc["assignments"] = [
        {
            "school": a.school.name,
            "uai": a.school.uai,
            **{f["field"]: f for f in _fields(a, ("is_director", "functions"))},
        }
        for a in StaffAssignment.objects.filter(staff=staff).select_related("school")
    ]
    doc["classes"] = [
        {"name": link.school_class.name, "school": link.school_class.school.name}
        for link in StaffClass.objects.filter(staff=staff).select_related("school_class__school")
    ]
    return doc


def _event_targets(
    kind: str, person, *, requester_id: int | None, children_ids: set[int] = frozenset()
) -> list:
    """The person's audit targets, minus the links that concern third parties: a child's links
    to other guardians, a guardian's links to children outside the request."""
    targets = selectors.person_audit_targets(kind=kind, person=person)
    if kind == PersonKind.PUPIL:
        links = GuardianLink.objects.filter(pupil=person, guardian_id=requester_id)
    elif kind == PersonKind.GUARDIAN:
        links = GuardianLink.objects.filter(guardian=person, pupil_id__in=children_ids)
    else:
        return targets
    own = list(links.values_list("pk", flat=True))
    return [(m, own if m is GuardianLink else ids) for m, ids in targets]


def _split_events(events: list[dict]) -> dict:
    def pick(names):
        return [e for e in events if e["action"] in {str(n) for n in names}]

    return {
        "codes_issued": pick(_CODE_EVENTS),
        "letters_printed": pick(_LETTER_EVENTS),
        "resets": pick(_RESET_EVENTS),
        "audit_events": events,
    }


def _requests_about(subject_filter: dict) -> list[dict]:
    """Requests about the person; those they made also say how they were handled."""
    subjects = DataRequestSubject.objects.filter(**subject_filter)
    ids = subjects.values("request_id")
    own = set(
        subjects.filter(role=DataRequestSubject.Role.REQUESTER).values_list("request_id", flat=True)
    )
    rows = []
    for r in DataRequest.objects.filter(pk__in=ids).order_by("received_at"):
        row = {
            "reference": r.reference,
            "kind": r.get_kind_display(),
            "received_on": _plain(r.received_on),
            "status": r.get_status_display(),
        }
        if r.pk in own:
            row.update(
                due_on=_plain(r.due_on),
                decision=r.get_decision_display() if r.decision else "",
                legal_ground=r.get_legal_ground_display() if r.legal_ground else "",
                closed_on=_plain(timezone.localdate(r.closed_at)) if r.closed_at else None,
                answer=r.answer,
            )
        rows.append(row)
    return rows


def _guardian_finders(guardian, *, children_ids: set[int]) -> dict[str, Callable[[], Iterable]]:
    """For each personal table the export covers (privacy/inventory.py), its rows about the
    guardian. Links to children outside the request are given without the child (an id)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    account = guardian.account
    account_id = guardian.account_id
    login = account.login if account else None
    requests = DataRequestSubject.objects.filter(guardian=guardian).values("request_id")
    children = list(
        GuardianLink.objects.filter(guardian=guardian, pupil_id__in=children_ids).values_list(
            "pupil__join_key", flat=True
        )
    )

    def attempts(model):
        return lambda: model.objects.filter(username__iexact=login).order_by("pk") if login else []

    def events():
        targets = _event_targets(
            "guardian", guardian, requester_id=guardian.pk, children_ids=children_ids
        )
        return LogEntry.objects.filter(selectors.targets_q(targets)).order_by("timestamp", "pk")

    return {
        "schools.guardian": lambda: [guardian],
        "schools.guardianlink": lambda: GuardianLink.objects.filter(guardian=guardian).order_by(
            "pk"
        ),
        "accounts.user": lambda: User.objects.filter(pk=account_id),
        "accounts.activationcode": lambda: ActivationCode.objects.filter(account_id=account_id),
        "accounts.renewalrequest": lambda: RenewalRequest.objects.filter(
            account_id=account_id
        ).order_by("pk"),
        "axes.accessattempt": attempts(AccessAttempt),
        "axes.accesslog": attempts(AccessLog),
        "axes.accessfailurelog": attempts(AccessFailureLog),
        "sessions.session": lambda: _session_rows(account),
        "otp_totp.totpdevice": lambda: TOTPDevice.objects.filter(user_id=account_id),
        "otp_static.staticdevice": lambda: StaticDevice.objects.filter(user_id=account_id),
        "otp_static.statictoken": lambda: StaticToken.objects.filter(device__user_id=account_id),
        "privacy.datarequest": lambda: DataRequest.objects.filter(pk__in=requests).order_by("pk"),
        "privacy.datarequestsubject": lambda: DataRequestSubject.objects.filter(
            guardian=guardian
        ).order_by("pk"),
        "privacy.datarequestnote": lambda: DataRequestNote.objects.filter(
            request_id__in=requests
        ).order_by("pk"),
        "privacy.accessexport": lambda: AccessExport.objects.filter(
            request_id__in=requests
        ).order_by("pk"),
        "privacy.rectificationtask": lambda: RectificationTask.objects.filter(
            Q(guardian=guardian) | Q(request_id__in=requests, pupil_id__in=children_ids)
        ).order_by("pk"),
        "privacy.legalhold": lambda: LegalHold.objects.filter(guardian=guardian).order_by("pk"),
        "imports.importproblem": lambda: ImportProblem.objects.filter(
            identifier=guardian.join_key
        ).order_by("pk"),
        "imports.importplanitem": lambda: ImportPlanItem.objects.filter(
            Q(kind="guardians", key=guardian.join_key)
            | Q(kind="links", key__in=[f"{key}|{guardian.join_key}" for key in children])
        ).order_by("run_id", "seq"),
        "auditlog.logentry": events,
    }


def _table_row(label: str, obj) -> dict:
    model = type(obj)
    fields = []
    for name in inventory.exported_fields(label):
        model_field = model._meta.get_field(name)
        value = getattr(obj, model_field.attname)
        if isinstance(value, FieldFile):
            value = value.name
        entry = _field(model, name, value)
        entry["withheld"] = inventory.withheld(label, name)
        if entry["withheld"]:
            entry.update(value=None, display=str(inventory.WITHHELD[label][name]))
        fields.append(entry)
    shown_pk = not inventory.withheld(label, model._meta.pk.name)
    return {"id": obj.pk if shown_pk else None, "fields": fields}


def _tables(finders: dict[str, Callable[[], Iterable]]) -> dict:
    """Every personal table of the inventory about the person, row by row: adding a table or
    a field to the inventory adds it here (or fails here until it is said how to find it)."""
    tables = {}
    for label in inventory.guardian_tables():
        if label not in finders:
            raise ImproperlyConfigured(
                f"{label} holds personal data: export its rows about a guardian, or list it in "
                "privacy.inventory.NOT_ABOUT_GUARDIAN"
            )
        model = apps.get_model(label)
        tables[label] = {
            "table": str(model._meta.verbose_name_plural),
            "rows": [_table_row(label, obj) for obj in finders[label]()],
        }
    return tables


def access_document(*, request: DataRequest) -> dict:
    """Everything entaix holds about the request's confirmed subjects, third parties masked."""
    subjects = selectors.data_request_subjects(request=request)
    requester = next((s for s in subjects if s.role == DataRequestSubject.Role.REQUESTER), None)
    if requester is None or requester.person is None:
        raise ApplicationError(_("Confirm who the requester is first."), code="unmatched")

    school_names = dict(School.objects.values_list("join_key", "name"))
    children = [s.pupil for s in subjects if s.role == DataRequestSubject.Role.CHILD and s.pupil]
    persons = []
    if requester.person_kind == PersonKind.GUARDIAN:
        guardian = requester.guardian
        own_accounts = {guardian.account_id} - {None}
        doc = _guardian_doc(
            guardian, children_ids={c.pk for c in children}, school_names=school_names
        )
        events = _events(
            _event_targets(
                "guardian",
                guardian,
                requester_id=guardian.pk,
                children_ids={c.pk for c in children},
            ),
            own_accounts=own_accounts,
        )
        doc.update(_split_events(events))
        doc["data_requests"] = _requests_about({"guardian": guardian})
        doc["login_records"] = _login_records(guardian.account)
        doc["sessions"] = _sessions(guardian.account)
        doc["tables"] = _tables(_guardian_finders(guardian, children_ids={c.pk for c in children}))
        persons.append(doc)
        for child in children:
            doc = _pupil_doc(child, requester=guardian, school_names=school_names)
            events = _events(
                _event_targets("pupil", child, requester_id=guardian.pk), own_accounts=own_accounts
            )
            doc.update(_split_events(events))
            doc["data_requests"] = _requests_about({"pupil": child})
            doc["login_records"] = _login_records(child.account)
            doc["sessions"] = _sessions(child.account)
            persons.append(doc)
    else:
        staff = requester.staff
        doc = _staff_doc(staff, school_names)
        events = _events(
            _event_targets("staff", staff, requester_id=None),
            own_accounts={staff.account_id} - {None},
        )
        doc.update(_split_events(events))
        doc["data_requests"] = _requests_about({"staff": staff})
        doc["login_records"] = _login_records(staff.account)
        doc["sessions"] = _sessions(staff.account)
        persons.append(doc)
    return {
        "format": FORMAT,
        "reference": request.reference,
        "generated_at": _plain(timezone.now()),
        "generated_on": _display(timezone.now()),
        "notice": privacy_notice(),
        "sources": {str(s): str(s.label) for s in Source},
        "retention_rules": {str(r): retention_text(r) for r in Rule},
        "masking": _(
            "Data about other people are masked: the child's other guardians (identity and "
            "contact details) and your other children not named in this request."
        ),
        "persons": persons,
    }


def access_archive(document: dict) -> bytes:
    """The ZIP: data.json and data.html."""
    buffer = io.BytesIO()
    html = render_to_string("privacy/export.html", {"doc": document})
    payload = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", payload)
        archive.writestr("data.html", html)
    return buffer.getvalue()
