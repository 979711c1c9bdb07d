"""Public data-protection pages under /donnees-personnelles/ (no login needed)."""

from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("", views.PrivacyNoticeView.as_view(), name="notice"),
    path("demande/", views.DataRequestCreateView.as_view(), name="request-create"),
    path("demande/envoyee/", views.DataRequestDoneView.as_view(), name="request-done"),
    path("copie/<str:token>/", views.ExportDownloadView.as_view(), name="export-download"),
]
