"""The recommender's queue and the bureau's list: header and rows rendered from one column
table (reviews.columns, which says why the rows are built in Python)."""

from django import template
from django.utils.safestring import mark_safe

from .. import columns

register = template.Library()


@register.simple_tag
def queue_head(shown, showing):
    """The list's header row, from the same column table as its rows."""
    return mark_safe(columns.head(shown, showing))


@register.simple_tag
def queue_rows(items, organisation, shown):
    """<tr> rows for `items` as `organisation` sees them, in the `shown` columns."""
    return mark_safe(columns.rows(items, organisation, shown))


@register.simple_tag(takes_context=True)
def list_columns(context, organisation):
    """The columns the viewing user sees on this organisation's list (reviews.columns)."""
    return columns.shown(context["user"], organisation)


@register.simple_tag(takes_context=True)
def column_choices(context, organisation):
    """(column, shown) for each column the user may show or hide, for the 显示列 form."""
    user = context["user"]
    return [(c, columns.is_shown(c, user, organisation)) for c in columns.choosable(organisation)]
