from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from . import views_clients


class _Lazy:
    """The SCIM views, imported at their first request: scim2-models (pydantic building its
    schemas, about a second) stays out of every other process's start and first page."""

    def __getattr__(self, name):
        def view(request, *args, **kwargs):
            from . import views as loaded

            return getattr(loaded, name).as_view()(request, *args, **kwargs)

        return type("LazyView", (), {"as_view": staticmethod(lambda: csrf_exempt(view))})


views = _Lazy()

app_name = "scim"

urlpatterns = [
    path("v2/Users", views.UserListView.as_view(), name="users"),
    path("v2/Users/<str:resource_id>", views.UserDetailView.as_view(), name="user"),
    path("v2/Groups", views.GroupListView.as_view(), name="groups"),
    path("v2/Groups/<str:resource_id>", views.GroupDetailView.as_view(), name="group"),
    path(
        "v2/ServiceProviderConfig",
        views.ServiceProviderConfigView.as_view(),
        name="service-provider-config",
    ),
    path("v2/ResourceTypes", views.ResourceTypeListView.as_view(), name="resource-types"),
    path(
        "v2/ResourceTypes/<str:resource_id>",
        views.ResourceTypeListView.as_view(),
        name="resource-type",
    ),
    path("v2/Schemas", views.SchemaListView.as_view(), name="schemas"),
    path("v2/Schemas/<str:resource_id>", views.SchemaListView.as_view(), name="schema"),
    re_path(r"^v2/(?P<rest>.*)$", views.NotFoundView.as_view(), name="not-found"),
    path("clients/", views_clients.ScimClientListView.as_view(), name="client-list"),
    path("clients/<int:pk>/", views_clients.ScimClientDetailView.as_view(), name="client-detail"),
    path(
        "clients/<int:pk>/jeton/",
        views_clients.ScimClientTokenRenewView.as_view(),
        name="client-token-renew",
    ),
]
