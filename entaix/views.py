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
