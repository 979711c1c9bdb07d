"""Reads about import runs."""

from imports.models import ImportRun


def import_run_last_applied(*, mode: str | None = None) -> ImportRun | None:
    runs = ImportRun.objects.filter(status=ImportRun.Status.APPLIED, feed_date__isnull=False)
    runs = runs.exclude(trigger=ImportRun.Trigger.RECONCILE)
    if mode:
        runs = runs.filter(mode=mode)
    return runs.order_by("-feed_date", "-applied_at", "-pk").first()


def import_run_last_record_counts() -> dict | None:
    run = import_run_last_applied(mode="Complet")
    return run.record_counts if run else None
