"""The 评审专家's list, header and rows from one column table, built in Python like the queue's
(reviews.columns says why)."""

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


def _status(assignment, url) -> str:
    status = assignment.status
    return (
        f'<span class="badge text-bg-{STATUS_BADGES[status]}" '
        f'data-testid="review-status">{Status(status).label}</span>'
    )


#: (header, the header's class, the cell's class, the cell's HTML for an assignment). What a
#: reviewer sees is the submitted content only: no other reviewer, score, rank or contact.
COLUMNS = (
    ("编号", "", "text-nowrap", lambda a, url: a.application.reference),
    (
        "服务团名称",
        "col-name",
        "col-name",
        lambda a, url: f'<a href="{url(a.application.pk)}">{escape(str(a.application))}</a>',
    ),
    ("申报单位", "", "", lambda a, url: escape(str(a.application.unit))),
    ("服务领域", "", "", lambda a, url: escape(a.application.service_field or "")),
    ("状态", "col-state", "col-state", _status),
    ("分配时间", "", "text-nowrap small", lambda a, url: minute(a.assigned_at)),
)


def _open(tag: str, css: str) -> str:
    return f'<{tag} class="{css}">' if css else f"<{tag}>"


@register.simple_tag
def review_head():
    """The list's header row, from the same table as its rows."""
    return mark_safe(
        "<tr>"
        + "".join(f"{_open('th', th)}{header}</th>" for header, th, _, _ in COLUMNS)
        + "</tr>"
    )


@register.simple_tag
def review_rows(assignments):
    """<tr> rows for a page of the reviewer's assignments."""
    url = pk_url("reviews:review")
    cells = [(_open("td", td), cell) for _, _, td, cell in COLUMNS]
    return mark_safe(
        "\n".join(
            "<tr>" + "".join(f"{open_}{cell(a, url)}</td>" for open_, cell in cells) + "</tr>"
            for a in assignments
        )
    )
