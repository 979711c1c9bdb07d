"""docker-compose.yml cannot run here (no Docker engine): check what it declares instead."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_declares_the_five_services_with_health_checks(compose):
    assert set(compose["services"]) == {"web", "worker", "beat", "postgres", "redis"}
    for name, service in compose["services"].items():
        assert "healthcheck" in service, name
        assert service["restart"] == "unless-stopped", name


def test_app_services_run_the_right_processes(compose):
    services = compose["services"]
    # Roles of scripts/entrypoint.sh, which runs gunicorn, celery worker and celery beat.
    assert services["web"]["command"] == ["web"]
    assert services["worker"]["command"] == ["worker", "--concurrency=2"]
    assert services["beat"]["command"] == ["beat"]
    entrypoint = (ROOT / "scripts" / "entrypoint.sh").read_text()
    assert "python manage.py migrate_locked" in entrypoint
    assert "exec gunicorn entaix.wsgi:application" in entrypoint
    assert "worker) exec celery -A entaix worker" in entrypoint
    assert "beat) exec celery -A entaix beat" in entrypoint
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "entaix.settings.production"
        assert env["DATABASE_URL"].startswith("postgres://entaix:")
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }


def test_data_lives_in_named_volumes(compose):
    assert set(compose["volumes"]) == {
        "postgres_data",
        "redis_data",
        "aaf_inbox",
        "media",
        "secrets",
    }
    assert "postgres_data:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]


def test_env_example_provides_what_production_settings_require(compose):
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    provided = set(example) | set(compose["services"]["web"]["environment"])
    assert {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"} <= provided
    # Every ${VAR} the compose file interpolates is in the example.
    interpolated = set(re.findall(r"\$\{(\w+)", (ROOT / "docker-compose.yml").read_text()))
    assert interpolated == {"POSTGRES_PASSWORD"}
    assert interpolated <= set(example)


def test_readme_documents_every_variable_of_env_example():
    readme = (ROOT / "README.md").read_text()
    names = [
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert [n for n in names if f"`{n}`" not in readme] == []


def test_healthz_answers_without_host_or_https(client, db, settings):
    settings.ALLOWED_HOSTS = ["ent.example.fr"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="localhost")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


ENTRYPOINT = ROOT / "scripts" / "entrypoint.sh"
REQUIRED = ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "ACTIVATION_CODE_KEYS"]


def test_entrypoint_refuses_to_start_with_one_line_per_missing_variable():
    done = subprocess.run(
        [str(ENTRYPOINT), "touch", "started"],
        cwd=ROOT, env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgres://x@db/entaix"},
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 64
    assert done.stderr.splitlines() == [
        "entaix: the environment variable DJANGO_SECRET_KEY is required and is not set.",
        "entaix: the environment variable DJANGO_ALLOWED_HOSTS is required and is not set.",
        "entaix: the environment variable ACTIVATION_CODE_KEYS is required and is not set.",
        "entaix: refusing to start (see README.md, Configuration).",
    ]
    assert not (ROOT / "started").exists()


def test_entrypoint_checks_what_the_readme_lists_and_runs_the_command(tmp_path):
    from entaix.tests.deploy.test_image import readme_production_variables

    assert readme_production_variables() == REQUIRED
    done = subprocess.run(
        [str(ENTRYPOINT), "touch", str(tmp_path / "started")],
        cwd=ROOT, env={"PATH": "/usr/bin:/bin", **dict.fromkeys(REQUIRED, "set")},
        capture_output=True, text=True,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    assert (tmp_path / "started").exists()


def test_dockerfile_creates_every_mount_point_for_the_app_user(compose):
    dockerfile = (ROOT / "Dockerfile").read_text()
    created = re.search(r"install -d -o 1000 -g 1000 -m 0755 ([^\\\n]+)", dockerfile).group(1)
    private = re.search(r"install -d -o 1000 -g 1000 -m 0700 ([^\\\n]+)", dockerfile).group(1)
    targets = {v.split(":")[1] for v in compose["x-app"]["volumes"]}
    assert targets == {"/var/lib/entaix/inbox", "/app/media", "/run/secrets/entaix"}
    assert targets <= set(created.split()) | set(private.split())
    assert "USER 1000:1000" in dockerfile
    # Nothing the app writes to is mounted read-only (sftp_keygen writes the city's key there).
    assert [v for v in compose["x-app"]["volumes"] if v.endswith(":ro")] == []


@pytest.mark.django_db(transaction=True)
def test_migrate_locked_waits_for_a_replica_holding_the_lock():
    from django.db import connection

    from schools.management.commands.migrate_locked import MIGRATE_LOCK

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK])
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "entaix.settings.test",
        "DATABASE_URL": "postgres://{}@{}:{}/{}".format(
            settings["USER"], settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432,
            settings["NAME"],
        ),
    }  # fmt: skip
    replica = subprocess.Popen(
        [sys.executable, "manage.py", "migrate_locked", "-v", "1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        waiting = False
        for _ in range(300):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                )
                waiting = cursor.fetchone()[0] == 1
            if waiting or replica.poll() is not None:
                break
            time.sleep(0.1)
        assert waiting  # the second replica waits instead of migrating alongside
        assert replica.poll() is None
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK])
    out, err = replica.communicate(timeout=120)
    assert replica.returncode == 0, err
    assert "No migrations to apply." in out


def test_every_make_target_has_a_recipe():
    makefile = (ROOT / "Makefile").read_text()
    targets = re.search(r"^\.PHONY: (.+)$", makefile, re.M).group(1).split()
    assert "bench" in targets
    for target in targets:
        done = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, target
        assert "Nothing to be done" not in done.stdout + done.stderr, target
        assert done.stdout.strip(), target
    dry = subprocess.run(["make", "-n", "bench"], cwd=ROOT, capture_output=True, text=True).stdout
    assert ".venv/bin/python bench/import_bench.py --schools 40" in dry
