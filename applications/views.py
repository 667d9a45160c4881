"""The unit's pages of 附件1: 新建申报 here; the edit and confirmation pages are the one edit
view of every kind (reviews.editing), shown as EDITOR declares."""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from shanghai_experts.items import Editor
from shanghai_experts.models import Call
from shanghai_experts.permissions import permission_required

from .forms import ApplicationBundle
from .services import CreationRefused, create_application


@require_POST
@permission_required("applications.create_application")
def create(request):
    unit = request.user.organisation
    call = Call.objects.current()
    if call is None:
        raise Http404
    try:
        token = uuid.UUID(request.POST.get("token", ""))
    except ValueError:
        token = None
    try:
        app, created = create_application(unit=unit, call=call, token=token)
    except CreationRefused as exc:
        messages.error(request, str(exc))
        return redirect("home")
    if created:
        messages.success(request, "已新建申报草稿，可随时保存，之后继续填写。")
    return redirect("applications:edit", pk=app.pk)


def _submit_context(app) -> dict:
    """Beside the application on its confirmation page: its rows and what they count."""
    context = app.form_context()
    context["city_count"], context["county_count"] = context["place_counts"]
    return context


#: 附件1's edit and confirmation pages, as the one edit view (reviews.editing) shows them.
EDITOR = Editor(
    ApplicationBundle,
    pages="applications:",
    item_name="app",
    done=lambda app: f"已提交至{app.recommender}。推荐单位受理前，您可在此查看申报状态。",
    what="申报表",
    submit_context=_submit_context,
)
