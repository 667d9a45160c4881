"""The permission rules (each app's permissions module), rule by rule: every role, every state
of an item of either kind, as tests/test_visibility.py walks what is shown. And the one
decorator views declare them with: a refusal is a 404.

The expected answers are written out here as a table, independently of the predicates: a rule
that changes must change its row.
"""

import re
from types import SimpleNamespace

import pytest
import rules
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import URLResolver, get_resolver, resolve

from accounts.models import OnboardingBatch
from applications.models import Application
from bases.models import Assessment
from jobs.models import Job
from reviews.models import ReviewAssignment
from shanghai_experts.models import Organisation, User
from shanghai_experts.permissions import allowed, permission_required
from shanghai_experts.states import State

from .factories import (
    ApplicationFactory,
    AssessmentFactory,
    BureauFactory,
    CallFactory,
    CommissionFactory,
    DistrictFactory,
    UnitFactory,
    UserFactory,
)

Kind = Organisation.Kind

# --- who: one user per role, in memory (the rules read attributes, never the database) -------

DISTRICT = Organisation(pk=1, kind=Kind.DISTRICT, name="黄浦区人社局")
COMMISSION = Organisation(pk=2, kind=Kind.COMMISSION, name="市卫生健康委")
BUREAU = Organisation(pk=3, kind=Kind.MUNICIPAL, name="市人社局")
PANEL = Organisation(pk=4, kind=Kind.REVIEWERS, name="评审专家组")
OTHER_DISTRICT = Organisation(pk=5, kind=Kind.DISTRICT, name="徐汇区人社局")
OWNER_UNIT = Organisation(pk=10, kind=Kind.UNIT, name="瑞金医院", district=DISTRICT)
OTHER_UNIT = Organisation(pk=11, kind=Kind.UNIT, name="中山医院", district=OTHER_DISTRICT)

USERS = {
    "anonymous": AnonymousUser(),
    "owner": User(pk=100, username="owner", organisation=OWNER_UNIT),
    "other_unit": User(pk=101, username="other", organisation=OTHER_UNIT),
    "district": User(pk=102, username="district", organisation=DISTRICT),
    "commission": User(pk=103, username="commission", organisation=COMMISSION),
    "bureau": User(pk=104, username="bureau", organisation=BUREAU),
    "reviewer": User(pk=105, username="reviewer", organisation=PANEL),
    "org_admin": User(pk=106, username="admin", organisation=OWNER_UNIT, is_org_admin=True),
}
ROLES = list(USERS)

NOBODY = frozenset()
UNITS = frozenset({"owner", "other_unit", "org_admin"})
OFFICES = frozenset({"district", "commission", "bureau"})
RECOMMENDERS = frozenset({"district", "commission"})
BUREAU_ONLY = frozenset({"bureau"})

# --- rules that ask only who the user is ---------------------------------------------------------

ROLE_RULES = {
    "shanghai_experts.edit_own_organisation": UNITS,
    "applications.create_application": UNITS,
    "bases.see_bases": UNITS | BUREAU_ONLY,
    "bases.register_base": BUREAU_ONLY,
    "bases.open_assessments": BUREAU_ONLY,
    "reviews.see_queue": OFFICES,
    "reviews.rank_items": OFFICES,
    "reviews.see_statistics": OFFICES,
    "reviews.print_letter": OFFICES,
    "reviews.see_summary": BUREAU_ONLY,
    "reviews.export_national_list": BUREAU_ONLY,
    "reviews.record_paper": BUREAU_ONLY,
    "reviews.set_call": BUREAU_ONLY,
    "reviews.publish_results": BUREAU_ONLY,
    "reviews.assign_reviewers": BUREAU_ONLY,
    "reviews.see_security": BUREAU_ONLY,
    "reviews.file_recommendation": RECOMMENDERS,
    "reviews.review_assigned": frozenset({"reviewer"}),
    "accounts.approve_registrations": frozenset({"bureau", "district"}),
    "accounts.manage_colleagues": frozenset({"org_admin"}),
    "accounts.onboard_units": OFFICES,
    "jobs.list_own_jobs": frozenset(ROLES) - {"anonymous"},
}

# --- rules on an item: who, for a draft, a returned item and any other state --------------------
# "recommender" stands for the office the item is addressed to (the district or the commission).

OWNER = frozenset({"owner", "org_admin"})
SEEN = (OWNER, OWNER | {"recommender", "bureau"}, OWNER | {"recommender", "bureau"})
OWNER_ALWAYS = (OWNER, OWNER, OWNER)
BUREAU_ONCE_SUBMITTED = (NOBODY, BUREAU_ONLY, BUREAU_ONLY)

ITEM_RULES = {
    # kinds the rule applies to, (draft, returned, other states)
    "applications.see_application": ((Application,), SEEN),
    "applications.replace_roster": ((Application,), (OWNER, OWNER, NOBODY)),
    "bases.see_assessment": ((Assessment,), SEEN),
    "bases.rectify_assessment": ((Assessment,), OWNER_ALWAYS),
    "reviews.edit_item": ((Application, Assessment), OWNER_ALWAYS),
    "reviews.act_on_item": ((Application, Assessment), SEEN),
    "reviews.note_item": ((Application, Assessment), SEEN),
    "reviews.print_item": ((Application, Assessment), SEEN),
    "reviews.scan_item": ((Application, Assessment), SEEN),
    "reviews.fund_item": ((Application,), SEEN),
    "reviews.see_project_notice": ((Application,), SEEN),
    "reviews.score_item": ((Application,), BUREAU_ONCE_SUBMITTED),
    "reviews.record_item_paper": ((Application, Assessment), BUREAU_ONCE_SUBMITTED),
}


def item(model, state, addressed_to):
    found = model(pk=7, state=state)
    found.unit = OWNER_UNIT
    found.recommender = DISTRICT if addressed_to == "district" else COMMISSION
    return found


def expected_on_item(columns, state, addressed_to):
    column = {State.DRAFT: 0, State.RETURNED: 1}.get(state, 2)
    return {addressed_to if role == "recommender" else role for role in columns[column]}


# --- rules on another object: (object, who) -------------------------------------------------------

ASSIGNMENT = ReviewAssignment(pk=1, reviewer=USERS["reviewer"], declaration="")
RECUSED = ReviewAssignment(
    pk=2, reviewer=USERS["reviewer"], declaration=ReviewAssignment.Declaration.RECUSED
)
ANOTHER_REVIEWERS = ReviewAssignment(pk=3, reviewer=User(pk=200, organisation=PANEL))
COLLEAGUE = User(pk=300, username="colleague", organisation=OWNER_UNIT)
STRANGER = User(pk=301, username="stranger", organisation=OTHER_UNIT)
OWN_BATCH = OnboardingBatch(pk=1, organisation=DISTRICT)
BUREAU_BATCH = OnboardingBatch(pk=2, organisation=BUREAU)

OBJECT_RULES = {
    "reviews.download_scan": [
        (
            "a scan of a submitted item",
            SimpleNamespace(item=item(Application, State.SUBMITTED, "district")),
            OWNER | {"district", "bureau"},
        ),
        (
            "a scan of a draft",
            SimpleNamespace(item=item(Assessment, State.DRAFT, "district")),
            OWNER,
        ),
    ],
    "accounts.decide_registration": [
        ("a unit of the district", OWNER_UNIT, {"bureau", "district"}),
        ("a unit of another district", OTHER_UNIT, BUREAU_ONLY),
        ("not a unit", COMMISSION, NOBODY),
    ],
    "accounts.manage_colleague": [
        ("a colleague", COLLEAGUE, {"org_admin"}),
        ("someone of another unit", STRANGER, NOBODY),
    ],
    "accounts.see_onboarding_batch": [
        ("the district's batch", OWN_BATCH, {"district"}),
        ("the bureau's batch", BUREAU_BATCH, BUREAU_ONLY),
    ],
    "reviews.review_item": [
        ("their assignment", ASSIGNMENT, {"reviewer"}),
        ("their recused assignment", RECUSED, {"reviewer"}),
        ("another reviewer's", ANOTHER_REVIEWERS, NOBODY),
    ],
    "jobs.see_own_job": [
        ("their own job", Job(pk=1, user=USERS["district"]), {"district"}),
        ("a colleague's job", Job(pk=2, user=COLLEAGUE), NOBODY),
    ],
    "reviews.print_assigned": [
        ("their assignment", ASSIGNMENT, {"reviewer"}),
        ("their recused assignment", RECUSED, NOBODY),
        ("another reviewer's", ANOTHER_REVIEWERS, NOBODY),
    ],
}


def allowed_roles(name, obj=None):
    return {role for role, user in USERS.items() if allowed(user, name, obj)}


# --- the table -------------------------------------------------------------------------------------


def test_the_table_names_every_rule_and_only_rules():
    registered = set(rules.permissions.permissions)
    assert registered == set(ROLE_RULES) | set(ITEM_RULES) | set(OBJECT_RULES)


@pytest.mark.parametrize("name", sorted(ROLE_RULES))
def test_each_role_rule_allows_exactly_its_roles(name):
    assert allowed_roles(name) == set(ROLE_RULES[name])


@pytest.mark.parametrize("addressed_to", ["district", "commission"])
@pytest.mark.parametrize("state", State.values)
@pytest.mark.parametrize("name", sorted(ITEM_RULES))
def test_each_item_rule_allows_exactly_its_roles_in_every_state(name, state, addressed_to):
    models, columns = ITEM_RULES[name]
    for model in models:
        found = item(model, state, addressed_to)
        assert allowed_roles(name, found) == expected_on_item(columns, state, addressed_to), (
            model.__name__
        )


@pytest.mark.parametrize(
    ("name", "what", "obj", "expected"),
    [
        (name, what, obj, expected)
        for name, rows in OBJECT_RULES.items()
        for what, obj, expected in rows
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_each_object_rule_allows_exactly_its_roles(name, what, obj, expected):
    assert allowed_roles(name, obj) == set(expected)


@pytest.mark.parametrize("name", sorted(set(ITEM_RULES) | set(OBJECT_RULES)))
def test_a_rule_about_an_object_allows_nobody_without_one(name):
    assert allowed_roles(name) == set()


def test_an_unknown_rule_allows_nobody():
    assert allowed_roles("reviews.no_such_rule") == set()


def test_no_rule_reuses_a_model_permission_the_admin_asks_for():
    """The admin asks user.has_perm("app.change_model"): a rule of that name would open the
    admin's pages to whoever the rule allows."""
    model_permissions = set()
    for model in apps.get_models():
        meta = model._meta
        for action in meta.default_permissions:
            model_permissions.add(f"{meta.app_label}.{action}_{meta.model_name}")
        model_permissions.update(f"{meta.app_label}.{code}" for code, _ in meta.permissions)
    assert set(rules.permissions.permissions) & model_permissions == set()


@pytest.mark.django_db
def test_the_backend_answers_as_the_rules_for_templates():
    """user.has_perm (templates' perms) reaches the same rules, after axes and the model
    backend."""
    assert USERS["bureau"].has_perm("reviews.see_security")
    assert not USERS["district"].has_perm("reviews.see_security")


# --- the item rules agree with the lists' querysets (visible_to) ---------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "name"),
    [(Application, "applications.see_application"), (Assessment, "bases.see_assessment")],
    ids=["附件1", "附件2"],
)
def test_who_may_open_an_item_is_who_lists_it(model, name):
    call = CallFactory()
    district, commission = DistrictFactory(), CommissionFactory()
    owner, other = UnitFactory(district=district), UnitFactory()
    items = []
    for recommender in (district, commission):
        for state in State.values:
            if model is Application:
                items.append(
                    ApplicationFactory(call=call, unit=owner, recommender=recommender, state=state)
                )
            else:
                items.append(
                    AssessmentFactory(
                        call=call, base__host_unit=owner, recommender=recommender, state=state
                    )
                )
    people = [
        UserFactory(organisation=organisation)
        for organisation in (
            owner,
            other,
            district,
            commission,
            BureauFactory(),
            Organisation.objects.create(kind=Kind.REVIEWERS, name="评审专家组"),
        )
    ]
    for person in people:
        listed = set(model.objects.visible_to(person).filter(call=call))
        assert listed == {i for i in items if allowed(person, name, i)}, person.organisation.kind


# --- the decorator ---------------------------------------------------------------------------------


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def _view(request, *args, **kwargs):
    return HttpResponse(repr((args, kwargs)))


def test_a_refused_rule_is_a_404_and_an_allowed_one_runs_the_view():
    view = permission_required("reviews.see_security")(_view)
    assert view.permission == "reviews.see_security"
    assert view(_request(USERS["bureau"])).content == b"((), {})"
    for role in set(ROLES) - {"bureau"}:
        with pytest.raises(Http404):
            view(_request(USERS[role]))


def test_the_view_receives_the_object_its_rule_was_asked_about():
    draft = item(Application, State.DRAFT, "district")
    seen = []

    def getter(request, pk):
        seen.append(pk)
        return draft

    view = permission_required("applications.replace_roster", fn=getter)(_view)
    response = view(_request(USERS["owner"]), pk=7)
    assert response.content == repr(((draft,), {"pk": 7})).encode()
    assert seen == [7]
    with pytest.raises(Http404):
        view(_request(USERS["other_unit"]), pk=7)
    with pytest.raises(Http404):  # the bureau never sees a draft
        view(_request(USERS["bureau"]), pk=7)


@pytest.mark.django_db
def test_a_superuser_without_an_organisation_has_no_page():
    """Django lets a superuser pass every has_perm; the pages ask the rules themselves."""
    superuser = User(pk=400, username="root", is_superuser=True, is_staff=True)
    assert superuser.has_perm("reviews.see_security")  # Django's shortcut, not ours
    view = permission_required("reviews.see_security")(_view)
    with pytest.raises(Http404):
        view(_request(superuser))


# --- every page declares its rule ------------------------------------------------------------------

#: Pages open to everyone signed in (or, marked login_not_required, to anyone), and why.
#: Every other view of the URLconf declares its rule with permission_required.
PUBLIC = {
    "portal.views.home": "where everyone lands; it shows what the organisation may see",
    "portal.views.notice": "the call's notice (此件主动公开)",
    "portal.views.blank_form": "the blank forms of the notice",
    "django.contrib.auth.views.LoginView": "登录",
    "django.contrib.auth.views.LogoutView": "退出",
    "shanghai_experts.account_views.PasswordChangeView": "the user's own password",
    "shanghai_experts.account_views.keepalive": "the user's own session",
    "shanghai_experts.division_views.division_options": "the national divisions, public data",
    "accounts.views.register": "单位注册",
    "accounts.views.status": "the user's own registration",
    "accounts.views.resend_activation": "the user's own activation mail",
    "accounts.views.activate": "the one-time link",
    "accounts.views.PasswordResetView": "忘记密码",
    "accounts.views.PasswordResetDoneView": "忘记密码",
    "accounts.views.PasswordResetConfirmView": "the one-time link",
    "accounts.views.otp_verify": "the user's own second factor",
    "accounts.views.otp_enrol": "the user's own second factor",
    "accounts.views.security": "the user's own second factor",
    "shanghai_experts.health.healthz": "the balancer's health check: one word per check, no data",
}


def _views(patterns, prefix=""):
    """(route, dotted name, view) of every page but the admin's (the admin asks is_staff and
    the model permissions of the database)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":
                yield from _views(pattern.url_patterns, prefix + str(pattern.pattern))
            continue
        view = pattern.callback
        target = getattr(view, "view_class", view)
        yield prefix + str(pattern.pattern), f"{target.__module__}.{target.__qualname__}", view


def test_every_page_declares_its_rule_or_is_listed_as_open():
    undeclared, unknown = [], []
    for route, name, view in _views(get_resolver().url_patterns):
        rule = getattr(view, "permission", None)
        if rule is None and name not in PUBLIC:
            undeclared.append(f"{route} ({name})")
        elif rule is not None and not rules.perm_exists(rule):
            unknown.append(f"{route} ({name}): {rule}")
    assert undeclared == []
    assert unknown == []


def test_the_open_list_names_only_undeclared_pages():
    """A page that comes to declare a rule (or goes) leaves the lists."""
    views = {name: view for _route, name, view in _views(get_resolver().url_patterns)}
    for name in PUBLIC:
        if name in views:
            assert getattr(views[name], "permission", None) is None, name
    assert set(PUBLIC) <= set(views)


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_a_menu_offers_only_pages_whose_rule_allows_the_role(role):
    """The menus (portal.templatetags.menus) choose their items by organisation kind; each
    item's page must declare a rule that lets that kind in (or be open to everyone)."""
    request = RequestFactory().get("/")
    request.user = USERS[role]
    html = Template('{% load menus %}{% site_menu "main" %}{% site_menu "account" %}').render(
        Context({"request": request, "user": USERS[role]})
    )
    links = re.findall(r'href="(/[^"]*)"', html)
    assert links
    for link in links:
        match = resolve(link)
        target = getattr(match.func, "view_class", match.func)
        name = f"{target.__module__}.{target.__qualname__}"
        rule = getattr(match.func, "permission", None)
        if rule is None:
            assert name in PUBLIC, link
        else:
            assert allowed(USERS[role], rule), (link, rule)
