import uuid

from django.shortcuts import redirect, render
from django.utils import timezone

from applications.models import Application
from applications.services import creation_refusal
from bases.models import Assessment
from bases.services import has_priority
from shanghai_experts.models import Call
from shanghai_experts.states import State


def home(request):
    """Where every user lands: the open call, its deadlines and the organisation's items."""
    user = request.user
    org = user.organisation
    call = Call.objects.current()
    context = {"call": call, "organisation": org, "now": timezone.now()}
    if org is not None and org.is_reviewer_panel:
        return redirect("reviews:my_reviews")
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
    else:
        items = items.exclude(state=State.DRAFT).order_by("-submitted_at")[:50]
    context["items"] = items
    return render(request, "home.html", context)
