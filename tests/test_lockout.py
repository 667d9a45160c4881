"""The login lockout cannot be switched off by anyone, the bureau sees every lock, and the
client's address is the same for the lockout and the audit, behind a proxy or not."""

import re
import time

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from reviews.models import AuditRecord
from shanghai_experts.http import client_ip

from .factories import PASSWORD, BureauFactory, UserFactory


def attempt(client, username, password, ip="10.1.2.3", **headers):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


def login_page_locked(response) -> bool:
    return response.status_code == 429 and "登录已锁定" in response.content.decode()


@pytest.fixture
def people():
    return {name: UserFactory(username=name) for name in ("bureau", "fudan", "ruijin")}


@pytest.mark.django_db
def test_password_spraying_locks_the_address_for_every_name(client, people):
    """Issue 24: rounds of 4 wrong passwords for `bureau`, then fudan's right one, from one
    address. The pair locks at 5; the guesses it refuses still count for the address, which
    locks at 10 for every name; fudan's refused logins are no failures of fudan; `bureau` is
    not locked elsewhere by one address's guesses."""
    seen = []
    for _round in range(5):
        marks = ""
        for _ in range(4):
            marks += "L" if login_page_locked(attempt(client, "bureau", "wrong")) else "x"
        response = attempt(client, "fudan", PASSWORD)
        marks += "U" if response.status_code == 302 else "L" if login_page_locked(response) else "?"
        client.logout()
        seen.append(marks)
    assert seen == ["xxxxU", "LLLLU", "LLLLL", "LLLLL", "LLLLL"]
    assert not AccessAttempt.objects.filter(username="fudan").exists()
    assert attempt(client, "fudan", PASSWORD, ip="10.7.7.7").status_code == 302
    client.logout()
    assert attempt(client, "bureau", PASSWORD, ip="10.7.7.8").status_code == 302


@pytest.mark.django_db
def test_the_pair_locks_first(client, people):
    for _ in range(4):
        assert attempt(client, "ruijin", "wrong").status_code == 200
    assert login_page_locked(attempt(client, "ruijin", "wrong"))
    assert login_page_locked(attempt(client, "ruijin", PASSWORD))  # this name, this address
    assert attempt(client, "ruijin", PASSWORD, ip="10.9.9.9").status_code == 302  # elsewhere
    client.logout()
    assert attempt(client, "fudan", PASSWORD).status_code == 302  # a colleague on the address


@pytest.mark.django_db
def test_the_name_locks_everywhere_only_at_a_higher_count(client, people):
    for n in range(5):
        for _ in range(4):
            attempt(client, "ruijin", "wrong", ip=f"10.0.{n}.1")
    assert AccessAttempt.objects.filter(username="ruijin").count() == 5
    assert login_page_locked(attempt(client, "ruijin", PASSWORD, ip="10.77.0.1"))
    assert attempt(client, "fudan", PASSWORD, ip="10.0.0.1").status_code == 302


@pytest.mark.django_db
def test_a_second_factor_passes_a_name_lock_but_not_a_wrong_password(client, people):
    ruijin = people["ruijin"]
    device = TOTPDevice.objects.create(user=ruijin, name="身份验证器", confirmed=True)
    for n in range(5):
        for _ in range(4):
            attempt(client, "ruijin", "wrong", ip=f"10.0.{n}.1")
    assert login_page_locked(attempt(client, "ruijin", "wrong", ip="10.77.0.1"))
    response = attempt(client, "ruijin", PASSWORD, ip="10.77.0.1")
    assert response.status_code == 302
    assert client.get(reverse("home")).url == reverse("accounts:otp_verify")  # the code next
    # One mistyped code does not end the login while the name is locked; the right one enters.
    wrong = client.post(reverse("accounts:otp_verify"), {"code": "000000"}, REMOTE_ADDR="10.77.0.1")
    assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
    time.sleep(1.1)  # django-otp makes a second try wait a second after a wrong code
    code = f"{TOTP(device.bin_key, drift=0).token():06d}"
    client.post(reverse("accounts:otp_verify"), {"code": code}, REMOTE_ADDR="10.77.0.1")
    assert client.get(reverse("home"), REMOTE_ADDR="10.77.0.1").status_code == 200


@pytest.mark.django_db
def test_a_good_login_from_a_locked_address_is_no_failure_of_that_name(client, people):
    for n in range(10):
        attempt(client, f"guess{n}", "wrong", ip="10.5.5.5")
    for _ in range(25):  # a colleague behind the same office address keeps trying
        assert login_page_locked(attempt(client, "fudan", PASSWORD, ip="10.5.5.5"))
    assert not AccessAttempt.objects.filter(username="fudan").exists()
    assert attempt(client, "fudan", PASSWORD, ip="10.6.6.6").status_code == 302


@pytest.mark.django_db
def test_a_good_login_clears_its_own_failures_only(client):
    UserFactory(username="ruijin")
    for _ in range(3):
        attempt(client, "ruijin", "wrong")
    attempt(client, "ruijin", "wrong", ip="10.9.9.9")
    assert attempt(client, "ruijin", PASSWORD).status_code == 302
    remaining = AccessAttempt.objects.filter(username="ruijin")
    assert [(a.ip_address, a.failures_since_start) for a in remaining] == [("10.9.9.9", 1)]


def lock_rows(client) -> list[tuple[str, str, str]]:
    """The 登录锁定 page's rows: (kind, login name, address)."""
    html = client.get(reverse("reviews:lockouts")).content.decode()
    return sorted(
        (kind, name, address)
        for kind, name, address in re.findall(
            r'data-kind="(\w+)"><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>', html
        )
    )


def unlock(client, kind, username="", address=""):
    return client.post(
        reverse("reviews:lockouts"),
        {"kind": kind, "username": username, "address": address},
        follow=True,
    ).content.decode()


@pytest.mark.django_db
def test_each_lock_is_lifted_on_its_own(client, people):
    """A pair, an address and a name locked together; each 解除锁定 lifts exactly one."""
    for _ in range(5):
        attempt(client, "ruijin", "wrong", ip="10.5.5.5")  # the pair, 5
    for n in range(5):
        attempt(client, f"guess{n}", "wrong", ip="10.5.5.5")  # the address, 10
    for n in range(15):
        attempt(client, "ruijin", "wrong", ip=f"10.1.0.{n}")  # the name, 20
    bureau = UserFactory(organisation=BureauFactory())
    client.force_login(bureau)
    assert lock_rows(client) == [
        ("ip_address", "—", "10.5.5.5"),
        ("pair", "ruijin", "10.5.5.5"),
        ("username", "ruijin", "—"),
    ]
    assert "已解除登录名 ruijin的登录锁定" in unlock(client, "username", "ruijin")
    assert lock_rows(client) == [("ip_address", "—", "10.5.5.5"), ("pair", "ruijin", "10.5.5.5")]
    assert "已解除来源地址 10.5.5.5" in unlock(client, "ip_address", address="10.5.5.5")
    assert lock_rows(client) == [("pair", "ruijin", "10.5.5.5")]
    client.logout()
    assert attempt(client, "fudan", PASSWORD, ip="10.5.5.5").status_code == 302  # address free
    client.logout()
    assert login_page_locked(attempt(client, "ruijin", PASSWORD, ip="10.5.5.5"))  # pair held
    assert attempt(client, "ruijin", PASSWORD, ip="10.2.2.2").status_code == 302  # name free
    client.force_login(bureau)
    unlock(client, "pair", "ruijin", "10.5.5.5")
    assert lock_rows(client) == []
    assert AuditRecord.objects.filter(action="unlock").count() == 3
    client.logout()
    # Failures after an unlock count again: five more lock the pair anew.
    for _ in range(5):
        attempt(client, "ruijin", "wrong", ip="10.5.5.5")
    assert login_page_locked(attempt(client, "ruijin", PASSWORD, ip="10.5.5.5"))


@pytest.mark.django_db
def test_the_lockouts_page_is_paged(client, settings):
    """Under a spraying attack from many addresses the page lists them a page at a time."""
    rows = [
        AccessAttempt(
            username="",
            ip_address=f"10.20.{n // 250}.{n % 250}",
            user_agent="x",
            get_data="",
            post_data="",
            http_accept="",
            path_info="/login/",
            failures_since_start=settings.LOGIN_LOCK_ADDRESS_LIMIT,
        )
        for n in range(120)
    ]
    AccessAttempt.objects.bulk_create(rows)
    client.force_login(UserFactory(organisation=BureauFactory()))
    html = client.get(reverse("reviews:lockouts")).content.decode()
    assert html.count('data-testid="lock"') == 50 and "共 120 条" in html
    last = client.get(reverse("reviews:lockouts"), {"page": 3}).content.decode()
    assert last.count('data-testid="lock"') == 20


@pytest.mark.django_db
@pytest.mark.parametrize(
    "posted, message",
    [
        ({"attempt": "abc"}, "请在列表中选择要解除的锁定"),
        ({"kind": "x", "value": "y"}, "请在列表中选择要解除的锁定"),
        ({}, "请在列表中选择要解除的锁定"),
        ({"kind": "ip_address", "value": "not-an-ip"}, "来源地址“not-an-ip”不是有效的 IP 地址"),
        ({"kind": "pair", "username": "ruijin", "address": "10.1"}, "不是有效的 IP 地址"),
        ({"kind": "username", "value": "a\x00b"}, "登录名为空或含无效字符"),
    ],
)
def test_a_malformed_unlock_is_refused_with_a_message(client, posted, message):
    """Issue 24: a posted address that is not an IP made PostgreSQL fail (500)."""
    client.force_login(UserFactory(organisation=BureauFactory()))
    response = client.post(reverse("reviews:lockouts"), posted, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AuditRecord.objects.filter(action="unlock").exists()


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
