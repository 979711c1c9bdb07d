"""The convention's termination: everything from the feed destroyed, a certificate kept."""

import datetime
import logging
from collections import Counter
from dataclasses import dataclass, field

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import F, Q, TextField, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import Event, audit_objects
from accounts.models import User
from entaix.common.exceptions import ApplicationError
from imports.models import CityPersonImport, ImportFile, ImportPlanItem, ImportProblem
from privacy.models import (
    DataRequest,
    LegalHold,
    PurgeRun,
)
from privacy.services.anonymise import (
    _add,
    _ids,
    inbox_files_delete,
    persons_erase,
    raw_files_undeletable,
    raw_files_unlink,
    requests_anonymise,
)
from schools.kinds import PersonKind
from schools.models import (
    Guardian,
    Pupil,
    PupilClass,
    School,
    SchoolClass,
    Staff,
    StaffAssignment,
    StaffClass,
)
from scim.models import ScimRemoval

logger = logging.getLogger(__name__)


@dataclass
class Termination:
    counts: Counter
    kept: dict
    open_requests: int
    run: PurgeRun | None = None
    open_references: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _termination_scope() -> dict:
    held = LegalHold.objects.filter(lifted_at__isnull=True)
    held_ids = {
        kind: set(held.filter(person_kind=kind).values_list(f"{kind}_id", flat=True))
        for kind in PersonKind.values
    }
    kept_accounts = set(
        User.objects.filter(
            Q(pupil__in=held_ids["pupil"])
            | Q(guardian__in=held_ids["guardian"])
            | Q(staff__in=held_ids["staff"])
        ).values_list("pk", flat=True)
    )
    return {
        "pupils": _ids(Pupil.objects.exclude(pk__in=held_ids["pupil"])),
        "guardians": _ids(Guardian.objects.exclude(pk__in=held_ids["guardian"])),
        "staff": _ids(Staff.objects.exclude(pk__in=held_ids["staff"])),
        # Every account made for a person of the feed, also one whose person is gone already.
        "accounts": _ids(User.objects.exclude(kind=User.Kind.CITY).exclude(pk__in=kept_accounts)),
        "held": {kind: len(ids) for kind, ids in held_ids.items()},
        "kept_accounts": kept_accounts,
    }


def termination_preview() -> Termination:
    """What `convention_terminate` would destroy; writes nothing."""
    scope = _termination_scope()
    references = list(
        DataRequest.objects.filter(status__in=DataRequest.OPEN)
        .order_by("reference")
        .values_list("reference", flat=True)
    )
    counts = Counter(
        {
            "schools.pupil": len(scope["pupils"]),
            "schools.guardian": len(scope["guardians"]),
            "schools.staff": len(scope["staff"]),
            "accounts.user": len(scope["accounts"]),
            "schools.school": School.objects.count(),
            "schools.schoolclass": SchoolClass.objects.count(),
            "imports.importplanitem": ImportPlanItem.objects.count(),
            "imports.importproblem": ImportProblem.objects.count(),
            "imports.citypersonimport": CityPersonImport.objects.count(),
            "files:raw-feed": ImportFile.objects.filter(purged_at__isnull=True).count(),
            "privacy.datarequest:anonymised": DataRequest.objects.filter(
                anonymised_at__isnull=True
            ).count(),
            "auditlog.logentry": LogEntry.objects.count(),
        }
    )
    return Termination(
        counts=+counts,
        kept={"legal_holds": scope["held"]},
        open_requests=len(references),
        open_references=references,
    )


# The convention gives the city this many days after its end to destroy the data.
DESTRUCTION_DAYS = 15


@transaction.atomic
def convention_terminate(
    *,
    actor: User | None = None,
    actor_label: str = "",
    with_open_requests: bool = False,
    terminated_on: datetime.date | None = None,
) -> Termination:
    """Destroy every personal datum that came from the AAF feed, the raw files, the personal
    data in the audit trail and in the register; write the destruction certificate.

    Kept: persons under a legal hold (counted on the certificate), city staff accounts, and
    rows without personal data (import runs' counts, purge runs, the register's references).
    """
    preview = termination_preview()
    if preview.open_references and not with_open_requests:
        # Their answers would lose the data they are about: a human decides, explicitly.
        raise ApplicationError(
            _("Data requests are still open: %(references)s. Answer them first, or decide to "
              "terminate anyway (--with-open-requests).")
            % {"references": ", ".join(preview.open_references)},
            code="open-requests",
        )  # fmt: skip
    stuck = raw_files_undeletable()
    if stuck:
        # Checked before anything is destroyed: a raw file is never marked purged while it
        # still exists.
        raise ApplicationError(
            _("These raw feed files cannot be deleted; delete them by hand, then run again: "
              "%(paths)s") % {"paths": ", ".join(stuck)},
            code="raw-files",
        )  # fmt: skip
    now = timezone.now()
    terminated_on = terminated_on or timezone.localdate(now)
    run = PurgeRun.objects.create(
        kind=PurgeRun.Kind.TERMINATION,
        trigger=PurgeRun.Trigger.COMMAND,
        as_of=timezone.localdate(now),
        performed_by=actor if actor is not None and actor.pk else None,
        performed_by_label=actor_label or (actor.login if actor is not None and actor.pk else ""),
    )
    scope = _termination_scope()
    counts: Counter = Counter()
    # The import's trail goes first, whole: persons_erase then has no key to look for in it.
    counts["imports.importplanitem"] += ImportPlanItem.objects.all().delete()[0]
    counts["imports.importproblem"] += ImportProblem.objects.all().delete()[0]
    # CSVs of people outside the feed: their names, and the lines that named them.
    counts["imports.citypersonimport"] += CityPersonImport.objects.all().delete()[0]
    counts.update(
        persons_erase(
            pupil_ids=scope["pupils"],
            guardian_ids=scope["guardians"],
            staff_ids=scope["staff"],
            extra_account_ids=scope["accounts"],
        )
    )
    # The convention ends for the services too: no removal is kept for them to read.
    counts.pop("scim.scimremoval:written", None)
    counts["scim.scimremoval"] += ScimRemoval.objects.all().delete()[0]
    with disable_auditlog():
        # Classes and schools left without anybody kept: feed data too (a class is often named
        # after its teacher).
        kept_classes = set(PupilClass.objects.values_list("school_class_id", flat=True)) | set(
            StaffClass.objects.values_list("school_class_id", flat=True)
        )
        _add(counts, SchoolClass.objects.exclude(pk__in=kept_classes).delete()[1])
        kept_schools = (
            set(Pupil.objects.values_list("school_id", flat=True))
            | set(StaffAssignment.objects.values_list("school_id", flat=True))
            | set(SchoolClass.objects.values_list("school_id", flat=True))
        )
        _add(counts, School.objects.exclude(pk__in=kept_schools).delete()[1])
        # Every remaining audit entry loses its personal values, except about what is kept.
        kept_targets = _kept_targets(scope)
        remaining = LogEntry.objects.exclude(kept_targets) if kept_targets else LogEntry.objects
        counts["auditlog.logentry:scrubbed"] += remaining.update(
            object_repr=Concat(Value("object "), F("object_pk"), output_field=TextField()),
            changes={},
            changes_text="",
            serialized_data=None,
        )
        counts["auditlog.logentry:actor-traces"] += LogEntry.objects.exclude(
            actor__kind=User.Kind.CITY
        ).update(actor_email=None, remote_addr=None, remote_port=None)
        counts["django_session"] += Session.objects.all().delete()[0]
    counts.update(
        requests_anonymise(request_ids=_ids(DataRequest.objects.filter(anonymised_at__isnull=True)))
    )
    files = raw_files_unlink(finished_runs_only=False)
    counts["files:raw-feed"] += files["deleted"]
    counts["files:inbox-leftovers"] += inbox_files_delete()
    if files["failed"]:
        raise ApplicationError(
            _("These raw feed files could not be deleted (ids): %(ids)s; nothing was destroyed.")
            % {"ids": ", ".join(map(str, files["failed"]))},
            code="raw-files",
        )
    warnings = []
    if files["outside_inbox"]:
        warnings.append(f"raw-files-outside-inbox-deleted:{files['outside_inbox']}")
    run.status = PurgeRun.Status.DONE
    run.finished_at = timezone.now()
    run.counts = dict(sorted((+counts).items()))
    run.kept = {
        "legal_holds": scope["held"],
        "warnings": warnings,
        "open_requests_at_start": preview.open_requests,
        "open_requests": preview.open_references,
        "terminated_on": terminated_on.isoformat(),
        "deadline": (terminated_on + datetime.timedelta(days=DESTRUCTION_DAYS)).isoformat(),
        "backup_days": settings.BACKUP_RETENTION_DAYS,
    }
    run.save()
    audit_objects(event=Event.TERMINATION, model=PurgeRun, ids=[run.pk], actor=actor)
    logger.warning("convention terminated: purge run %s", run.pk)
    return Termination(
        counts=+counts,
        kept=run.kept,
        open_requests=preview.open_requests,
        open_references=preview.open_references,
        run=run,
        warnings=warnings,
    )


def _kept_targets(scope: dict) -> Q | None:
    """Audit entries about kept persons (legal hold) and city staff accounts keep their values."""
    city = _ids(User.objects.filter(kind=User.Kind.CITY))
    held = LegalHold.objects.filter(lifted_at__isnull=True)
    targets = [
        (User, sorted(set(city) | scope["kept_accounts"])),
        (Pupil, _ids(held.filter(person_kind="pupil"), "pupil_id")),
        (Guardian, _ids(held.filter(person_kind="guardian"), "guardian_id")),
        (Staff, _ids(held.filter(person_kind="staff"), "staff_id")),
        (LegalHold, _ids(held)),
        (PurgeRun, _ids(PurgeRun.objects.all())),
    ]
    condition = None
    for model, ids in targets:
        if ids:
            clause = Q(content_type=ContentType.objects.get_for_model(model), object_id__in=ids)
            condition = clause if condition is None else condition | clause
    return condition


def certificate_text(run: PurgeRun) -> str:
    """The destruction certificate: what, when, how many, by whom — no personal data."""
    from django.template.loader import render_to_string
    from django.utils import translation

    held = {k: v for k, v in (run.kept.get("legal_holds") or {}).items() if v}
    destroyed_on = timezone.localdate(run.finished_at or run.created_at)
    backup_days = settings.BACKUP_RETENTION_DAYS
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "privacy/certificate.txt",
            {
                "run": run,
                "counts": sorted(run.counts.items()),
                "held": held,
                "warnings": run.kept.get("warnings", []),
                "kept": run.kept,
                "destruction_days": DESTRUCTION_DAYS,
                "backup_days": backup_days,
                "backups_expire_on": destroyed_on + datetime.timedelta(days=backup_days),
            },
        )
