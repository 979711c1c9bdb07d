"""Read-mostly admin for city superusers: the AAF feed owns these rows (fix them in ONDE)."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entaix.common.exceptions import ApplicationError
from imports.services import school_close_reconcile, school_open_reconcile

from . import models

ONDE_HINT = _(
    "These fields come from the Académie's AAF feed and cannot be edited here: correct them in "
    "ONDE (pupils, guardians) or the staff directory; the next import brings the correction."
)


class FeedOwnedAdmin(admin.ModelAdmin):
    """Every field read-only; no add, no delete (imports never hard-delete either)."""

    list_per_page = 50
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # View only: the change page shows the fields and a Close link, no Save button.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "GET":
            messages.info(request, ONDE_HINT)
        return super().changeform_view(request, object_id, form_url, extra_context)


@admin.register(models.School)
class SchoolAdmin(FeedOwnedAdmin):
    list_display = ("uai", "name", "structure_type", "ent_open", "ent_opened_on", "left_at")
    list_filter = ("ent_open", "structure_type")
    search_fields = ("uai", "name")
    actions = ["open_ent", "close_ent"]

    @admin.action(description=_("Open the ENT in the selected schools (today)"))
    def open_ent(self, request, queryset):
        try:
            school_open_reconcile(
                uais=list(queryset.values_list("uai", flat=True)),
                opened_on=timezone.localdate(),
                user=request.user,
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    @admin.action(description=_("Close the ENT in the selected schools (their people leave)"))
    def close_ent(self, request, queryset):
        school_close_reconcile(uais=list(queryset.values_list("uai", flat=True)), user=request.user)


@admin.register(models.SchoolClass)
class SchoolClassAdmin(FeedOwnedAdmin):
    list_display = ("name", "code", "kind", "school", "left_at")
    list_select_related = ("school",)
    list_filter = ("kind",)
    search_fields = ("name", "code", "school__uai")


@admin.register(models.Pupil)
class PupilAdmin(FeedOwnedAdmin):
    list_display = ("join_key", "last_name", "first_name", "school", "level", "left_at")
    list_select_related = ("school",)
    list_filter = ("level",)
    search_fields = ("join_key", "last_name", "first_name")


@admin.register(models.Guardian)
class GuardianAdmin(FeedOwnedAdmin):
    list_display = ("join_key", "last_name", "first_name", "city", "left_at")
    search_fields = ("join_key", "last_name", "first_name")


@admin.register(models.Staff)
class StaffAdmin(FeedOwnedAdmin):
    list_display = ("join_key", "last_name", "first_name", "email", "left_at")
    search_fields = ("join_key", "last_name", "first_name")
