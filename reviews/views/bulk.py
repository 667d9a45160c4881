"""Bulk actions on a queue (受理; 列入市级服务团, 不予入选): a confirmation page that lists the
items, warns about scores that need a second look, and carries each item's version; then each
item goes through the workflow on its own, and the page says which succeeded and why not."""

from django.contrib import messages
from django.shortcuts import redirect, render

from applications.models import Application
from bases.models import Assessment
from shanghai_experts.http import client_ip
from shanghai_experts.text import parse_id, parse_ids

from ..cautions import with_cautions
from ..engine import workflow

COMMENT_LIMIT = 2000
#: A list page shows 50 rows a tab: one action never takes more than two pages' worth, so
#: one request's work (a transaction, an audit record and a notice per item) stays bounded.
BULK_LIMIT = 100


def _version_key(item) -> str:
    return f"version-{item.workflow_kind}-{item.pk}"


def bulk(request):
    """The queue's bulk form posts here: first the confirmation, then (confirmed) the action."""
    org = request.user.organisation
    allowed = {
        action: workflow.TRANSITIONS[action]
        for action in workflow.BULK_ACTIONS[workflow.bulk_role(org)]
    }
    action = request.POST.get("bulk_action", "")
    apps = parse_ids(request.POST.getlist("selected"))
    assessments = parse_ids(request.POST.getlist("selected_assessment"))
    if action not in allowed:
        messages.error(request, "请选择要执行的操作。")
        return redirect("reviews:queue")
    t = allowed[action]
    if not (apps or assessments):
        messages.error(request, f"请勾选要{t.label}的项目。")
        return redirect("reviews:queue")
    if len(set(apps)) + len(set(assessments)) > BULK_LIMIT:
        messages.error(request, f"一次最多可{t.label} {BULK_LIMIT} 个项目，请分批勾选。")
        return redirect("reviews:queue")
    comment = request.POST.get("bulk_comment", "").replace("\x00", "")[:COMMENT_LIMIT]
    items = [
        *Application.objects.visible_to(request.user)
        .filter(pk__in=apps)
        .select_related("call", "unit", "recommender"),
        *Assessment.objects.visible_to(request.user)
        .filter(pk__in=assessments)
        .select_related("call", "unit", "recommender", "base"),
    ]
    if not items:
        messages.error(request, f"请勾选要{t.label}的项目。")
        return redirect("reviews:queue")
    missing_reason = t.comment_required and not comment.strip()
    if request.POST.get("confirmed") != "1" or missing_reason:
        return _confirm_page(request, t, items, comment, missing_reason)
    done, refused = 0, []
    for item in items:
        version = parse_id(request.POST.get(_version_key(item)))
        try:
            if version is None:
                raise workflow.WorkflowError("页面已过期，请重新勾选后再操作。")
            workflow.transition(
                item,
                action,
                user=request.user,
                comment=comment,
                client_ip=client_ip(request),
                version=version,
            )
            done += 1
        except workflow.WorkflowError as exc:
            refused.append(f"{item}：{exc}")
    if done:
        messages.success(request, f"已{t.label} {done} 个项目。")
    for line in refused:
        messages.error(request, f"未能{t.label}：{line}")
    return redirect("reviews:queue")


def _confirm_page(request, t, items, comment, reason_error):
    items = with_cautions(items, request.user.organisation)
    for item in items:
        item.version_key = _version_key(item)
        item.refusal = workflow.refusal(item, t.action, request.user, run_checks=False)
    return render(
        request,
        "reviews/bulk_confirm.html",
        {
            "transition": t,
            "items": items,
            "flagged": [i for i in items if i.cautions and not i.refusal],
            "refused": [i for i in items if i.refusal],
            "actionable": [i for i in items if not i.refusal],
            "comment": comment,
            "reason_error": f"“{t.label}”须填写意见（理由，各项共用）。" if reason_error else "",
        },
    )
