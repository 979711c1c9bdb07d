"""DPO pages under /rgpd/ (city staff; rectification tasks also for directors)."""

from django.urls import path

from . import views

app_name = "gdpr"

urlpatterns = [
    path("", views.DataRequestListView.as_view(), name="request-list"),
    path("demandes/<int:pk>/", views.DataRequestDetailView.as_view(), name="request-detail"),
    path(
        "demandes/<int:pk>/piece-jointe/",
        views.AttachmentView.as_view(),
        name="request-attachment",
    ),
    path("demandes/<int:pk>/agir/", views.DataRequestActionView.as_view(), name="request-action"),
    path("copies/<int:pk>/", views.ExportOpenView.as_view(), name="export-open"),
    path("copies/<int:pk>/envoyer/", views.ExportSendView.as_view(), name="export-send"),
    path("rectifications/", views.RectificationListView.as_view(), name="rectification-list"),
    path(
        "rectifications/<int:pk>/annuler/",
        views.RectificationCancelView.as_view(),
        name="rectification-cancel",
    ),
    path("conservation/", views.RetentionPreviewView.as_view(), name="retention"),
    path("gels/", views.LegalHoldListView.as_view(), name="hold-list"),
    path("gels/<int:pk>/lever/", views.LegalHoldLiftView.as_view(), name="hold-lift"),
    path("purges/", views.PurgeRunListView.as_view(), name="purge-list"),
    path("purges/<int:pk>/", views.PurgeRunDetailView.as_view(), name="purge-detail"),
    path("journal/", views.AuditSearchView.as_view(), name="audit"),
    path("inventaire/", views.InventoryView.as_view(), name="inventory"),
]
