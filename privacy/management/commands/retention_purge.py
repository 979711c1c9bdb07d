import datetime
import getpass

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from privacy.services.retention import retention_purge


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            _("--today expects YYYY-MM-DD, not %(value)s.") % {"value": repr(value)}
        ) from exc


def _entry_line(entry) -> str:
    return _("  %(kind)s #%(id)s  rule %(rule)s  from %(reference)s  purge on %(purge_on)s") % {
        "kind": entry.kind,
        "id": entry.person_id,
        "rule": entry.rule,
        "reference": entry.reference.isoformat(),
        "purge_on": entry.purge_on.isoformat(),
    }


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
            today=day,
            apply=apply,
            actor_label=_("command line (%(user)s)") % {"user": getpass.getuser()},
        )
        plan = result.plan
        mode = _("purge") if apply else _("dry run, nothing changed")
        write = self.stdout.write
        write(
            _("Retention as of %(day)s (%(mode)s)") % {"day": plan.today.isoformat(), "mode": mode}
        )
        for kind, count in plan.present.items():
            write(_("  kept, still present: %(kind)s %(count)s") % {"kind": kind, "count": count})
        due = plan.due
        write(_("Due: %(count)s") % {"count": len(due)})
        for entry in due:
            write(_entry_line(entry))
        kept = [e for e in plan.entries if e.purge_on <= plan.today and not e.is_due(plan.today)]
        for entry in kept:
            why = _("legal hold") if entry.held else _("a child is under a legal hold")
            write(
                _("  kept: %(kind)s #%(id)s (%(why)s)")
                % {"kind": entry.kind, "id": entry.person_id, "why": why}
            )
        later = [e for e in plan.entries if e.purge_on > plan.today]
        write(_("Scheduled later: %(count)s") % {"count": len(later)})
        for entry in later[:upcoming]:
            write(_entry_line(entry))
        if result.run is None:
            for rule, count in result.others.items():
                write(_("  %(rule)s: %(count)s due") % {"rule": rule, "count": count})
            return
        write(self.style.SUCCESS(_("Purge run #%(id)s done.") % {"id": result.run.pk}))
        for name, count in result.run.counts.items():
            write(f"  {name}: {count}")
