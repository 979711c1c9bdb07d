from django.contrib import admin

from . import models


class ReadOnlyAdmin(admin.ModelAdmin):
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "feed_date", "mode", "status", "trigger", "created_at", "applied_at")
    list_filter = ("status", "mode", "trigger")


@admin.register(models.FetchAttempt)
class FetchAttemptAdmin(ReadOnlyAdmin):
    list_display = ("id", "status", "trigger", "code", "created_at", "finished_at")
    list_filter = ("status",)


@admin.register(models.DeliveryAlert)
class DeliveryAlertAdmin(ReadOnlyAdmin):
    list_display = ("date", "code", "emailed_at", "resolved_at")
