from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.scope import Role, scope_for_user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    if scope.is_city or Role.DIRECTOR in scope.roles or Role.TEACHER in scope.roles:
        return redirect("schools:school-list")
    return render(request, "home.html")


def accessibility(request: HttpRequest) -> HttpResponse:
    """The RGAA accessibility statement, public and linked from every page's footer."""
    return render(
        request,
        "accessibility.html",
        {"contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL},
    )


def sitemap(request: HttpRequest) -> HttpResponse:
    """The site map: the public pages, then the person's own menu (`nav_items`)."""
    return render(request, "sitemap.html")
