from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("plan-du-site/", views.sitemap, name="sitemap"),
    path("comptes/", include("accounts.urls")),
    path("", include("accounts.urls_public")),
    path("ecoles/", include("schools.urls")),
    path("imports/", include("imports.urls")),
    path("", include("privacy.urls")),
    # OpenID Connect provider (issue 18): endpoints, and city staff's connected services.
    path("", include("oidc.urls_provider")),
    path("services-connectes/", include("oidc.urls")),
    path("scim/", include("scim.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
