"""docker-compose.yml cannot run here (no Docker engine): check what it declares instead."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


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
    assert "gunicorn entaix.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A entaix worker")
    assert services["beat"]["command"].startswith("celery -A entaix beat")
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "entaix.settings.production"
        assert env["DATABASE_URL"].startswith("postgres://entaix:")
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }


def test_data_lives_in_named_volumes(compose):
    assert set(compose["volumes"]) == {"postgres_data", "redis_data", "aaf_inbox", "media"}
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
