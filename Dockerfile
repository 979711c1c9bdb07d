# Production image: one image for web, worker and beat (scripts/entrypoint.sh picks the role).
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=entaix.settings.production \
    MEDIA_ROOT=/app/media AAF_INBOX_DIR=/var/lib/entaix/inbox
# The folders the volumes are mounted on exist, owned by the app's uid, so that a fresh named
# volume is writable by it (docker copies the mount point's owner into a new volume).
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 entaix \
    && install -d -o 1000 -g 1000 -m 0755 /app /app/media \
    && install -d -o 1000 -g 1000 -m 0700 /var/lib/entaix /var/lib/entaix/inbox /run/secrets/entaix
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Build steps need no secret and no database: the build settings read nothing from the
# environment. Messages are compiled here, once, not at each start.
RUN DJANGO_SETTINGS_MODULE=entaix.settings.build python manage.py collectstatic --noinput -v 0 \
    && DJANGO_SETTINGS_MODULE=entaix.settings.build python manage.py compilemessages --ignore=.venv -v 0
USER 1000:1000
EXPOSE 8000
ENTRYPOINT ["scripts/entrypoint.sh"]
CMD ["web"]
