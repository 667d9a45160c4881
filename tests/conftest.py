from contextlib import contextmanager

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.urls import reverse

from reviews.models import RecommenderFiling
from shanghai_experts.models import Call, Organisation

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


#: Production hashing costs ~0.5 s a user; tests create hundreds of users.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


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


def own_role(prefix: str) -> str:
    """A PostgreSQL role name of this test database's own. Roles belong to the cluster, which
    every xdist worker (and any other checkout's run) shares; the test database, test_<name> or
    test_<name>_gw0 under xdist, is each run's and each worker's."""
    return f"{prefix}_{connection.settings_dict['NAME']}"


@contextmanager
def recommenders_filing():
    """While open, every district office and commission records its contact person for every
    call, as in a real call (a precondition of 推荐, reviews.engine.workflow.contact_recorded)."""

    def file(call, org):
        RecommenderFiling.objects.get_or_create(
            call=call,
            organisation=org,
            defaults={
                "contact_name": "李明",
                "office_phone": "021-63588888",
                "mobile": "13812345678",
            },
        )

    def organisation_saved(sender, instance, created, **kwargs):
        if created and instance.kind in Organisation.RECOMMENDER_KINDS:
            for call in Call.objects.all():
                file(call, instance)

    def call_saved(sender, instance, created, **kwargs):
        if created:
            for org in Organisation.objects.filter(kind__in=Organisation.RECOMMENDER_KINDS):
                file(instance, org)

    post_save.connect(organisation_saved, sender=Organisation, dispatch_uid="test-filings-org")
    post_save.connect(call_saved, sender=Call, dispatch_uid="test-filings-call")
    try:
        yield
    finally:
        post_save.disconnect(sender=Organisation, dispatch_uid="test-filings-org")
        post_save.disconnect(sender=Call, dispatch_uid="test-filings-call")


@pytest.fixture(autouse=True)
def recommenders_record_their_contacts():
    """Test data as a real call has it (recommenders_filing). Tests of that precondition
    delete the record first."""
    with recommenders_filing():
        yield
