"""City staff's pages: the connected services."""

from django.urls import path

from . import views

app_name = "oidc"

urlpatterns = [
    path("", views.ClientListView.as_view(), name="client-list"),
    path("nouveau/", views.ClientCreateView.as_view(), name="client-create"),
    path("<int:pk>/", views.ClientUpdateView.as_view(), name="client-update"),
    path("<int:pk>/secret/", views.ClientSecretRenewView.as_view(), name="client-secret"),
]
