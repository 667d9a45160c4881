"""Who may do what with accounts: the rules the account pages declare
(shanghai_experts.permissions explains the names and the 404)."""

import rules

from shanghai_experts.permissions import (
    is_bureau,
    is_district,
    is_office,
    is_org_admin,
)


def _organisation_id(user):
    return getattr(user, "organisation_id", None)


@rules.predicate
def unit_of_own_district(user, unit) -> bool:
    """A unit in the user's district (the district office decides its registration)."""
    own = _organisation_id(user)
    return own is not None and unit is not None and unit.is_unit and unit.district_id == own


@rules.predicate
def is_a_unit(user, unit) -> bool:
    return unit is not None and unit.is_unit


@rules.predicate
def same_organisation(user, other) -> bool:
    """A colleague (a user) or a record (an onboarding batch) of the user's organisation."""
    own = _organisation_id(user)
    return own is not None and other is not None and other.organisation_id == own


#: 注册审核: the district offices (their units) and the bureau (every unit).
rules.add_perm("accounts.approve_registrations", is_bureau | is_district)
rules.add_perm(
    "accounts.decide_registration", (is_bureau & is_a_unit) | (is_district & unit_of_own_district)
)
#: 本单位账号: the organisation's account administrator.
rules.add_perm("accounts.manage_colleagues", is_org_admin)
rules.add_perm("accounts.manage_colleague", is_org_admin & same_organisation)
#: 批量开通 and 本辖区单位: recommenders and the bureau.
rules.add_perm("accounts.onboard_units", is_office)
rules.add_perm("accounts.see_onboarding_batch", is_office & same_organisation)
