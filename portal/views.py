import uuid

from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from applications.models import Application
from applications.services import creation_refusal
from bases.models import Assessment
from bases.services import has_priority
from reviews.documents import exports, printing
from reviews.engine import guidance
from shanghai_experts.items import KINDS
from shanghai_experts.models import Call
from shanghai_experts.states import State

from .notice import blocks as notice_blocks
from .todo import todo_for


def home(request):
    """Where every user lands: the open call, its deadlines and the organisation's items."""
    user = request.user
    org = user.organisation
    # With the organisation's deadline extension in the same query: its 本单位截止时间 and the
    # unit's 新建 check read it from the call, asking nothing more.
    call = Call.objects.current(org)
    context = {"call": call, "organisation": org, "now": timezone.now()}
    if org is not None and org.is_reviewer_panel:
        return redirect("reviews:my_reviews")
    # A district office's and the bureau's to-do counts, each leading to its list.
    context["todo"] = todo_for(user, call)
    if org is None or call is None:
        return render(request, "home.html", context)
    items = Application.objects.visible_to(user).filter(call=call).for_list()
    context["deadline"] = call.deadline_for(org)
    context["deadline_passed"] = timezone.now() > context["deadline"]
    if org.is_unit:
        items = items.order_by("-updated_at")
        context["assessments"] = (
            Assessment.objects.visible_to(user)
            .filter(call=call)
            .select_related("call", "base", "recommender")
        )
        context["priority"] = has_priority(org, call)
        context["new_token"] = uuid.uuid4()
        context["can_create"] = creation_refusal(org, call) is None
        # What the unit has been told of its items, at the top of its home page.
        items = list(items)
        context["assessments"] = list(context["assessments"])
        found = guidance.results_for([*items, *context["assessments"]], org)
        context["results"] = [
            (item, found[id(item)])
            for item in (*items, *context["assessments"])
            if id(item) in found
        ]
    else:
        items = items.exclude(state=State.DRAFT).order_by("-submitted_at")[:50]
    context["items"] = items
    return render(request, "home.html", context)


@login_not_required
@require_safe
def notice(request):
    """The call's notice, as the bureau published it, with its three forms as blank samples.
    Public (此件主动公开): read before registering; it shows the call and nothing of anyone's
    items."""
    call = Call.objects.current()
    if call is None:
        raise Http404
    return render(request, "notice.html", {"call": call, "blocks": notice_blocks(call.notice_text)})


#: The blank samples of the notice's forms, by number (notice/forms/1/ is 附件1's).
BLANK_FORMS = {kind.form.removeprefix("附件"): kind for kind in KINDS.values()}


@login_not_required
@require_safe
def blank_form(request, form):
    """空白表样: 附件1 or 附件2 as a PDF, 附件3 as the .xlsx, with every box empty."""
    call = Call.objects.current()
    if call is None:
        raise Http404
    if form == "3":
        handle, _count = exports.export(call, None, None)
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"附件3-{call.year}年专家服务基层项目一览表（空白）.xlsx",
        )
    kind = BLANK_FORMS.get(form)
    if kind is None:
        raise Http404
    # Rendered once and kept (printing.stored_pdf): an anonymous visitor costs a file read.
    pdf = printing.stored_pdf(printing.blank_form_html(kind, call))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        False, f"{kind.form}-{call.year}年{kind.form_title}（空白）.pdf"
    )
    return response
