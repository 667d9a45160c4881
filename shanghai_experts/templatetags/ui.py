from django import template

from reviews.states import State

register = template.Library()

STATE_COLOURS = {
    State.DRAFT: "secondary",
    State.SUBMITTED: "primary",
    State.UNDER_REVIEW: "info",
    State.RETURNED: "warning",
    State.RECOMMENDED: "success",
    State.NOT_RECOMMENDED: "dark",
    State.NATIONAL_CANDIDATE: "success",
    State.MUNICIPAL_TEAM: "success",
    State.NATIONAL_TEAM: "success",
    State.NOT_SELECTED: "dark",
}


@register.inclusion_tag("includes/state_badge.html")
def state_badge(item):
    return {"label": item.get_state_display(), "colour": STATE_COLOURS.get(item.state, "secondary")}


@register.filter
def tick(value) -> str:
    """☑ for a chosen box, ☐ otherwise, as the paper form prints them."""
    return "☑" if value else "☐"


@register.filter
def contains(values, value) -> bool:
    return value in (values or [])


@register.filter
def field_cols(bound_field) -> str:
    """Grid width for a field in a row of a list (roster, places, budget)."""
    widget = bound_field.field.widget.__class__.__name__
    if widget == "CheckboxSelectMultiple":
        return "col-12 inline-choices"
    if widget == "CheckboxInput":
        return "col-6 col-md-2 pt-md-4"
    return "col-12 col-md-4 col-lg-3"
