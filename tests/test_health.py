"""/healthz, and every page with Redis away (the cache tolerant, sessions in the database)."""

import time

import pytest
from django.core.cache import caches
from django.urls import reverse

from .factories import UnitFactory, UserFactory

CLOSED = "redis://127.0.0.1:9/0"  # nothing listens there
REDIS = "redis://127.0.0.1:6379/14"


def checks(client):
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started
    words = dict(line.split() for line in response.content.decode().splitlines())
    return response.status_code, words, elapsed


@pytest.mark.django_db
def test_healthz_needs_no_login_and_shows_one_word_per_check(client, settings):
    assert reverse("healthz") == "/healthz"
    status, words, _ = checks(client)
    assert status == 200 and words == {"database": "ok", "redis": "off", "storage": "ok"}
    settings.REDIS_URL = REDIS
    assert checks(client)[1]["redis"] == "ok"


@pytest.mark.django_db
def test_healthz_reports_redis_away_within_a_second_and_stays_200(client, settings):
    settings.REDIS_URL = CLOSED
    status, words, elapsed = checks(client)
    assert status == 200 and words["redis"] == "down" and elapsed < 1.0


@pytest.mark.django_db
@pytest.mark.filesystem_storage
def test_healthz_is_503_when_the_private_files_cannot_be_written(client, settings, tmp_path):
    # Before the first file the folder need not exist (make run's first minutes)…
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "not-yet" / "private"
    assert checks(client)[1]["storage"] == "ok"
    # …but where no folder can be made (a file where the volume should be mounted) it is down.
    (tmp_path / "volume").write_text("not a folder")
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "volume" / "private"
    status, words, _ = checks(client)
    assert status == 503 and words["storage"] == "down" and words["database"] == "ok"


@pytest.fixture
def redis_away(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "shanghai_experts.cache.TolerantRedisCache",
            "LOCATION": CLOSED,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    # (Django's test signals give the cache handler the new setting.)
    yield
    assert caches["default"].get("anything") is None  # it really was the tolerant one, away


@pytest.mark.django_db
def test_with_redis_away_a_user_logs_in_and_every_page_answers(client, call, redis_away):
    user = UserFactory(organisation=UnitFactory(), username="甲", password="Pw-123456789")
    user.set_password("Pw-123456789")
    user.save()
    response = client.post(reverse("login"), {"username": "甲", "password": "Pw-123456789"})
    assert response.status_code == 302
    for name in ("home", "notice", "jobs:list", "my_organisation"):
        assert client.get(reverse(name)).status_code == 200, name
    # The session is the database's: it survives, and so does the user's login.
    assert client.get(reverse("home")).context["user"] == user
