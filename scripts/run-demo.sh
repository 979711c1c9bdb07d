#!/usr/bin/env bash
# Command 1: the portal with demo data on SQLite, Celery tasks eager. Nothing else to run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh requirements.txt
export DJANGO_SETTINGS_MODULE=entaix.settings.dev
db=var/demo.sqlite3
mkdir -p var
export DATABASE_URL="sqlite:///$PWD/$db"
# A fresh demo city every time, so the printed passwords are always the valid ones.
rm -f "$db"
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py compilemessages --ignore=.venv -v 0
.venv/bin/python manage.py demo_seed
echo "Portal: http://127.0.0.1:${PORT:-8000}/  (Ctrl-C to stop)"
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}"
