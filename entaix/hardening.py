"""Request and response rules that hold for every page.

- A NUL byte in the path, the query, a form field or a cookie is a 400: PostgreSQL refuses NUL
  in text, so such a value would otherwise end as a 500 deep in a query.
- Every answer to a logged-in user is `Cache-Control: no-store`: the portal's authenticated
  pages show children, guardians and codes, and no browser or proxy cache keeps a copy.
"""

from django.core.exceptions import BadRequest
from django.utils.cache import patch_cache_control

NUL = "\x00"


def _has_nul(request) -> bool:
    if NUL in request.path:
        return True
    if any(NUL in key or any(NUL in v for v in values) for key, values in request.GET.lists()):
        return True
    if any(NUL in key or NUL in value for key, value in request.COOKIES.items()):
        return True
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return any(
            NUL in key or any(NUL in value for value in values)
            for key, values in request.POST.lists()
        )
    return False


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            raise BadRequest("NUL byte in the request")
        return self.get_response(request)


class NoStoreWhenLoggedInMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
