"""What the application's PostgreSQL role cannot do to the audit trail, tried while connected
as that role (made as `make prod` makes it: LOGIN, no superuser, `grant_app_role`)."""

import datetime

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from reviews.engine import workflow
from reviews.models import AuditRecord, SubmittedContent
from reviews.operations.dbroles import grant_app_role
from reviews.operations.retention import purge

from .conftest import own_role
from .factories import CompleteApplicationFactory, UserFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]

INSERT = (
    "INSERT INTO reviews_auditrecord (action, action_label, outcome, from_state, to_state,"
    " username, comment, created_at) VALUES ('submit', '提交', %s, '', '', 'x', %s, %s)"
    " RETURNING id"
)


@pytest.fixture
def app_role():
    """A connection as the application's role, made and granted as deploy/prepare_postgres.py
    does; dropped afterwards."""
    role = own_role("se_app_audit")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {role}")
        cursor.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        grant_app_role(cursor, role)
    params = connection.get_connection_params()
    params = {k: params[k] for k in ("dbname", "host", "port") if params.get(k)}
    app = psycopg2.connect(user=role, **params)
    app.autocommit = True
    try:
        yield app.cursor()
    finally:
        app.close()
        with connection.cursor() as cursor:
            cursor.execute(f"REASSIGN OWNED BY {role} TO CURRENT_USER")
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def outcome(cursor, statement, params=()):
    try:
        cursor.execute(statement, params)
    except psycopg2.Error as exc:
        return exc.pgcode
    return "allowed"


def test_the_application_role_cannot_back_date_an_audit_record(app_role):
    before = timezone.now()
    for claimed in ("2020-01-01T00:00:00+08:00", "2099-12-31T00:00:00+08:00"):
        app_role.execute(INSERT, [AuditRecord.Outcome.values[0], f"claimed {claimed}", claimed])
        pk = app_role.fetchone()[0]
        stored = AuditRecord.objects.get(pk=pk).created_at
        # The database's clock, whatever the role sent.
        assert before - datetime.timedelta(seconds=5) <= stored <= timezone.now()


def test_a_restore_as_the_owner_keeps_the_original_times():
    """The owner (here the superuser the tests run as) is trusted: pg_restore's COPY keeps the
    times of the backup."""
    old = "2024-03-01T09:00:00+08:00"
    with connection.cursor() as cursor:
        cursor.execute(INSERT, [AuditRecord.Outcome.values[0], "restored", old])
        pk = cursor.fetchone()[0]
    assert AuditRecord.objects.get(pk=pk).created_at == datetime.datetime.fromisoformat(old)


def test_submitted_content_is_insert_only_for_the_application_role(app_role, call):
    owner = UserFactory()
    item = CompleteApplicationFactory(call=call, unit=owner.organisation)
    workflow.transition(item, "submit", user=owner)
    content = SubmittedContent.objects.get()
    submitted = content.data
    # Inserting works (what every submission does).
    app_role.execute(INSERT, [AuditRecord.Outcome.values[0], "new", timezone.now()])
    new_record = app_role.fetchone()[0]
    assert (
        outcome(
            app_role,
            "INSERT INTO reviews_submittedcontent (record_id, data) VALUES (%s, '{}')",
            [new_record],
        )
        == "allowed"
    )
    # Rewriting what was submitted is refused: UPDATE (42501: no privilege), DELETE.
    refused = {
        "UPDATE": outcome(
            app_role,
            'UPDATE reviews_submittedcontent SET data = \'{"name": "改过"}\' WHERE record_id = %s',
            [content.pk],
        ),
        "UPDATE purged_at": outcome(
            app_role, "UPDATE reviews_submittedcontent SET purged_at = now()"
        ),
        "DELETE": outcome(app_role, "DELETE FROM reviews_submittedcontent"),
    }
    assert refused == {"UPDATE": "42501", "UPDATE purged_at": "42501", "DELETE": "42501"}
    content.refresh_from_db()
    assert content.data == submitted and content.purged_at is None


def test_the_retention_purge_still_pseudonymises_as_the_owner(call, settings):
    owner = UserFactory()
    item = CompleteApplicationFactory(call=call, unit=owner.organisation)
    workflow.transition(item, "submit", user=owner)
    later = timezone.now() + datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS + 1)
    assert purge(now=later).pseudonymised == 1
    assert SubmittedContent.objects.get().purged_at is not None
