"""URLs of the people outside the feed, under the imports' namespace (imports/urls.py)."""

from django.urls import path

from imports.city import views

urlpatterns = [
    path("personnes/", views.CityPersonListView.as_view(), name="city-person-list"),
    path("personnes/ajouter/", views.CityPersonCreateView.as_view(), name="city-person-create"),
    path(
        "personnes/<int:pk>/modifier/",
        views.CityPersonUpdateView.as_view(),
        name="city-person-edit",
    ),
    path(
        "personnes/import/", views.CityPersonImportUploadView.as_view(), name="city-import-upload"
    ),
    path(
        "personnes/import/<int:pk>/",
        views.CityPersonImportDetailView.as_view(),
        name="city-import",
    ),
    path(
        "personnes/import/<int:pk>/appliquer/",
        views.CityPersonImportApplyView.as_view(),
        name="city-import-apply",
    ),
    path(
        "personnes/import/<int:pk>/abandonner/",
        views.CityPersonImportDiscardView.as_view(),
        name="city-import-discard",
    ),
    path(
        "personnes/import/<int:pk>/constats.csv",
        views.CityPersonImportFindingsCsvView.as_view(),
        name="city-import-findings-csv",
    ),
]
