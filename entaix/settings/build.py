"""Image build settings: collectstatic and compilemessages read no secret and no database.

The static files land where production serves them from (STATIC_ROOT and the manifest storage
come from base), so the image needs no runtime secret to be built.
"""

from .base import *  # noqa: F403

SECRET_KEY = "image-build-only-never-used-at-runtime"  # noqa: S105 (not a secret: build only)
DATABASES: dict = {}
