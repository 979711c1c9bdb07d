from django.urls import path

from imports.city import urls as city_urls

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.ImportRunListView.as_view(), name="run-list"),
    path("recuperer/", views.FetchNowView.as_view(), name="fetch-now"),
    path("<int:pk>/", views.ImportRunDetailView.as_view(), name="run-detail"),
    path("<int:pk>/approuver/", views.ImportRunApproveView.as_view(), name="run-approve"),
    path("<int:pk>/reprendre/", views.ImportRunResumeView.as_view(), name="run-resume"),
    path("<int:pk>/abandonner/", views.ImportRunDiscardView.as_view(), name="run-discard"),
    path("<int:pk>/problemes.csv", views.ImportProblemsCsvView.as_view(), name="run-problems-csv"),
    path("<int:pk>/ecole/<str:uai>/", views.SchoolImportReportView.as_view(), name="school-report"),
    path(
        "<int:pk>/ecole/<str:uai>/problemes.csv",
        views.ImportProblemsCsvView.as_view(),
        name="school-problems-csv",
    ),
]
# People outside the feed (imports/city).
urlpatterns += city_urls.urlpatterns
