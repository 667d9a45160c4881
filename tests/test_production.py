"""A production start touches no data; the first administrator; notices through an outbox;
retention; the database roles."""

import datetime
import io
import os
import re
import subprocess
import sys
from smtplib import SMTPRecipientsRefused

import psycopg2
import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from records import outbox
from reviews.documents import printing
from reviews.engine import workflow
from reviews.models import AuditRecord, OutboundMail, RenderedPdf, SubmittedContent
from reviews.operations.dbroles import grant_app_role
from reviews.operations.retention import PSEUDONYM, purge, retention_cutoff
from shanghai_experts.models import Call, User

from .conftest import own_role
from .factories import BureauFactory, CompleteApplicationFactory, UnitFactory, UserFactory

# --- a production start ---------------------------------------------------------------------


@pytest.mark.django_db
def test_load_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="拒绝载入演示数据"):
        call_command("load_demo", stdout=io.StringIO())
    assert not User.objects.filter(username="admin").exists()
    assert not Call.objects.exists()
    call_command("load_demo", "--demo-on-production", stdout=io.StringIO())
    assert Call.objects.count() == 1


def test_make_prod_never_loads_demo_data():
    """`make prod` migrates (as the owner), collects static files and serves (gunicorn, a Celery
    worker and beat: deploy/prod.sh): its recipe, as make would run it, names no demo data."""
    recipe = subprocess.run(
        ["make", "-n", "prod", "VENV=.venv"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": "postgres://app@127.0.0.1:5432/real_call"},
    ).stdout
    assert "prepare_postgres.py" in recipe and "deploy/prod.sh" in recipe
    assert "load_demo" not in recipe
    assert "real_call" in recipe  # the database DATABASE_URL names, not a fixed one


@pytest.mark.django_db
def test_the_first_administrator_comes_once_and_must_change_the_password(client, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "Qx7#mountain-river")
    call_command("createadmin", "--username", "sysadmin", stdout=io.StringIO())
    admin = User.objects.get(username="sysadmin")
    assert admin.is_superuser and admin.must_change_password
    with pytest.raises(CommandError, match="已存在系统管理员"):
        call_command("createadmin", "--username", "other", stdout=io.StringIO())

    client.post(reverse("login"), {"username": "sysadmin", "password": "Qx7#mountain-river"})
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    assert client.get("/admin/").status_code == 302
    page = client.get(reverse("password_change")).content.decode()
    assert "当前密码由管理员设置" in page
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "Qx7#mountain-river",
            "new_password1": "Lantern$9harbour",
            "new_password2": "Lantern$9harbour",
        },
    )
    assert response.status_code == 302
    admin.refresh_from_db()
    assert not admin.must_change_password
    assert client.get(reverse("home")).status_code == 200
    assert AuditRecord.objects.filter(action="password_change", actor=admin).exists()


@pytest.mark.django_db
def test_createadmin_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "admin123")
    with pytest.raises(CommandError, match="密码不符合要求"):
        call_command("createadmin", stdout=io.StringIO())
    assert not User.objects.exists()


# --- notices through an outbox ------------------------------------------------------------------


def submit(call):
    unit = UnitFactory()
    owner = UserFactory(organisation=unit)
    UserFactory(organisation=unit.district, email="district@example.org")
    return workflow.transition(
        CompleteApplicationFactory(call=call, unit=unit), "submit", user=owner
    )


@pytest.mark.django_db
def test_a_notice_is_written_with_the_transition_and_sent_after_commit(
    call, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        app = submit(call)
    # The unit's account, the form's contact and the district: one notice each.
    queued = list(OutboundMail.objects.all())
    assert len(queued) == 3 and all(q.sent_at and q.attempts == 1 for q in queued)
    assert len(mail.outbox) == 3 and all(app.reference in m.body for m in mail.outbox)
    assert ["district@example.org"] in [m.to for m in mail.outbox]


def addresses_in(message) -> set[str]:
    """Every address a recipient can read in the message as it goes over the wire."""
    text = message.message().as_string()
    return {word.strip("<>,;") for word in text.split() if "@example.org" in word}


@pytest.mark.django_db
def test_each_recipient_gets_a_message_of_their_own(call, django_capture_on_commit_callbacks):
    """A unit and its recommender (and two colleagues) never learn each other's address."""
    unit = UnitFactory()
    owner = UserFactory(organisation=unit, email="unit@example.org")
    UserFactory(organisation=unit, email="colleague@example.org")
    UserFactory(organisation=unit.district, email="district@example.org")
    item = CompleteApplicationFactory(call=call, unit=unit, email="contact@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.transition(item, "submit", user=owner)
    expected = {
        "unit@example.org",
        "colleague@example.org",
        "district@example.org",
        "contact@example.org",
    }
    assert sorted(a for m in mail.outbox for a in m.to) == sorted(expected)
    for message in mail.outbox:
        assert len(message.to) == 1 and not message.cc and not message.bcc
        assert addresses_in(message) == set(message.to)
    # The outbox the bureau reads says the same: one address a row, each sent once.
    rows = OutboundMail.objects.all()
    assert sorted(a for row in rows for a in row.recipients) == sorted(expected)
    assert all(len(row.recipients) == 1 and row.sent_at for row in rows)


class RefusingOneAddress(BaseEmailBackend):
    """A mail server that refuses one address (a full mailbox) and takes the others."""

    refused = "district@example.org"

    def send_messages(self, messages):
        for message in messages:
            if self.refused in message.to:
                raise SMTPRecipientsRefused({self.refused: (552, b"mailbox full")})
            mail.outbox.append(message)
        return len(messages)


@pytest.mark.django_db
def test_one_refused_address_delays_nobody_else(call, settings):
    submit(call)  # queued; its on_commit hook never ran
    settings.EMAIL_BACKEND = "tests.test_production.RefusingOneAddress"
    assert outbox.send_due() == (2, 1)
    assert "district@example.org" not in [a for m in mail.outbox for a in m.to]
    waiting = OutboundMail.objects.get(sent_at__isnull=True)
    assert waiting.recipients == ["district@example.org"] and "SMTPRecipientsRefused" in (
        waiting.last_error
    )
    # Later the mailbox has room: only the waiting one is sent, nobody gets a second copy.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = waiting.next_attempt_at + datetime.timedelta(seconds=1)
    assert outbox.send_due(now=later) == (1, 0)
    assert sorted(a for m in mail.outbox for a in m.to).count("district@example.org") == 1
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_a_refused_transition_queues_no_notice(call):
    unit = UnitFactory()
    app = CompleteApplicationFactory(call=call, unit=unit, name="")
    with pytest.raises(workflow.WorkflowError):
        workflow.transition(app, "submit", user=UserFactory(organisation=unit))
    assert OutboundMail.objects.count() == 0


@pytest.mark.django_db
def test_a_failing_notice_is_retried_with_backoff_and_shown_to_the_bureau(
    call, settings, client, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        app = submit(call)
    # Three recipients, three notices, each failing on its own.
    assert OutboundMail.objects.filter(sent_at=None, attempts=1).count() == 3
    queued = OutboundMail.objects.order_by("id").first()
    assert queued.sent_at is None and queued.attempts == 1
    assert "SMTPServerDisconnected" in queued.last_error
    first_wait = queued.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=50) < first_wait <= datetime.timedelta(seconds=60)

    # Not due yet: cron sends nothing.
    assert outbox.send_due() == (0, 0)
    # Due twice more, failing each time, each wait longer than the last.
    for expected_attempts in (2, 3):
        later = queued.next_attempt_at + datetime.timedelta(seconds=1)
        assert outbox.send_due(now=later) == (0, 3)
        previous_wait = queued.next_attempt_at
        queued.refresh_from_db()
        assert queued.attempts == expected_attempts
        assert queued.next_attempt_at - timezone.now() > previous_wait - timezone.now()
    # Neither the body nor the recipients reach the log.
    assert app.reference not in caplog.text and "example.org" not in caplog.text

    client.force_login(UserFactory(organisation=BureauFactory()))
    page = client.get(reverse("reviews:failing_mail")).content.decode()
    assert queued.subject in page and "SMTPServerDisconnected" in page

    # The mail server is back: the next run sends it, once.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = queued.next_attempt_at + datetime.timedelta(seconds=1)
    assert outbox.send_due(now=later) == (3, 0)
    assert outbox.send_due(now=later) == (0, 0)
    assert len(mail.outbox) == 3
    assert queued.subject not in client.get(reverse("reviews:failing_mail")).content.decode()


@pytest.mark.django_db
def test_a_password_reset_during_a_mail_outage_is_sent_once_the_server_is_back(
    client, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    UserFactory(username="known", email="known@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "known@example.org"})
    assert response.status_code == 302 and mail.outbox == []
    waiting = OutboundMail.objects.get()
    assert waiting.recipients == ["known@example.org"] and waiting.sent_at is None
    assert "重设密码" in waiting.subject and "SMTPServerDisconnected" in waiting.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = waiting.next_attempt_at + datetime.timedelta(seconds=1)
    assert outbox.send_due(now=later) == (1, 0)
    assert mail.outbox[0].to == ["known@example.org"]
    link = re.search(r"https?://\S+(/accounts/password/reset/\S+/)", mail.outbox[0].body)[1]
    assert "新密码" in client.get(link, follow=True).content.decode()


@pytest.mark.django_db
def test_send_notices_command_sends_what_is_due(call, django_capture_on_commit_callbacks):
    submit(call)  # its on_commit hook never ran: the notice waits in the outbox
    out = io.StringIO()
    call_command("send_notices", stdout=out)
    assert "已发送 3 封" in out.getvalue() and len(mail.outbox) == 3


# --- retention ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_purge_clears_sessions_and_old_login_failures_and_pseudonymises_old_content(call):
    app = submit(call)
    record = AuditRecord.objects.get(action="submit")
    content = record.content
    assert content.data["mobile"] == app.mobile
    Session.objects.create(
        session_key="old", session_data="", expire_date=timezone.now() - datetime.timedelta(1)
    )
    Session.objects.create(
        session_key="new", session_data="", expire_date=timezone.now() + datetime.timedelta(1)
    )
    AccessAttempt.objects.create(
        username="x", ip_address="10.0.0.1", failures_since_start=1, get_data="", post_data=""
    )
    AccessAttempt.objects.filter(username="x").update(
        attempt_time=timezone.now() - datetime.timedelta(hours=2)
    )

    # Within the retention period: nothing of the submitted content changes.
    report = purge()
    assert (report.sessions, report.login_attempts, report.pseudonymised) == (1, 1, 0)
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]

    printing.form_pdf(app)
    assert RenderedPdf.objects.count() == 1
    later = record.created_at + datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS + 1)
    report = purge(now=later)
    assert report.pseudonymised == 1 and report.stored_pdfs == 1
    assert RenderedPdf.objects.count() == 0
    content = SubmittedContent.objects.get(pk=record.pk)
    assert content.purged_at == later
    assert content.data["mobile"] == PSEUDONYM and content.data["contact_name"] == PSEUDONYM
    assert {e["name"] for e in content.data["experts"]} == {PSEUDONYM}
    assert content.data["name"] == app.name  # not personal: kept for the history
    # The record itself is untouched, and the purge is itself audited; a second run does nothing.
    assert AuditRecord.objects.get(pk=record.pk).actor_id == record.actor_id
    assert AuditRecord.objects.filter(action="purge").count() == 1
    assert purge(now=later).pseudonymised == 0
    assert AuditRecord.objects.filter(action="purge").count() == 1


def test_retention_below_the_minimum_is_not_applied(settings):
    settings.AUDIT_RETENTION_DAYS = 10
    now = timezone.now()
    assert now - retention_cutoff(now) == datetime.timedelta(days=190)


# --- the database roles ------------------------------------------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database roles are PostgreSQL's"
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_application_role_cannot_rewrite_the_audit_trail(call):
    submit(call)
    record = AuditRecord.objects.get(action="submit")
    role = own_role("se_app")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {role}")
        cursor.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER")
        grant_app_role(cursor, role)
    params = connection.get_connection_params()
    params = {k: params[k] for k in ("dbname", "host", "port") if params.get(k)}
    app = psycopg2.connect(user=role, **params)
    try:
        app.autocommit = True
        with app.cursor() as cursor:
            # What the application does all day still works.
            cursor.execute("SELECT count(*) FROM reviews_auditrecord")
            cursor.execute("UPDATE applications_application SET name = name WHERE id > 0")
            refused = {
                "UPDATE": f"UPDATE reviews_auditrecord SET comment = 'x' WHERE id = {record.pk}",
                "DELETE": f"DELETE FROM reviews_auditrecord WHERE id = {record.pk}",
                "TRUNCATE": "TRUNCATE reviews_auditrecord CASCADE",
                "DISABLE TRIGGER": "ALTER TABLE reviews_auditrecord DISABLE TRIGGER ALL",
                "replication role": "SET session_replication_role = replica",
                "content DELETE": "DELETE FROM reviews_submittedcontent",
                "content TRUNCATE": "TRUNCATE reviews_submittedcontent",
            }
            outcomes = {}
            for name, statement in refused.items():
                try:
                    cursor.execute(statement)
                    outcomes[name] = "allowed"
                except psycopg2.Error as exc:
                    outcomes[name] = exc.pgcode
        assert all(code not in (None, "allowed") for code in outcomes.values()), outcomes
        assert AuditRecord.objects.filter(pk=record.pk, comment=record.comment).exists()
    finally:
        app.close()
        with connection.cursor() as cursor:
            cursor.execute(f"REASSIGN OWNED BY {role} TO CURRENT_USER")
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_statement_level_trigger_refuses_truncate_by_the_owner(call):
    """Even the role that owns the table cannot empty the audit trail by TRUNCATE."""
    role = own_role("se_owner")
    params = connection.get_connection_params()
    params = {k: params[k] for k in ("dbname", "host", "port") if params.get(k)}
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {role}")
        cursor.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        cursor.execute(f"GRANT TRUNCATE ON reviews_auditrecord, reviews_submittedcontent TO {role}")
    owner = psycopg2.connect(user=role, **params)
    try:
        owner.autocommit = True
        with owner.cursor() as cursor, pytest.raises(psycopg2.Error, match="append-only"):
            cursor.execute("TRUNCATE reviews_auditrecord CASCADE")
    finally:
        owner.close()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def test_prepare_postgres_refuses_the_owner_as_the_application_role():
    result = subprocess.run(
        [sys.executable, "deploy/prepare_postgres.py"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": "postgres://same@127.0.0.1:5432/x",
            "OWNER_DATABASE_URL": "postgres://same@127.0.0.1:5432/y",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "须指向同一个数据库" in result.stderr
