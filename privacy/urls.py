"""The privacy app's pages, one namespace `privacy`.

Public (`/donnees-personnelles/`, no login) and the DPO's (`/rgpd/`; rectification tasks also for
directors).
"""

from django.urls import path

from .views import public, rectification, register, requests, retention

app_name = "privacy"

urlpatterns = [
    # Public pages.
    path("donnees-personnelles/", public.PrivacyNoticeView.as_view(), name="notice"),
    path(
        "donnees-personnelles/demande/",
        public.DataRequestCreateView.as_view(),
        name="request-create",
    ),
    path(
        "donnees-personnelles/demande/envoyee/",
        public.DataRequestDoneView.as_view(),
        name="request-done",
    ),
    path(
        "donnees-personnelles/copie/<str:token>/",
        public.ExportDownloadView.as_view(),
        name="export-download",
    ),
    # The DPO's pages.
    path("rgpd/", requests.DataRequestListView.as_view(), name="request-list"),
    path(
        "rgpd/demandes/<int:pk>/", requests.DataRequestDetailView.as_view(), name="request-detail"
    ),
    path(
        "rgpd/demandes/<int:pk>/piece-jointe/",
        requests.AttachmentView.as_view(),
        name="request-attachment",
    ),
    path(
        "rgpd/demandes/<int:pk>/agir/",
        requests.DataRequestActionView.as_view(),
        name="request-action",
    ),
    path("rgpd/copies/<int:pk>/", requests.ExportOpenView.as_view(), name="export-open"),
    path("rgpd/copies/<int:pk>/envoyer/", requests.ExportSendView.as_view(), name="export-send"),
    path(
        "rgpd/rectifications/",
        rectification.RectificationListView.as_view(),
        name="rectification-list",
    ),
    path(
        "rgpd/rectifications/<int:pk>/annuler/",
        rectification.RectificationCancelView.as_view(),
        name="rectification-cancel",
    ),
    path("rgpd/conservation/", retention.RetentionPreviewView.as_view(), name="retention"),
    path("rgpd/gels/", retention.LegalHoldListView.as_view(), name="hold-list"),
    path("rgpd/gels/<int:pk>/lever/", retention.LegalHoldLiftView.as_view(), name="hold-lift"),
    path("rgpd/purges/", retention.PurgeRunListView.as_view(), name="purge-list"),
    path("rgpd/purges/<int:pk>/", retention.PurgeRunDetailView.as_view(), name="purge-detail"),
    path("rgpd/journal/", register.AuditSearchView.as_view(), name="audit"),
    path("rgpd/inventaire/", register.InventoryView.as_view(), name="inventory"),
]
