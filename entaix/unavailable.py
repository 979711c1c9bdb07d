"""A service the page needs is unreachable: a translated 503 page, never a 500, and city staff
are told (banner).

Which page degrades how is written in the README ("Faults"): the public forms whose abuse the
rate limits hold back (activation, forgotten password, data request) fail closed here; the login
keeps working (its per-login lockout lives in the database).
"""

from django.shortcuts import render
from kombu.exceptions import OperationalError as BrokerError

from entaix.common.cache import CacheUnavailable
from entaix.common.outage import outage_report

RETRY_AFTER_SECONDS = 60


class ServiceUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, CacheUnavailable):
            broker = False  # already reported by the cache
        elif isinstance(exception, BrokerError):
            broker = True
            outage_report("broker", exception)
        else:
            return None
        response = render(request, "503.html", {"broker": broker}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
