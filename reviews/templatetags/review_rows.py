"""The rows of the 评审专家's list, built in Python like the queue's (queue_rows)."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from shanghai_experts.links import pk_url
from shanghai_experts.templatetags.ui import minute

from ..models import ReviewAssignment

register = template.Library()

Status = ReviewAssignment.Status
STATUS_BADGES = {
    Status.PENDING: "warning",
    Status.TO_SCORE: "primary",
    Status.SCORED: "success",
    Status.RECUSED: "secondary",
}


def _row(assignment, url) -> str:
    app = assignment.application
    status = assignment.status
    cells = [
        f'<td class="text-nowrap">{app.reference}</td>',
        f'<td class="col-name"><a href="{url(app.pk)}">{escape(str(app))}</a></td>',
        f"<td>{escape(str(app.unit))}</td>",
        f"<td>{escape(app.service_field or '')}</td>",
        f'<td class="col-state"><span class="badge text-bg-{STATUS_BADGES[status]}" '
        f'data-testid="review-status">{Status(status).label}</span></td>',
        f'<td class="text-nowrap small">{minute(assignment.assigned_at)}</td>',
    ]
    return "<tr>" + "".join(cells) + "</tr>"


@register.simple_tag
def review_rows(assignments):
    """<tr> rows for a page of the reviewer's assignments."""
    url = pk_url("reviews:review")
    return mark_safe("\n".join(_row(a, url) for a in assignments))
