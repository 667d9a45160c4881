"""Every URL, as every role, with hostile values in every parameter and field: no response is a
server error.

The URLs are read from the URLconf, so a new view is walked without editing this test. The
fields are those the page itself offers (read from its HTML) plus every name any form of the
project uses. The Hypothesis tests go deep on single forms; this one goes wide.

The walk is cut into cases of one role and a few routes each (a namespace, or a part of a large
one), so that pytest-xdist spreads them over the cores and the progress line moves. The world
they walk is built once per module (once per xdist worker) and each case runs in a savepoint of
it, so every case starts from the same whole world, as when each built its own.
"""

import itertools
import math
import re
import shutil
from html import unescape
from urllib.parse import unquote

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import LimitedStream, WSGIRequest
from django.db import transaction
from django.http import HttpRequest
from django.test import override_settings
from django.urls import URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import OnboardingBatch
from jobs.models import Job
from reviews import reviewers
from reviews.documents import printing, scans
from reviews.engine import workflow
from reviews.models import StampedScan
from shanghai_experts.models import Organisation

from .conftest import FAST_HASHERS, recommenders_filing
from .factories import (
    AssessmentFactory,
    BaseFactory,
    BureauFactory,
    CallFactory,
    CommissionFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
    make_uscc,
)

HOSTILE = [
    "",  # first: the smallest body, the one a request is least likely to be refused unread for
    "x" * 5000,
    "a\x00b",
    "Infinity",
    "NaN",
    "-1",
    "1e30",
    "²",
    "１２",
    "0001-01-01",
    "9999-12-31T23:59",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "xlsx",  # switches a page to its export (统计, 审计日志), with hostile filters beside it
    ["1", "2"],  # a list where a scalar is expected
]

#: Names the project's forms and lists read; a page's own fields are added from its HTML.
KNOWN_FIELDS = {
    "q", "state", "category", "field", "sort", "priority", "recommender", "page", "tab",
    "selected", "selected_assessments", "order", "action", "comment", "deadline", "version",
    "token", "funding_granted", "bureau_support", "organisation", "quota", "reason", "kind",
    "value", "attempt", "since", "until", "actor", "outcome", "fingerprint", "level", "year",
    "name", "host_unit", "year_selected", "rectification_report", "next", "timeout",
    "username", "password", "format", "list", "show", "code", "received_on", "decision",
    "status", "paper", "fragment",
}  # fmt: skip

#: The values an edit or review page's `action` field takes.
NAMED_ACTIONS = ("save", "submit", "autosave", "declare", "recuse")

NAME_RE = re.compile(r'name="([^"]+)"')

ROLES = [
    "anonymous",
    "unit",
    "other_unit",
    "district",
    "commission",
    "bureau",
    "reviewer",
    "second_step",
]


def walk(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # crawled as the administrator below (test_no_admin_page_…)
            yield from walk(pattern.url_patterns, pattern.namespace or namespace)
        else:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, sorted(pattern.pattern.converters)


ROUTES = list(walk(get_resolver().url_patterns))

#: Values tried for a URL parameter that is neither an id nor an action.
OTHER_VALUES = ["1", "2", "3", "zz", "0"]
ACTION_VALUES = ["accept", "recommend", "no-such-action"]
#: The world's objects whose ids a `pk` takes (world["ids"]["pk"]), and one id past any.
PK_SAMPLES = 10 + 1


def url_count(converters):
    return math.prod(
        PK_SAMPLES if name == "pk" else len(ACTION_VALUES if name == "action" else OTHER_VALUES)
        for name in converters
    )


#: About how many URLs one case walks: a case takes a few seconds, and a large namespace is
#: cut into parts of this size (a route is never split).
URLS_PER_CASE = 40


def route_groups(routes):
    """The routes by namespace, a large namespace cut into parts of about URLS_PER_CASE URLs,
    in URLconf order: {"reviews-2": [(route, converters), …], …}."""
    namespaces = {}
    for route, converters in routes:
        namespace = route.split(":")[0] if ":" in route else "site"
        namespaces.setdefault(namespace, []).append((route, converters))
    groups = {}
    for namespace, members in namespaces.items():
        parts, size = [[]], 0
        for route, converters in members:
            if parts[-1] and size + url_count(converters) > URLS_PER_CASE:
                parts.append([])
                size = 0
            parts[-1].append((route, converters))
            size += url_count(converters)
        for number, part in enumerate(parts, 1):
            groups[namespace if len(parts) == 1 else f"{namespace}-{number}"] = part
    return groups


GROUPS = route_groups(ROUTES)


def test_every_route_is_in_exactly_one_group():
    walked = [route for part in GROUPS.values() for route in part]
    assert sorted(walked) == sorted(ROUTES)


def build_world(call):
    """One item in each state that matters, and a person of each role."""
    district_unit = UnitFactory()
    owner = UserFactory(organisation=district_unit)
    district = UserFactory(organisation=district_unit.district)
    bureau = UserFactory(organisation=BureauFactory())
    submitted = workflow.transition(
        CompleteApplicationFactory(call=call, unit=district_unit), "submit", user=owner
    )
    assessment = AssessmentFactory(
        call=call, unit=district_unit, recommender=district_unit.district
    )
    assessment.base.host_unit = district_unit
    assessment.base.save()
    workflow.transition(assessment, "submit", user=owner)
    # One more through to 列入市级服务团, where funding is recorded.
    funded = CompleteApplicationFactory(
        call=call, unit=UnitFactory(district=district_unit.district)
    )
    for action, actor in (("submit", UserFactory(organisation=funded.unit)), ("accept", district)):
        funded = workflow.transition(funded, action, user=actor)
    funded = workflow.transition(funded, "recommend", user=district, comment="推荐")
    funded = workflow.transition(funded, "select_municipal", user=bureau)
    # A 评审专家 assigned to the funded item (scorable once selected).
    panel = Organisation.objects.create(kind=Organisation.Kind.REVIEWERS, name="评审专家组")
    reviewer = UserFactory(organisation=panel)
    reviewers.assign([funded], [reviewer], user=bureau)
    upload = SimpleUploadedFile("s.pdf", printing.form_pdf(submitted))
    upload.media_type = "application/pdf"
    scans.store(submitted, user=owner, upload=upload)
    # Drafts of both forms, so the edit pages (save, submit, autosave) are walked too.
    draft = CompleteApplicationFactory(call=call, unit=district_unit)
    draft_assessment = AssessmentFactory(
        call=call, unit=district_unit, base=BaseFactory(host_unit=district_unit)
    )
    # A bulk onboarding list waiting for the bureau's confirmation, so the preview's confirm
    # runs too.
    batch = OnboardingBatch.objects.create(
        organisation=bureau.organisation,
        created_by=bureau,
        file_name="名单.xlsx",
        rows=[
            {
                "row": 2,
                "name": "上海市走查单位",
                "uscc": make_uscc(9999),
                "district": district_unit.district_id,
                "district_name": str(district_unit.district),
                "contact_name": "张三",
                "mobile": "13900000000",
                "email": "walk@example.org",
                "action": "create",
                "problems": [],
            }
        ],
    )
    # The district's background jobs: one finished with its file, one failed (its page offers
    # 重新生成, which starts a job the district may not have: it fails at once).
    done_job = Job.objects.create(
        kind="export_list",
        label="一览表",
        params={"call": call.pk, "query": ""},
        user=district,
        organisation=district.organisation,
        state=Job.State.DONE,
        file=storages["private"].save("jobs/walk.xlsx", ContentFile(b"PK\x05\x06" + bytes(18))),
        file_name="一览表.xlsx",
        content_type="application/zip",
        size=22,
    )
    failed_job = Job.objects.create(
        kind="audit_xlsx",
        label="审计日志",
        params={"query": ""},
        user=district,
        organisation=district.organisation,
        state=Job.State.FAILED,
        error="只有市人社局可以导出审计日志。",
    )
    # A bureau account enrolled in two-factor login: its pages lead to the code page.
    enrolled = UserFactory(organisation=bureau.organisation)
    TOTPDevice.objects.create(user=enrolled, name="app", confirmed=True)
    return {
        "roles": {
            "anonymous": None,
            "unit": owner,
            "other_unit": UserFactory(organisation=UnitFactory()),
            "district": district,
            "commission": UserFactory(organisation=CommissionFactory()),
            "bureau": bureau,
            "reviewer": reviewer,
            "second_step": enrolled,
        },
        "ids": {
            "pk": [
                submitted.pk,
                funded.pk,
                draft.pk,
                draft_assessment.pk,
                assessment.pk,
                StampedScan.objects.get().pk,
                assessment.base.pk,
                batch.pk,
                done_job.pk,
                failed_job.pk,
            ],
        },
    }


#: The world's private files are made once for the module (tests/s3storage.py keeps them).
SHARED_PRIVATE_FILES = True


@pytest.fixture(scope="module")
def world_files(tmp_path_factory):
    """Where the world's stored scan is written when it is built."""
    return tmp_path_factory.mktemp("walk-private")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, world_files):
    """The world, built once per module in a transaction that stays open: each case's own
    transaction (pytest-django's, as for any test) is a savepoint inside it and is rolled back
    after the case, so what one case's hostile POSTs change, the next never sees. Building it
    takes seconds (a PDF is rendered and stamped); the walk has dozens of cases."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with (
                override_settings(PASSWORD_HASHERS=FAST_HASHERS, PRIVATE_MEDIA_ROOT=world_files),
                recommenders_filing(),
            ):
                built = build_world(CallFactory())
            assert len(built["ids"]["pk"]) + 1 == PK_SAMPLES
            with django_db_blocker.block():
                yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def private_root(settings, tmp_path, world, world_files):
    """Replaces conftest's: the case's own folder starts with the world's stored scan, so a case
    that replaces or deletes it leaves it whole for the next."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    shutil.copytree(world_files, settings.PRIVATE_MEDIA_ROOT)
    return settings.PRIVATE_MEDIA_ROOT


class Reads(set):
    """What the last request read of what the client sent: "query" when anything (a view, a
    middleware, a template, a redirect to the login page naming `next`) read its query string,
    "body" when anything read its body. Empty means the answer cannot depend on the values
    sent: they never left the client's bytes."""


@pytest.fixture
def reads(monkeypatch):
    seen = Reads()
    query = WSGIRequest.__dict__["GET"]

    class MarkedQuery:
        """request.GET, marking its first use (a non-data descriptor like Django's own
        cached_property, so the QueryDict it stores on the request is used from then on)."""

        def __get__(self, request, owner=None):
            if request is None:
                return self
            seen.add("query")
            return query.__get__(request, owner)

    monkeypatch.setattr(WSGIRequest, "GET", MarkedQuery())

    def marking(what, original):
        def marked(*args, **kwargs):
            seen.add(what)
            return original(*args, **kwargs)

        return marked

    # The full path carries the query string (the login redirect's `next`); every reading of
    # the body, by request.body, request.POST/FILES or a stream, goes through LimitedStream.
    for name in ("get_full_path", "get_full_path_info"):
        monkeypatch.setattr(HttpRequest, name, marking("query", getattr(HttpRequest, name)))
    for name in ("read", "readline"):
        monkeypatch.setattr(LimitedStream, name, marking("body", getattr(LimitedStream, name)))
    return seen


@pytest.mark.django_db
def test_reads_sees_what_a_request_reads(client, reads):
    """The walk sends one value only where nothing read the values: the marking must see a read
    wherever there is one, or every page would get one value."""
    client.get("/login/", {"timeout": "1"})  # the login page asks request.GET.timeout
    assert reads == {"query"}
    reads.clear()
    client.post("/login/", {"username": "x", "password": "y"})  # the login form reads the body
    assert "body" in reads
    reads.clear()
    client.get("/no-such-page/", {"q": "x"})  # a 404 reads neither
    assert reads == set()
    reads.clear()
    client.get("/reviews/", {"q": "x"})  # anonymous: sent to log in with the full path as next
    assert reads == {"query"}


def urls_for(route, converters, ids):
    """Every combination of sample values for the route's parameters: the ids of the world's
    objects and one past any (for `pk`), real and unknown actions, and a few plain values for
    anything else (a new parameter is walked without editing this test)."""
    values = {
        name: (
            sorted(set(ids["pk"])) + [10**18 - 1]
            if name == "pk"
            else ACTION_VALUES
            if name == "action"
            else OTHER_VALUES
        )
        for name in converters
    }
    for combination in itertools.product(*values.values()):
        yield reverse(route, kwargs=dict(zip(values, combination, strict=True)))


@pytest.mark.django_db
@pytest.mark.parametrize("group", list(GROUPS))
@pytest.mark.parametrize("role", ROLES)
def test_no_url_answers_with_a_server_error(client, world, reads, role, group):
    client.raise_request_exception = False
    user = world["roles"][role]
    if user is not None:
        client.force_login(user)
    failures = []
    sent = 0

    def send(method, url, data, note):
        nonlocal sent
        reads.clear()
        response = getattr(client, method)(url, data)
        sent += 1
        if response.status_code >= 500:
            failures.append((method.upper(), url, note, response.status_code))
        if user is not None and not client.session.get("_auth_user_id"):
            client.force_login(user)  # a hostile POST to /logout/ ends the session
        return reads.copy()

    for route, converters in GROUPS[group]:
        for url in urls_for(route, converters, world["ids"]):
            reads.clear()
            first = client.get(url)
            sent += 1
            query_read = "query" in reads
            fields = set(KNOWN_FIELDS)
            page_fields = set()
            if first.status_code == 200 and first.get("Content-Type", "").startswith("text/html"):
                page_fields = set(NAME_RE.findall(first.content.decode()))
                fields |= page_fields
            fields.discard("csrfmiddlewaretoken")
            # A PDF view reads no parameter, and each GET renders the form again: three hostile
            # values show that, without rendering it fourteen times.
            pdf = first.get("Content-Type", "") == "application/pdf"
            body_read = False
            for method, wanted in (("get", "query"), ("post", "body")):
                if method == "get" and not query_read:
                    # The plain GET looked at no query string, not even to find it empty:
                    # whether a view reads one cannot depend on what it never read, so a GET
                    # with hostile values takes the same path (the same holds below for a
                    # first value nothing read).
                    continue
                for value in HOSTILE[:3] + HOSTILE[-1:] if pdf else HOSTILE:
                    data = {name: value for name in sorted(fields)}
                    if method == "post" and "file" in fields:
                        # A file box gets a file: the hostile value as its content.
                        data["file"] = SimpleUploadedFile("hostile.xlsx", str(value).encode())
                    read = wanted in send(method, url, data, repr(value)[:40])
                    body_read |= method == "post" and read
                    if not read:
                        # Nothing read the values (the answer came from the URL, the session
                        # and the headers alone: a 404 for a foreign id, a 405, an anonymous
                        # body refused unread), so the other values would take the very same
                        # path. The first value is the smallest body, which no size bound
                        # refuses unread.
                        break
            # A page whose form says what to do (action=submit, autosave, declare …): each of
            # its named actions, with hostile values in every other field. Skipped only when
            # the body is not read at all, the action in it included.
            if "action" in page_fields and body_read:
                for action in NAMED_ACTIONS:
                    for value in HOSTILE[:3] + HOSTILE[-1:]:
                        data = {name: value for name in sorted(fields)} | {"action": action}
                        send("post", url, data, f"action={action} {value!r}"[:40])
    print(f"{role} {group}: {sent} requests")
    assert failures == []


# --- the admin site, crawled as the administrator ---------------------------------------------

#: Ids an address bar can carry in place of an object's: none may be a server error.
HOSTILE_IDS = ["zz", "a%00b", "-1", str(10**18 - 1), "1e30", "%EF%BC%91%EF%BC%92", "%2527"]

#: Query parameters every change list reads, beside its filters' own (read from its links).
ADMIN_QUERY = ["q", "o", "p", "all", "e", "_popup", "_to_field", "_changelist_filters"]

HREF_RE = re.compile(r'href="(/admin/[^"#]*)"')

#: The admin crawl in a case per registered model (its pages), and one for the site's own pages
#: (the index, the password change).
ADMIN_PARTS = ["site"] + sorted(model._meta.label_lower for model in admin.site._registry)


def admin_urls(part):
    """Every page of the registered model `part` (list, add, change, history, delete and
    its extra views, such as a TOTP device's key and QR code) for its first objects and hostile
    ids; the pages that delete come last, so the others see the world whole."""
    urls = {"/admin/", "/admin/password_change/"} if part == "site" else set()
    for model, model_admin in admin.site._registry.items():
        if model._meta.label_lower != part:
            continue
        pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:2])
        for pattern in model_admin.get_urls():
            name = getattr(pattern, "name", None)
            if not name:
                continue  # the catch-all redirect of an old address
            if not pattern.pattern.regex.groups:
                urls.add(reverse(f"admin:{name}"))
                continue
            sample = reverse(f"admin:{name}", args=["1"])
            for value in [str(pk) for pk in pks] + HOSTILE_IDS:
                urls.add(sample.replace("/1/", f"/{value}/", 1))
    return sorted(urls, key=lambda url: ("/delete/" in url, url))


@pytest.mark.django_db
@pytest.mark.parametrize("part", ADMIN_PARTS)
def test_no_admin_page_answers_with_a_server_error(client, world, settings, part):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    administrator = UserFactory(is_staff=True, is_superuser=True)
    client.raise_request_exception = False
    client.force_login(administrator)
    failures = []

    def check(method, url, data=None, note=""):
        response = getattr(client, method)(url, data or {})
        if response.status_code >= 500:
            failures.append((method.upper(), unquote(url)[:80], note, response.status_code))
        return response

    for url in admin_urls(part):
        first = check("get", url)
        if first.status_code != 200 or not first.get("Content-Type", "").startswith("text/html"):
            continue
        html = first.content.decode()
        fields = set(NAME_RE.findall(html)) - {"csrfmiddlewaretoken"}
        # The list filters' own parameters, from the filter links (state__exact, call__id__exact…).
        params = set(ADMIN_QUERY)
        for href in HREF_RE.findall(html):
            if "?" in href:
                params |= {p.split("=")[0] for p in unescape(href.split("?", 1)[1]).split("&")}
        for value in ADMIN_HOSTILE:
            check("get", url, {name: value for name in sorted(params)}, repr(value)[:30])
            if first.context and "cl" in first.context:
                # A change list: each filter on its own, or the first refused hides the others.
                for name in sorted(params):
                    check("get", url, {name: value}, f"{name}={value!r}"[:40])
            if fields:
                check("post", url, {name: value for name in sorted(fields)}, repr(value)[:30])
        if not client.session.get("_auth_user_id"):
            client.force_login(administrator)
    assert failures == []


#: The hostile values of the admin walk: fewer than the site's, each a kind of its own.
ADMIN_HOSTILE = ["", "zz", "a\x00b", "-1", "1e30", str(10**18), "0001-01-01", ["1", "zz"]]
