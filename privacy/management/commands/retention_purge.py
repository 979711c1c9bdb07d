import datetime
import getpass

from django.core.management.base import BaseCommand, CommandError

from privacy.services.retention import retention_purge


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--today expects YYYY-MM-DD, not {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Apply the retention rules (convention, article 8): pupils at the end of the calendar "
        "year in which they left the city's schools, guardians when none of their children is "
        "kept, staff at departure. Dry run by default; --apply to purge."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Purge what is due.")
        parser.add_argument("--today", help="Compute as of this date (YYYY-MM-DD).")
        parser.add_argument(
            "--upcoming", type=int, default=20, help="Scheduled persons to list (default 20)."
        )

    def handle(self, *args, apply: bool, today: str | None, upcoming: int, **options):
        day = _date(today) if today else None
        result = retention_purge(
            today=day, apply=apply, actor_label=f"command line ({getpass.getuser()})"
        )
        plan = result.plan
        mode = "purge" if apply else "dry run, nothing changed"
        self.stdout.write(f"Retention as of {plan.today.isoformat()} ({mode})")
        for kind, count in plan.present.items():
            self.stdout.write(f"  kept, still present: {kind} {count}")
        due = plan.due
        self.stdout.write(f"Due: {len(due)}")
        for entry in due:
            self.stdout.write(
                f"  {entry.kind} #{entry.person_id}  rule {entry.rule}  "
                f"from {entry.reference.isoformat()}  purge on {entry.purge_on.isoformat()}"
            )
        kept = [e for e in plan.entries if e.purge_on <= plan.today and not e.is_due(plan.today)]
        for entry in kept:
            why = "legal hold" if entry.held else "a child is under a legal hold"
            self.stdout.write(f"  kept: {entry.kind} #{entry.person_id} ({why})")
        later = [e for e in plan.entries if e.purge_on > plan.today]
        self.stdout.write(f"Scheduled later: {len(later)}")
        for entry in later[:upcoming]:
            self.stdout.write(
                f"  {entry.kind} #{entry.person_id}  rule {entry.rule}  "
                f"from {entry.reference.isoformat()}  purge on {entry.purge_on.isoformat()}"
            )
        if result.run is None:
            for rule, count in result.others.items():
                self.stdout.write(f"  {rule}: {count} due")
            return
        self.stdout.write(self.style.SUCCESS(f"Purge run #{result.run.pk} done."))
        for name, count in result.run.counts.items():
            self.stdout.write(f"  {name}: {count}")
