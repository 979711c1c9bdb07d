"""The retention engine: who is purged when, and why; and the purge itself.

Rules (convention, article 8; accounts/gdpr/inventory.py names them):
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
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import Event, audit_objects
from schools.models import Guardian, GuardianLink, Pupil, Staff

from . import anonymise, selectors
from .inventory import Rule
from .models import AccessExport, DataRequest, PersonKind, PurgeReceipt, PurgeRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    """One person scheduled for purging, with the rule and the date it is computed from."""

    kind: str
    person_id: int
    rule: str
    reference: datetime.date
    purge_on: datetime.date
    held: bool = False
    blocked: str = ""  # "child-held": a child of this guardian is under a legal hold

    def is_due(self, today: datetime.date) -> bool:
        return not self.held and not self.blocked and self.purge_on <= today


@dataclass
class RetentionPlan:
    today: datetime.date
    entries: list[Entry]
    present: dict[str, int] = field(default_factory=dict)

    @property
    def due(self) -> list[Entry]:
        return [e for e in self.entries if e.is_due(self.today)]

    def due_count(self, rule: str) -> int:
        return sum(1 for e in self.due if e.rule == rule)


def _end_of_year(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 12, 31)


def _day(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment)


def retention_plan(*, today: datetime.date | None = None) -> RetentionPlan:
    """Every person with a purge date, due or not, sorted by purge date. Reads only."""
    today = today or timezone.localdate()
    held = selectors.held_persons()
    entries: list[Entry] = []

    for pk, left_at in Pupil.objects.filter(left_at__isnull=False).values_list("pk", "left_at"):
        reference = _day(left_at)
        entries.append(
            Entry(
                PersonKind.PUPIL,
                pk,
                Rule.PUPIL,
                reference,
                _end_of_year(reference),
                held=(PersonKind.PUPIL, pk) in held,
            )
        )

    links = defaultdict(list)
    for guardian_id, pupil_id, link_left, pupil_left in GuardianLink.objects.values_list(
        "guardian_id", "pupil_id", "left_at", "pupil__left_at"
    ):
        links[guardian_id].append((pupil_id, link_left, pupil_left))
    present_guardians = 0
    for pk, left_at in Guardian.objects.values_list("pk", "left_at"):
        ends, kept, child_held = [], False, False
        for pupil_id, link_left, pupil_left in links.get(pk, ()):
            if link_left is None and pupil_left is None:
                kept = True  # a present child, still linked
                break
            ends.append(_day(min(d for d in (link_left, pupil_left) if d is not None)))
            child_held = child_held or (PersonKind.PUPIL, pupil_id) in held
        if left_at is not None:
            ends.append(_day(left_at))
        if kept or not ends:
            present_guardians += 1
            continue
        reference = max(ends)
        entries.append(
            Entry(
                PersonKind.GUARDIAN,
                pk,
                Rule.GUARDIAN,
                reference,
                _end_of_year(reference),
                held=(PersonKind.GUARDIAN, pk) in held,
                blocked="child-held" if child_held else "",
            )
        )

    for pk, left_at in Staff.objects.filter(left_at__isnull=False).values_list("pk", "left_at"):
        reference = _day(left_at)
        entries.append(
            Entry(
                PersonKind.STAFF,
                pk,
                Rule.STAFF,
                reference,
                reference,
                held=(PersonKind.STAFF, pk) in held,
            )
        )

    entries.sort(key=lambda e: (e.purge_on, e.kind, e.person_id))
    present = {
        PersonKind.PUPIL: Pupil.objects.filter(left_at__isnull=True).count(),
        PersonKind.GUARDIAN: present_guardians,
        PersonKind.STAFF: Staff.objects.filter(left_at__isnull=True).count(),
    }
    return RetentionPlan(
        today=today, entries=entries, present={str(k): v for k, v in present.items()}
    )


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


def retention_purge(
    *,
    today: datetime.date | None = None,
    apply: bool = False,
    trigger: str = PurgeRun.Trigger.COMMAND,
    actor=None,
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
        for rule, number, counts in (
            (Rule.ATTACHMENT, attachments, {"files:attachments": attachments}),
            (Rule.EXPORT, exports, {"files:exports": exports}),
            (Rule.REQUEST, len(request_ids), dict(anonymised)),
        ):
            if number:
                receipts.append(PurgeReceipt(run=run, rule=rule, counts=counts))
                totals.update(counts)
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
