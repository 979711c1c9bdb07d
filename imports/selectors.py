"""Reads about import runs, fetches and alerts."""

import datetime

from django.db.models import Count, QuerySet

from imports.models import DeliveryAlert, FetchAttempt, ImportPlanItem, ImportProblem, ImportRun


def import_run_last_applied(*, mode: str | None = None) -> ImportRun | None:
    runs = ImportRun.objects.filter(status=ImportRun.Status.APPLIED, feed_date__isnull=False)
    runs = runs.exclude(trigger=ImportRun.Trigger.RECONCILE)
    if mode:
        runs = runs.filter(mode=mode)
    return runs.order_by("-feed_date", "-applied_at", "-pk").first()


def import_run_last_record_counts() -> dict | None:
    run = import_run_last_applied(mode="Complet")
    return run.record_counts if run else None


def import_run_list() -> QuerySet[ImportRun]:
    return ImportRun.objects.select_related("requested_by", "decided_by").order_by("-pk")


def fetch_attempt_list(*, limit: int = 10) -> list[FetchAttempt]:
    return list(FetchAttempt.objects.order_by("-pk")[:limit])


def fetch_attempt_requested_since(
    *, requested_by_id: int, since: datetime.datetime
) -> FetchAttempt | None:
    """The fetch a person asked for at `since`, if the worker has started it."""
    return (
        FetchAttempt.objects.filter(requested_by_id=requested_by_id, created_at__gte=since)
        .order_by("-pk")
        .first()
    )


def delivery_alerts_open() -> QuerySet[DeliveryAlert]:
    return DeliveryAlert.objects.filter(resolved_at__isnull=True).order_by("-date")


def import_problems(*, run: ImportRun, school_key: str | None = None) -> QuerySet[ImportProblem]:
    problems = run.problems.order_by("id")
    if school_key is not None:
        problems = problems.filter(school_key=school_key)
    return problems


def import_plan_summary(*, run: ImportRun, school_key: str | None = None) -> list[dict]:
    """What a held run would do, kind by action, for the review screen."""
    items = ImportPlanItem.objects.filter(run=run)
    if school_key is not None:
        items = items.filter(school_key=school_key)
    return list(items.values("kind", "action").annotate(n=Count("id")).order_by("kind", "action"))


def import_plan_items(*, run: ImportRun, action: str, limit: int = 200) -> list[ImportPlanItem]:
    return list(ImportPlanItem.objects.filter(run=run, action=action).order_by("seq")[:limit])


def import_runs_interrupted() -> QuerySet[ImportRun]:
    """Runs that stopped for a passing reason (database lost, abandoned): they can resume."""
    return ImportRun.objects.filter(status=ImportRun.Status.FAILED, retryable=True).order_by("pk")


def import_state() -> dict:
    """The latest import run and the open delivery alerts; two queries."""
    return {
        "last_run": ImportRun.objects.order_by("-pk").first(),
        "alerts": list(DeliveryAlert.objects.filter(resolved_at__isnull=True).order_by("-date")),
    }


def person_feed_history(*, kind: str, join_key: str, limit: int = 50) -> list:
    """Every applied change the feed made to this person, newest first."""
    return list(
        ImportPlanItem.objects.filter(kind=kind, key=join_key, run__status=ImportRun.Status.APPLIED)
        .select_related("run")
        .order_by("-run__applied_at", "-seq")[:limit]
    )
