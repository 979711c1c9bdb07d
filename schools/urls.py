from django.urls import path

from schools.kinds import PERSON_URL_SLUGS

from . import views, views_dashboard

app_name = "schools"

urlpatterns = [
    path("", views.SchoolListView.as_view(), name="school-list"),
    path("recherche/", views.PersonSearchView.as_view(), name="person-search"),
    # One page per kind of person, at its French word (eleve/12/), named by its kind ("pupil").
    *(
        path(f"{slug}/<int:pk>/", views.PersonDetailView.as_view(), {"kind": kind}, name=kind.value)
        for kind, slug in PERSON_URL_SLUGS.items()
    ),
    path("tableau-de-bord/", views_dashboard.DashboardView.as_view(), name="dashboard"),
    path("<str:uai>/", views.SchoolDetailView.as_view(), name="school-detail"),
    path("<str:uai>/ouvrir/", views.SchoolOpenView.as_view(), name="school-open"),
    path("<str:uai>/fermer/", views.SchoolCloseView.as_view(), name="school-close"),
]
