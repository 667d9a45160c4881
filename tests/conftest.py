import pytest
from django.urls import reverse

from .factories import (
    PASSWORD,
    BureauFactory,
    CallFactory,
    CommissionFactory,
    UnitFactory,
    UserFactory,
)


@pytest.fixture
def call(db):
    return CallFactory()


@pytest.fixture
def unit(db):
    return UnitFactory()


@pytest.fixture
def unit_user(unit):
    return UserFactory(organisation=unit)


@pytest.fixture
def bureau(db):
    return BureauFactory()


@pytest.fixture
def commission(db):
    return CommissionFactory()


@pytest.fixture
def login(client):
    """Log in through the login form, as a person does (and as django-axes watches)."""

    def do(user):
        response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.content.decode()[:500]
        return client

    return do


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production hashing costs ~0.5 s a user; tests create hundreds of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """Uploaded files go to a folder of the test's own, never the project's var/."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture(autouse=True)
def no_required_two_factor(settings):
    """Most tests are about other things than the second login step; tests/test_accounts.py
    and the browser journey turn it on as production has it."""
    settings.REQUIRE_2FA_ROLES = []
