import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from entaix.common.exceptions import ApplicationError
from imports import selectors, services
from imports.aaf import FeedFileError
from imports.models import ImportRun
from imports.plan import FileSetError
from schools.kinds import RecordKind

EXIT_FAILED = 1
EXIT_HELD = 3


class Command(BaseCommand):
    help = (
        "Import AAF 1D files (or directories of them): plan, guard, apply. Exit status: 0 "
        "applied (or nothing to do, or discarded), 1 failed (a file-level fault, a refused "
        "command), 3 held by a guard (also for --dry-run: the same guards as the real run)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths",
            nargs="*",
            type=Path,
            metavar="PATH",
            help="AAF files, or folders holding them (a complete set of one date).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Plan only; write nothing.")
        parser.add_argument(
            "--approve", type=int, metavar="RUN_ID",
            help="Apply a held run (or one approved but interrupted before its end).",
        )  # fmt: skip
        parser.add_argument(
            "--school", action="append", default=[], metavar="UAI",
            help="With --approve, a changeover: approve only this school's part (repeat for "
            "several); the other schools stay held as a new run.",
        )  # fmt: skip
        parser.add_argument(
            "--resume", type=int, metavar="RUN_ID",
            help="Go on with a run interrupted or abandoned (no new approval needed).",
        )  # fmt: skip
        parser.add_argument("--discard", type=int, metavar="RUN_ID", help="Discard a held run.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(
        self, *args, paths, dry_run, approve, school, resume, discard, json: bool, **options
    ):
        chosen = sum(bool(x) for x in (paths, approve, resume, discard))
        if chosen != 1:
            raise CommandError(
                "Give PATH…, --approve RUN_ID, --resume RUN_ID or --discard RUN_ID (one of them)."
            )
        if school and not approve:
            raise CommandError("--school goes with --approve RUN_ID.")
        try:
            if approve:
                run = services.import_run_approve_apply(
                    run_id=approve, school_keys=self._school_keys(approve, school)
                )
            elif resume:
                run = services.import_run_resume(run_id=resume)
            elif discard:
                run = services.import_run_discard(run_id=discard)
            elif dry_run:
                return self._dry_run(paths, as_json=json)
            else:
                run = services.import_files(paths=paths, trigger=ImportRun.Trigger.COMMAND)
        except ImportRun.DoesNotExist as exc:
            raise CommandError("No such import run.") from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self._report(run, as_json=json)
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(f"Import run {run.pk} failed: {run.failure}", returncode=EXIT_FAILED)
        if run.status == ImportRun.Status.HELD:
            raise CommandError(
                f"Import run {run.pk} is held: {', '.join(run.held_reasons)}.",
                returncode=EXIT_HELD,
            )

    @staticmethod
    def _school_keys(run_id: int, uais: list[str]) -> list[str] | None:
        if not uais:
            return None
        uais = sorted({uai.strip().upper() for uai in uais})
        keys = selectors.changeover_school_keys(run=ImportRun.objects.get(pk=run_id), uais=uais)
        if len(keys) != len(uais):
            raise CommandError(f"Run {run_id} changes nothing in some of these schools: "
                               f"{', '.join(uais)}.")  # fmt: skip
        return keys

    def _report(self, run: ImportRun, *, as_json: bool) -> None:
        payload = {
            "run": run.pk,
            "status": str(run.status),
            "held_reasons": list(run.held_reasons),
            "errors": run.error_count,
            "warnings": run.warning_count,
            "counts": {kind.value: run.counts.get(kind, _zero()) for kind in RecordKind},
            "skipped_closed_school": dict(run.skipped_counts),
        }
        remainder = selectors.import_run_held_remainder(run=run)
        if remainder is not None:
            payload["held_rest"] = remainder.pk  # the schools not approved, still held
        self._print(payload, as_json=as_json, failure=run.failure)

    def _dry_run(self, paths, *, as_json: bool) -> None:
        try:
            plan = services.import_preview(paths=services.expand_paths(paths))
        except (FileSetError, FeedFileError) as exc:
            raise CommandError(f"{exc.code}: {exc.message}", returncode=EXIT_FAILED) from exc
        payload = {
            "run": None,
            "status": "dry-run",
            "held_reasons": list(plan.held_reasons),
            "errors": sum(p.level == "error" for p in plan.problems),
            "warnings": sum(p.level == "warning" for p in plan.problems),
            "counts": {kind.value: plan.counts.get(kind, _zero()) for kind in RecordKind},
            "skipped_closed_school": dict(plan.skipped),
        }
        self._print(payload, as_json=as_json)
        if plan.held_reasons:
            raise CommandError(
                f"The real run would be held: {', '.join(plan.held_reasons)}.",
                returncode=EXIT_HELD,
            )

    def _print(self, payload: dict, *, as_json: bool, failure: str = "") -> None:
        if as_json:
            self.stdout.write(json.dumps(payload, sort_keys=False))
            return
        self.stdout.write(f"Run {payload['run']}: {payload['status']}")
        if failure:
            self.stdout.write(f"  failure: {failure}")
        if payload["held_reasons"]:
            self.stdout.write(f"  held: {', '.join(payload['held_reasons'])}")
        if payload.get("held_rest"):
            self.stdout.write(f"  the other schools stay held as run {payload['held_rest']}")
        self.stdout.write(f"  errors: {payload['errors']}  warnings: {payload['warnings']}")
        for kind, counts in payload["counts"].items():
            figures = "  ".join(f"{name} {value}" for name, value in counts.items())
            self.stdout.write(f"  {kind:<10} {figures}")
        if payload["skipped_closed_school"]:
            figures = "  ".join(f"{k} {n}" for k, n in payload["skipped_closed_school"].items())
            self.stdout.write(f"  skipped-closed-school: {figures}")


def _zero() -> dict:
    return dict.fromkeys(("created", "updated", "left", "returned", "unchanged"), 0)
