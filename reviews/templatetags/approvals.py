"""What an item page shows of 人社部批准 (its 文号 and date) to the organisation reading it."""

from django import template

register = template.Library()


@register.filter
def mohrss_approval(item, organisation) -> str:
    """`{{ app|mohrss_approval:request.user.organisation }}`: empty until the reader may see it
    (applications.models.Application.mohrss_approval_for)."""
    return item.mohrss_approval_for(organisation) if hasattr(item, "mohrss_approval_for") else ""
