#!/bin/sh
# The image's entrypoint. Refuses to start, one line per missing variable, without what production
# requires (the README's list); then runs one role: web (migrates first, under a lock, so that two
# replicas don't race), worker, beat, or any other command given.
set -eu

missing=0
for name in DJANGO_SECRET_KEY DJANGO_ALLOWED_HOSTS DATABASE_URL ACTIVATION_CODE_KEYS; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "entaix: the environment variable $name is required and is not set." >&2
    missing=1
  fi
done
if [ "$missing" -ne 0 ]; then
  echo "entaix: refusing to start (see README.md, Configuration)." >&2
  exit 64
fi

role=${1:-web}
[ $# -gt 0 ] && shift
case "$role" in
  web)
    python manage.py migrate_locked -v 1
    # gunicorn's workers share their request metrics through this folder, emptied at each start.
    export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/entaix-metrics}"
    rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    exec gunicorn entaix.wsgi:application --bind 0.0.0.0:8000 --workers "${WEB_WORKERS:-3}" \
      --timeout 60 "$@"
    ;;
  worker) exec celery -A entaix worker --loglevel=INFO "$@" ;;
  beat) exec celery -A entaix beat --loglevel=INFO --schedule /tmp/celerybeat-schedule "$@" ;;
  *) exec "$role" "$@" ;;
esac
