from django import template
from django.utils.translation import gettext_lazy as _

from schools.kinds import RecordKind

register = template.Library()

KIND_LABELS = {
    RecordKind.SCHOOL: _("schools"),
    RecordKind.CLASS: _("classes"),
    RecordKind.PUPIL: _("pupils"),
    RecordKind.GUARDIAN: _("guardians"),
    RecordKind.STAFF: _("staff"),
    RecordKind.LINK: _("guardian links"),
}


@register.filter
def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


@register.filter
def in_plan_order(counts: dict) -> list[tuple[str, object]]:
    """A run's counts per kind as (kind, value) pairs in `RecordKind`'s order (schools first,
    links last): PostgreSQL's jsonb keeps its keys in an order of its own."""
    order = {kind.value: position for position, kind in enumerate(RecordKind)}
    return sorted(counts.items(), key=lambda item: order.get(item[0], len(order)))
