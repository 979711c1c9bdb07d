from django.urls import path

from . import views

app_name = "schools"

urlpatterns = [
    path("", views.SchoolListView.as_view(), name="school-list"),
    path("<str:uai>/", views.SchoolDetailView.as_view(), name="school-detail"),
]
