import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from entaix.common.exceptions import ApplicationError
from imports import selectors, services
from imports.aaf import FeedFileError
from imports.models import ImportRun
from imports.plan import FileSetError
from schools.kinds import RecordKind

EXIT_FAILED = 1
EXIT_HELD = 3
# The text output's words for the counts (--json keeps the keys).
COUNTS = {
    "created": pgettext_lazy("import counts", "created"),
    "updated": pgettext_lazy("import counts", "updated"),
    "left": pgettext_lazy("import counts", "left"),
    "returned": pgettext_lazy("import counts", "returned"),
    "unchanged": pgettext_lazy("import counts", "unchanged"),
}


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
                _(
                    "Give PATH…, --approve RUN_ID, --resume RUN_ID or --discard RUN_ID "
                    "(one of them)."
                )
            )
        if school and not approve:
            raise CommandError(_("--school goes with --approve RUN_ID."))
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
            raise CommandError(_("No such import run.")) from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self._report(run, as_json=json)
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(
                _("Import run %(run)s failed: %(failure)s")
                % {"run": run.pk, "failure": run.failure},
                returncode=EXIT_FAILED,
            )
        if run.status == ImportRun.Status.HELD:
            raise CommandError(
                _("Import run %(run)s is held: %(reasons)s.")
                % {"run": run.pk, "reasons": ", ".join(run.held_reasons)},
                returncode=EXIT_HELD,
            )

    @staticmethod
    def _school_keys(run_id: int, uais: list[str]) -> list[str] | None:
        if not uais:
            return None
        uais = sorted({uai.strip().upper() for uai in uais})
        keys = selectors.changeover_school_keys(run=ImportRun.objects.get(pk=run_id), uais=uais)
        if len(keys) != len(uais):
            raise CommandError(
                _("Run %(run)s changes nothing in some of these schools: %(uais)s.")
                % {"run": run_id, "uais": ", ".join(uais)}
            )
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
                _("The real run would be held: %(reasons)s.")
                % {"reasons": ", ".join(plan.held_reasons)},
                returncode=EXIT_HELD,
            )

    def _print(self, payload: dict, *, as_json: bool, failure: str = "") -> None:
        if as_json:
            self.stdout.write(json.dumps(payload, sort_keys=False))
            return
        write = self.stdout.write
        status = payload["status"]
        label = (
            ImportRun.Status(status).label if status in ImportRun.Status.values else _("dry run")
        )
        write(_("Import run %(run)s: %(status)s") % {"run": payload["run"], "status": label})
        if failure:
            write(_("  failure: %(failure)s") % {"failure": failure})
        if payload["held_reasons"]:
            write(_("  held: %(reasons)s") % {"reasons": ", ".join(payload["held_reasons"])})
        if payload.get("held_rest"):
            write(_("  the other schools stay held as run %(run)s") % {"run": payload["held_rest"]})
        write(_("  errors: %(errors)s  warnings: %(warnings)s") % payload)
        for kind, counts in payload["counts"].items():
            figures = "  ".join(
                f"{COUNTS.get(name, name)} {value}" for name, value in counts.items()
            )
            write(f"  {kind:<10} {figures}")
        if payload["skipped_closed_school"]:
            figures = "  ".join(f"{k} {n}" for k, n in payload["skipped_closed_school"].items())
            write(_("  skipped (school closed): %(figures)s") % {"figures": figures})


def _zero() -> dict:
    return dict.fromkeys(("created", "updated", "left", "returned", "unchanged"), 0)
