"""The login lockout cannot be switched off by anyone, the bureau sees every lock, and the
client's address is the same for the lockout and the audit, behind a proxy or not."""

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse

from reviews.models import AuditRecord
from shanghai_experts.http import client_ip

from .factories import PASSWORD, BureauFactory, UserFactory


def attempt(client, username, password, ip="10.1.2.3", **headers):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


@pytest.mark.django_db
def test_a_good_login_as_someone_else_does_not_clear_the_failures(client):
    """4 failures as `bureau`, then 1 good login as my own unit, repeated: `bureau` locks."""
    UserFactory(username="bureau")
    UserFactory(username="myunit")
    for _round in range(3):
        for _ in range(4):
            attempt(client, "bureau", "wrong")
        attempt(client, "myunit", PASSWORD)
        client.logout()
    # The failures of `bureau` survived the other account's success.
    assert attempt(client, "bureau", PASSWORD, ip="10.200.0.1").status_code == 429


@pytest.mark.django_db
def test_a_good_login_clears_its_own_failures_only(client):
    UserFactory(username="ruijin")
    for _ in range(3):
        attempt(client, "ruijin", "wrong")
    attempt(client, "ruijin", "wrong", ip="10.9.9.9")
    assert attempt(client, "ruijin", PASSWORD).status_code == 302
    remaining = AccessAttempt.objects.filter(username="ruijin")
    assert [(a.ip_address, a.failures_since_start) for a in remaining] == [("10.9.9.9", 1)]


@pytest.mark.django_db
def test_spread_failures_lock_and_the_bureau_sees_and_clears_them(client):
    """Five failures of one name from five addresses, and five names from one address: no single
    row reaches the limit, yet both are locked, and both show on the 登录锁定 page."""
    UserFactory(username="ruijin")
    for n in range(5):
        attempt(client, "ruijin", "wrong", ip=f"10.0.0.{n + 1}")
    for n in range(5):
        attempt(client, f"guess{n}", "wrong", ip="10.5.5.5")
    assert attempt(client, "ruijin", PASSWORD, ip="10.77.0.1").status_code == 429
    UserFactory(username="fudan")
    assert attempt(client, "fudan", PASSWORD, ip="10.5.5.5").status_code == 429

    bureau = UserFactory(organisation=BureauFactory())
    client.force_login(bureau)
    page = client.get(reverse("reviews:lockouts")).content.decode()
    assert "ruijin" in page and "10.5.5.5" in page
    assert (
        client.post(
            reverse("reviews:lockouts"), {"kind": "username", "value": "ruijin"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse("reviews:lockouts"), {"kind": "ip_address", "value": "10.5.5.5"}
        ).status_code
        == 302
    )
    assert AuditRecord.objects.filter(action="unlock").count() == 2
    page = client.get(reverse("reviews:lockouts")).content.decode()
    assert "当前没有被锁定的登录名或来源地址" in page
    client.logout()
    assert attempt(client, "ruijin", PASSWORD, ip="10.77.0.1").status_code == 302
    client.logout()
    assert attempt(client, "fudan", PASSWORD, ip="10.5.5.5").status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("posted", [{"attempt": "abc"}, {"kind": "x", "value": "y"}, {}])
def test_a_malformed_unlock_is_refused_with_a_message(client, posted):
    client.force_login(UserFactory(organisation=BureauFactory()))
    response = client.post(reverse("reviews:lockouts"), posted, follow=True)
    assert response.status_code == 200
    assert "请在列表中选择要解除的登录名或来源地址" in response.content.decode()


# --- the client's address -----------------------------------------------------------------


def _request(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_client_is_the_hop_it_saw(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The client sent a forged header; the proxy appended the address it really saw.
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 203.0.113.7")) == "203.0.113.7"
    # A client that connects directly cannot choose its address.
    assert client_ip(_request("198.51.100.4", "6.6.6.6")) == "198.51.100.4"
    # Two trusted proxies in a chain: the client is one further to the left.
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 203.0.113.7, 10.0.0.9")) == "203.0.113.7"


@pytest.mark.django_db
def test_the_lockout_and_the_audit_see_the_same_address_behind_a_proxy(client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    UserFactory(username="ruijin")
    # Five people behind the same proxy fail once each: nobody but them is locked.
    for n in range(5):
        attempt(
            client, f"guess{n}", "wrong", ip="127.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        )
    assert (
        attempt(
            client, "ruijin", PASSWORD, ip="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.50"
        ).status_code
        == 302
    )
    failed = AuditRecord.objects.filter(action="login_failed").order_by("id")
    assert [r.client_ip for r in failed] == [f"198.51.100.{n}" for n in range(5)]
    assert sorted(AccessAttempt.objects.values_list("ip_address", flat=True)) == [
        f"198.51.100.{n}" for n in range(5)
    ]
    assert AuditRecord.objects.get(action="login").client_ip == "203.0.113.50"


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_header_changes_nothing(client, settings):
    settings.TRUSTED_PROXIES = []
    UserFactory(username="ruijin")
    for n in range(5):
        attempt(client, "ruijin", "wrong", ip="10.1.1.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.1.1.1"}
    assert set(
        AuditRecord.objects.filter(action="login_failed").values_list("client_ip", flat=True)
    ) == {"10.1.1.1"}
