"""pytest-xdist workers share nothing: each worker's cache and broker are Redis databases of its
own (entaix/settings/test.py), derived from REDIS_URL and CELERY_BROKER_URL."""

import os

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from entaix.settings.test import _xdist_worker_db


@pytest.mark.parametrize(
    ("worker", "url", "expected"),
    [
        ("", "redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/15"),
        ("gw0", "redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/15"),
        ("gw1", "redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/13"),
        ("gw1", "redis://127.0.0.1:6379/14", "redis://127.0.0.1:6379/12"),
        ("gw3", "redis://:secret@redis.local:6380/4", "redis://:secret@redis.local:6380/14"),
        ("gw2", "redis://127.0.0.1:6379", "redis://127.0.0.1:6379/12"),
    ],
)
def test_each_worker_gets_the_given_db_minus_twice_its_number(monkeypatch, worker, url, expected):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    assert _xdist_worker_db(url) == expected


def test_more_than_eight_workers_are_refused(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw8")
    with pytest.raises(ImproperlyConfigured, match="At most 8 pytest-xdist workers"):
        _xdist_worker_db("redis://127.0.0.1:6379/15")


def test_this_process_uses_its_workers_databases():
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    assert settings.CACHES["default"]["LOCATION"] == settings.REDIS_URL
    redis_url = _xdist_worker_db(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"))
    broker_url = _xdist_worker_db(os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14"))
    assert (redis_url, broker_url) == (settings.REDIS_URL, settings.CELERY_BROKER_URL)
    # The cache's cache.clear() flushes its whole database: never the broker's.
    assert settings.REDIS_URL != settings.CELERY_BROKER_URL
    if worker == "gw1":
        assert settings.REDIS_URL.rsplit("/", 1)[1] != os.environ["REDIS_URL"].rsplit("/", 1)[1]
