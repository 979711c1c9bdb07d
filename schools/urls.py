from django.urls import path

from . import views, views_dashboard

app_name = "schools"

urlpatterns = [
    path("", views.SchoolListView.as_view(), name="school-list"),
    path("recherche/", views.PersonSearchView.as_view(), name="person-search"),
    path("eleve/<int:pk>/", views.PersonDetailView.as_view(), {"kind": "eleve"}, name="pupil"),
    path(
        "responsable/<int:pk>/",
        views.PersonDetailView.as_view(),
        {"kind": "responsable"},
        name="guardian",
    ),
    path(
        "personnel/<int:pk>/", views.PersonDetailView.as_view(), {"kind": "personnel"}, name="staff"
    ),
    path("tableau-de-bord/", views_dashboard.DashboardView.as_view(), name="dashboard"),
    path("<str:uai>/", views.SchoolDetailView.as_view(), name="school-detail"),
    path("<str:uai>/ouvrir/", views.SchoolOpenView.as_view(), name="school-open"),
    path("<str:uai>/fermer/", views.SchoolCloseView.as_view(), name="school-close"),
]
