"""单位注册 and 重发激活邮件 are limited per client address (and the resend per account), and
the limits hold when the requests arrive together (issue 24: 15 simultaneous sign-ups from one
address created 9 accounts where the limit is 5 an hour; 20 of 20 resends were queued).

The concurrent tests run 16 threads against PostgreSQL (DATABASE_URL=postgres://…); SQLite
serialises writers and cannot show the race."""

import os
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from reviews.models import AuditRecord, OutboundMail
from shanghai_experts.models import Organisation, User

from .factories import DistrictFactory, UnitFactory, UserFactory, make_uscc
from .test_accounts import NEW_PASSWORD, registration

THREADS = 16
on_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="a race needs PostgreSQL (DATABASE_URL)",
)


def together(work, count=THREADS) -> list:
    """Run work(n) in `count` threads released at the same moment; their results in order."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(n):
        try:
            barrier.wait()
            results[n] = work(n)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_sixteen_sign_ups_at_once_from_one_address_create_five(settings):
    settings.REGISTRATIONS_PER_HOUR = 5
    district = DistrictFactory()

    def sign_up(n):
        data = registration(
            district,
            name=f"上海市并发测试单位{n}",
            uscc=make_uscc(5000 + n),
            username=f"racer{n}",
            email=f"racer{n}@example.org",
        )
        return Client().post(reverse("accounts:register"), data, REMOTE_ADDR="10.44.0.1")

    responses = together(sign_up)
    created = [r for r in responses if r.status_code == 302]
    refused = [r for r in responses if "注册次数过多" in r.content.decode()]
    assert len(created) == 5 and len(refused) == THREADS - 5
    assert Organisation.objects.filter(name__startswith="上海市并发测试单位").count() == 5
    assert User.objects.filter(username__startswith="racer").count() == 5
    # Another address is not limited by this one.
    other = Client().post(
        reverse("accounts:register"),
        registration(district, uscc=make_uscc(5999), username="elsewhere"),
        REMOTE_ADDR="10.44.0.2",
    )
    assert other.status_code == 302


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_one_code_registered_at_once_from_many_addresses_makes_one_unit(settings):
    """The same 统一社会信用代码 sent 16 times at once from 16 addresses: one unit, and every
    other sender is told the code is registered (no server error)."""
    district = DistrictFactory()
    code = make_uscc(6100)

    def sign_up(n):
        data = registration(
            district,
            name=f"上海市同码单位{n}",
            uscc=code,
            username=f"same{n}",
            email=f"same{n}@example.org",
        )
        return Client().post(reverse("accounts:register"), data, REMOTE_ADDR=f"10.45.0.{n}")

    responses = together(sign_up)
    assert sorted(r.status_code for r in responses) == [200] * (THREADS - 1) + [302]
    refused = [r.content.decode() for r in responses if r.status_code == 200]
    assert all("该统一社会信用代码已经注册" in html for html in refused)
    assert Organisation.objects.filter(uscc=code).count() == 1


@pytest.fixture
def waiting_account(client):
    """A unit that registered and has not yet opened its activation link (logged in)."""
    district = DistrictFactory()
    client.post(reverse("accounts:register"), registration(district), REMOTE_ADDR="10.3.3.3")
    return User.objects.get(username="moumou")


def activation_mails(address: str) -> int:
    return sum(
        1
        for m in OutboundMail.objects.filter(subject__contains="账号激活")
        if address in m.recipients
    )


@pytest.mark.django_db
def test_resending_the_activation_mail_is_limited_per_account(client, waiting_account, settings):
    settings.ACTIVATION_RESENDS_PER_HOUR = 3
    assert activation_mails("wangfang@example.org") == 1  # the registration's own
    for _ in range(3):
        page = client.post(reverse("accounts:resend_activation"), follow=True).content.decode()
        assert "激活邮件已重新发往 wangfang@example.org" in page
    page = client.post(reverse("accounts:resend_activation"), follow=True).content.decode()
    assert "激活邮件一小时内已重发 3 次" in page
    assert activation_mails("wangfang@example.org") == 4
    assert AuditRecord.objects.filter(
        action="resend_activation", outcome=AuditRecord.Outcome.REFUSED
    ).exists()
    # From another address it is still the same account: still refused.
    client.post(reverse("accounts:resend_activation"), REMOTE_ADDR="10.8.8.8")
    assert activation_mails("wangfang@example.org") == 4
    assert waiting_account.pk


@pytest.mark.django_db
def test_resending_is_limited_per_address_across_accounts(client, settings):
    settings.ACTIVATION_RESENDS_PER_ADDRESS_PER_HOUR = 4
    admin = UserFactory(organisation=UnitFactory(), is_org_admin=True)
    client.force_login(admin)
    for n in range(5):
        client.post(
            reverse("accounts:colleagues"),
            {"name": "刘洋", "username": f"colleague{n}", "email": f"c{n}@example.org"},
        )
    for n in range(4):
        colleague = User.objects.get(username=f"colleague{n}")
        page = client.post(
            reverse("accounts:colleague_resend", args=[colleague.pk]),
            REMOTE_ADDR="10.6.6.6",
            follow=True,
        ).content.decode()
        assert f"激活邮件已重新发往 c{n}@example.org" in page
    last = User.objects.get(username="colleague4")
    page = client.post(
        reverse("accounts:colleague_resend", args=[last.pk]), REMOTE_ADDR="10.6.6.6", follow=True
    ).content.decode()
    assert "从当前网络地址重发激活邮件的次数过多" in page
    assert activation_mails("c4@example.org") == 1  # only the invitation


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_sixteen_resends_at_once_queue_three(settings):
    settings.ACTIVATION_RESENDS_PER_HOUR = 3
    district = DistrictFactory()
    registering = Client()
    registering.post(reverse("accounts:register"), registration(district), REMOTE_ADDR="10.3.3.4")
    session = registering.cookies

    def resend(n):
        client = Client()
        client.cookies = session
        return client.post(reverse("accounts:resend_activation"), REMOTE_ADDR=f"10.5.0.{n}")

    together(resend)
    assert activation_mails("wangfang@example.org") == 1 + 3
    assert NEW_PASSWORD  # the account registered with the shared test data
