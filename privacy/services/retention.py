"""The retention engine: who is purged when, and why; and the purge itself.

Rules (convention, article 8; privacy/inventory.py names them):
- a pupil: at the end of the calendar year in which they stopped attending the city's schools.
  `Pupil.left_at` is that date: the importer keeps one row per pupil across all the city's open
  schools, so a pupil moving from one city school to another never has it set, and a pupil who
  comes back has it cleared;
- a guardian: when none of their children is still kept — at the end of the calendar year of
  the latest end among their links (the link's own end, or the child's leaving). A present link
  to a present child keeps them; a child under a legal hold keeps them too;
- a staff member: at their departure (`Staff.left_at`).
A person under a legal hold is never purged. Around them: request attachments after
GDPR_ATTACHMENT_RETENTION_DAYS, expired export files, requests anonymised
GDPR_REQUEST_RETENTION_YEARS after closing, and raw feed files that may hold a purged person.

`retention_plan` reads only; `retention_purge(apply=True)` writes, in one transaction, a
`PurgeRun` with one `PurgeReceipt` per rule (counts only).
"""

import datetime
import logging
from collections import Counter
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import Event, audit_objects
from accounts.models import User
from entaix.common.exceptions import ApplicationError
from privacy.inventory import Rule
from privacy.models import (
    AccessExport,
    DataRequest,
    LegalHold,
    PurgeReceipt,
    PurgeRun,
)
from privacy.selectors.retention import RetentionPlan, retention_plan
from privacy.services import anonymise
from schools.kinds import PersonKind, person_model


@transaction.atomic
def legal_hold_place(*, person_kind: str, person_id: int, reason: str, actor: User) -> LegalHold:
    """Keep one person beyond the retention rules (and the termination) until lifted."""
    if not reason.strip():
        raise ApplicationError(_("A legal hold needs its reason."), code="reason")
    person = person_model(person_kind).objects.filter(pk=person_id).first()
    if person is None:
        raise ApplicationError(_("No such person."), code="person")
    if LegalHold.objects.filter(
        lifted_at__isnull=True, **{f"{person_kind}_id": person_id}
    ).exists():
        raise ApplicationError(_("This person is already under a legal hold."), code="held")
    hold = LegalHold.objects.create(
        person_kind=person_kind, **{person_kind: person}, reason=reason.strip(), placed_by=actor
    )
    audit_objects(event=Event.LEGAL_HOLD_PLACED, model=LegalHold, ids=[hold.pk], actor=actor)
    logger.info("legal hold %s placed on %s %s", hold.pk, person_kind, person_id)
    return hold


@transaction.atomic
def legal_hold_lift(*, hold: LegalHold, actor: User) -> LegalHold:
    if hold.lifted_at is not None:
        raise ApplicationError(_("This hold is already lifted."), code="lifted")
    hold.lifted_at = timezone.now()
    hold.lifted_by = actor
    hold.save(update_fields=["lifted_at", "lifted_by", "updated_at"])
    audit_objects(event=Event.LEGAL_HOLD_LIFTED, model=LegalHold, ids=[hold.pk], actor=actor)
    return hold


logger = logging.getLogger(__name__)


@dataclass
class PurgeResult:
    plan: RetentionPlan
    run: PurgeRun | None = None
    # Around the persons: what the request and file rules would remove or removed.
    others: dict[str, int] = field(default_factory=dict)


def _end_of_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=timezone.get_current_timezone()
    )


def _request_rules(today: datetime.date) -> dict:
    limit = _end_of_day(today)
    return {
        Rule.ATTACHMENT: DataRequest.objects.filter(
            closed_at__lt=limit - datetime.timedelta(days=settings.GDPR_ATTACHMENT_RETENTION_DAYS),
            attachment_deleted_at__isnull=True,
        ).exclude(attachment=""),
        Rule.EXPORT: AccessExport.objects.filter(
            Q(expires_at__lt=limit) | Q(revoked_at__isnull=False), file_deleted_at__isnull=True
        ),
        Rule.REQUEST: DataRequest.objects.filter(
            closed_at__lt=limit - relativedelta(years=settings.GDPR_REQUEST_RETENTION_YEARS),
            anonymised_at__isnull=True,
        ),
    }


def login_records_purge(*, today: datetime.date) -> int:
    """django-axes records older than LOGIN_RECORD_RETENTION_DAYS (Rule.LOGIN_RECORDS)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    cutoff = _end_of_day(today - datetime.timedelta(days=settings.LOGIN_RECORD_RETENTION_DAYS))
    return sum(
        model.objects.filter(attempt_time__lt=cutoff).delete()[0]
        for model in (AccessAttempt, AccessFailureLog, AccessLog)
    )


def sessions_expired_delete() -> int:
    """Expired sessions (Rule.SESSION), as `clearsessions` would."""
    from django.contrib.sessions.models import Session

    return Session.objects.filter(expire_date__lt=timezone.now()).delete()[0]


def retention_purge(
    *,
    today: datetime.date | None = None,
    apply: bool = False,
    trigger: str = PurgeRun.Trigger.COMMAND,
    actor: User | None = None,
    actor_label: str = "",
) -> PurgeResult:
    """Dry run by default: the plan only. With `apply`, purge what is due and keep receipts."""
    today = today or timezone.localdate()
    plan = retention_plan(today=today)
    rules = _request_rules(today)
    if not apply:
        return PurgeResult(plan=plan, others={str(r): q.count() for r, q in rules.items()})
    with transaction.atomic():
        run = PurgeRun.objects.create(
            kind=PurgeRun.Kind.RETENTION,
            trigger=trigger,
            as_of=today,
            performed_by=actor if getattr(actor, "pk", None) else None,
            performed_by_label=actor_label,
        )
        totals: Counter = Counter()
        receipts = []
        due = plan.due
        for rule, kind in (
            (Rule.PUPIL, PersonKind.PUPIL),
            (Rule.GUARDIAN, PersonKind.GUARDIAN),
            (Rule.STAFF, PersonKind.STAFF),
        ):
            ids = [e.person_id for e in due if e.rule == rule]
            if not ids:
                continue
            counts = anonymise.persons_erase(**{f"{kind}_ids": ids})
            receipts.append(PurgeReceipt(run=run, rule=rule, persons=len(ids), counts=dict(counts)))
            totals.update(counts)
        if due:
            files = anonymise.raw_files_unlink(up_to=max(e.reference for e in due))
            if any(files.values()):
                receipts.append(PurgeReceipt(run=run, rule=Rule.RAW_FEED, counts=files))
                totals["files:raw-feed"] += files["deleted"]
        attachments = anonymise.attachments_delete(requests=list(rules[Rule.ATTACHMENT]))
        exports = anonymise.exports_delete(exports=list(rules[Rule.EXPORT]))
        request_ids = list(rules[Rule.REQUEST].values_list("pk", flat=True))
        anonymised = anonymise.requests_anonymise(request_ids=request_ids)
        for rule, number, rule_counts in (
            (Rule.ATTACHMENT, attachments, {"files:attachments": attachments}),
            (Rule.EXPORT, exports, {"files:exports": exports}),
            (Rule.REQUEST, len(request_ids), dict(anonymised)),
        ):
            if number:
                receipts.append(PurgeReceipt(run=run, rule=rule, counts=rule_counts))
                totals.update(rule_counts)
        records = login_records_purge(today=today)
        if records:
            receipts.append(
                PurgeReceipt(
                    run=run, rule=Rule.LOGIN_RECORDS, counts={"axes:login-records": records}
                )
            )
            totals["axes:login-records"] += records
        sessions = sessions_expired_delete()
        if sessions:
            receipts.append(
                PurgeReceipt(run=run, rule=Rule.SESSION, counts={"django_session": sessions})
            )
            totals["django_session"] += sessions
        PurgeReceipt.objects.bulk_create(receipts)
        run.status = PurgeRun.Status.DONE
        run.finished_at = timezone.now()
        run.counts = dict(sorted(totals.items()))
        run.kept = {
            "legal_hold": sum(1 for e in plan.entries if e.held and e.purge_on <= today),
            "child_held": sum(1 for e in plan.entries if e.blocked and e.purge_on <= today),
        }
        run.save()
        audit_objects(
            event=Event.PURGE,
            model=PurgeRun,
            ids=[run.pk],
            actor=actor,
            data={"as_of": today.isoformat(), "persons": len(due)},
        )
    logger.info("retention purge run %s as of %s: %s persons", run.pk, today, len(due))
    return PurgeResult(plan=plan, run=run)
