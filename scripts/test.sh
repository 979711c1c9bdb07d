#!/usr/bin/env bash
# Command 2: everything the suite needs on a fresh machine, then ruff and the whole pytest suite
# against real PostgreSQL and Redis. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: Chromium for the browser tests, OpenSSH's sshd for the SFTP tests,
# gettext for the translation catalogues, npm for axe-core (the accessibility tests).
missing=()
command -v chromium >/dev/null || missing+=(chromium)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v msgfmt >/dev/null || missing+=(gettext)
# gpg, pg_dump and pg_restore for the backup/restore test.
command -v gpg >/dev/null || missing+=(gnupg)
command -v pg_restore >/dev/null || missing+=(postgresql-client)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]}…"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# PostgreSQL and Redis: start them if a fresh machine has them stopped.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "Starting PostgreSQL…"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "Starting Redis…"
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
fi

scripts/venv.sh requirements-dev.txt

# axe-core (pinned in package.json / package-lock.json), injected into Chromium by the a11y tests.
[ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund --silent

export DJANGO_SETTINGS_MODULE=entaix.settings.test
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/entaix}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/15}
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/14}

# The named database itself (pytest makes its own test_ copy; `makemigrations --check` reads it).
if ! psql "$DATABASE_URL" -Atc "SELECT 1" >/dev/null 2>&1; then
  createdb --maintenance-db="${DATABASE_URL%/*}/postgres" "${DATABASE_URL##*/}"
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/hadolint Dockerfile
.venv/bin/python manage.py compilemessages --ignore=.venv -v 0
.venv/bin/python manage.py makemigrations --check --dry-run -v 0
# Types of the services, selectors and scope modules (pyproject.toml [tool.mypy]).
.venv/bin/mypy
# The layering (pyproject.toml, [tool.importlinter]): apps import downward only, deferred
# imports included, and no app imports another's views.
.venv/bin/lint-imports --no-logo
# Two pytest-xdist workers (TEST_WORKERS=N for another count, at most 8; `-n 0` among the extra
# arguments runs in one process): each has its own test database (test_<name>_gw0, _gw1…) and
# its own Redis databases (entaix/settings/test.py: gwK uses REDIS_URL's and CELERY_BROKER_URL's
# DB numbers minus 2K). loadgroup keeps the tests of one xdist_group (a module whose fixture
# builds something expensive once) on one worker.
exec .venv/bin/pytest -n "${TEST_WORKERS:-2}" --dist loadgroup "$@"
