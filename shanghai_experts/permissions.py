"""Who may open which page: the predicates every app's rules are built from, and the one
decorator a view declares its permission with.

Each app names its rules beside its models, in its own ``permissions`` module
(applications, bases, reviews, accounts; this one for the pages of the core), with
``rules.add_perm``. A view says which rule it needs; it never tests a role itself::

    @permission_required("applications.replace_roster", fn=application)
    def roster_import(request, app, pk): ...

`fn` fetches the object the rule is asked about (a 404 when there is none); the view then
receives it after ``request``. Whatever the rule refuses is a 404, never a 403: a foreign or
out-of-scope object answers as if it did not exist, and a page of another kind of
organisation as if there were no such page.

The names never reuse Django's model permissions (add_, change_, delete_, view_): the admin
asks those of the database, and a rule of the same name would grant the admin's pages to
whoever it allows. The check asks the rule set directly, not ``user.has_perm``: Django lets a
superuser pass every ``has_perm``, and a superuser without an organisation has no page here.

tests/test_permissions.py walks every rule over every role and state, and checks that every
view of the URLconf declares a rule or is listed as open to everyone signed in.
"""

from __future__ import annotations

import functools

import rules
from django.http import Http404

from .states import EDITABLE_STATES, State


def _organisation(user):
    return getattr(user, "organisation", None)


# --- the organisation the user acts for -------------------------------------------------------


@rules.predicate
def has_organisation(user) -> bool:
    return _organisation(user) is not None


@rules.predicate
def is_unit(user) -> bool:
    """申报单位."""
    org = _organisation(user)
    return org is not None and org.is_unit


@rules.predicate
def is_district(user) -> bool:
    """区人社局."""
    org = _organisation(user)
    return org is not None and org.kind == org.Kind.DISTRICT


@rules.predicate
def is_commission(user) -> bool:
    """委、办、局 (行业主管部门)."""
    org = _organisation(user)
    return org is not None and org.kind == org.Kind.COMMISSION


@rules.predicate
def is_recommender(user) -> bool:
    """A district office or a commission: it recommends its units' items to the bureau."""
    org = _organisation(user)
    return org is not None and org.is_recommender


@rules.predicate
def is_bureau(user) -> bool:
    """市人社局."""
    org = _organisation(user)
    return org is not None and org.is_bureau


@rules.predicate
def is_reviewer(user) -> bool:
    """An outside expert of the bureau's panel (评审专家)."""
    org = _organisation(user)
    return org is not None and org.is_reviewer_panel


@rules.predicate
def is_org_admin(user) -> bool:
    """本单位账号管理员: may invite and deactivate colleagues."""
    return _organisation(user) is not None and bool(getattr(user, "is_org_admin", False))


#: Those with a list of items (推荐单位 and 市人社局).
is_office = is_recommender | is_bureau


# --- an item (附件1 or 附件2), through the protocol both forms provide ------------------------


@rules.predicate
def owns_item(user, item) -> bool:
    """The unit that filled the item."""
    org = _organisation(user)
    return item is not None and org is not None and org.is_unit and item.unit_id == org.pk


@rules.predicate
def recommends_item(user, item) -> bool:
    """The district office or commission the item is addressed to."""
    org = _organisation(user)
    return (
        item is not None
        and org is not None
        and org.is_recommender
        and item.recommender_id == org.pk
    )


@rules.predicate
def has_item(user, item) -> bool:
    """An object was given: an item rule never allows a page without its item."""
    return item is not None


@rules.predicate
def is_draft(user, item) -> bool:
    return item is not None and item.state == State.DRAFT


@rules.predicate
def is_editable(user, item) -> bool:
    """Draft or returned: the unit may change the form."""
    return item is not None and item.state in EDITABLE_STATES


#: Who may open an item at all: its unit; once submitted, its recommender and the bureau.
#: The same scope as the forms' ``visible_to`` querysets (the lists), which the test checks.
sees_item = owns_item | (has_item & ~is_draft & (recommends_item | is_bureau))


# --- the core's own pages ------------------------------------------------------------------------

rules.add_perm("shanghai_experts.edit_own_organisation", is_unit)


# --- the one check -----------------------------------------------------------------------------


def allowed(user, perm: str, obj=None) -> bool:
    """Whether the rule `perm` allows `user` (on `obj`). Unknown names allow nobody."""
    return rules.has_perm(perm, user, obj)


def permission_required(perm: str, fn=None):
    """Declares the rule a view needs; anything it refuses is a 404.

    Without `fn` the rule is asked about the user alone. With `fn` (called with the view's
    arguments; it returns the object or raises Http404) the rule is asked about that object,
    and the view receives it after ``request``: ``view(request, obj, **url_kwargs)``.
    """

    def decorate(view):
        @functools.wraps(view)
        def checked(request, *args, **kwargs):
            if fn is None:
                if not allowed(request.user, perm):
                    raise Http404
                return view(request, *args, **kwargs)
            obj = fn(request, *args, **kwargs)
            if not allowed(request.user, perm, obj):
                raise Http404
            return view(request, obj, *args, **kwargs)

        #: Read by tests/test_permissions.py: every view declares one, or is listed as open.
        checked.permission = perm
        return checked

    return decorate
