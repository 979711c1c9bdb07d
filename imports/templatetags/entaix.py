from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

KIND_LABELS = {
    "schools": _("schools"),
    "classes": _("classes"),
    "pupils": _("pupils"),
    "guardians": _("guardians"),
    "staff": _("staff"),
    "links": _("guardian links"),
}


@register.filter
def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)
