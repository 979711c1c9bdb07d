"""The production settings, and the benchmarks' query counter first in the middleware
(`benchserver.QueryCountMiddleware`: counts only, keeps no query text). Used by the gunicorn
that `benchserver.gunicorn` starts, never deployed."""

from entaix.settings.production import *  # noqa: F403
from entaix.settings.production import MIDDLEWARE

MIDDLEWARE = ["benchserver.QueryCountMiddleware", *MIDDLEWARE]
