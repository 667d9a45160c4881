"""The bases' pages: the bureau's registry and a unit's own bases. 附件2's edit and
confirmation pages are the one edit view of every kind (reviews.editing), shown as EDITOR
declares."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from shanghai_experts.items import Editor
from shanghai_experts.models import Call
from shanghai_experts.permissions import permission_required
from shanghai_experts.text import parse_id

from . import services
from .choices import BaseLevel
from .forms import AssessmentBundle, BaseForm
from .models import Assessment, Base


@permission_required("bases.see_bases")
def base_list(request):
    """The bureau's registry of bases; a unit's own bases. Both with this call's assessments."""
    org = request.user.organisation
    call = Call.objects.current()
    bases = Base.objects.visible_to(request.user).select_related("host_unit")
    level = request.GET.get("level", "")
    if level in BaseLevel.values:
        bases = bases.filter(level=level)
    year = request.GET.get("year", "")
    if (selected := parse_id(year)) is not None and selected < 10000:
        bases = bases.filter(year_selected=selected)
    assessments = {}
    if call is not None:
        # The bureau sees that an assessment it opened is still a draft (its state), not the
        # draft itself: the link to it appears once it is submitted.
        scope = Assessment.objects.filter(
            unit__in=Base.objects.visible_to(request.user).values("host_unit")
        )
        assessments = {
            a.base_id: a
            for a in scope.filter(call=call).only(
                "id", "base_id", "state", "rectify_deadline", "call_id", "version"
            )
        }
    rows = [(base, assessments.get(base.pk)) for base in bases]
    context = {
        "call": call,
        "rows": rows,
        "organisation": org,
        "level": level,
        "year": year,
        "levels": BaseLevel.choices,
    }
    if org.is_bureau and call is not None:
        context["due"] = list(services.bases_due(call))
    return render(request, "bases/list.html", context)


@permission_required("bases.register_base")
def base_form(request, pk=None):
    base = get_object_or_404(Base, pk=pk) if pk else None
    form = BaseForm(request.POST or None, instance=base)
    if request.method == "POST":
        if form.is_valid():
            base = form.save()
            messages.success(request, f"已保存基地“{base}”。")
            return redirect("bases:list")
        messages.error(request, "未保存：请更正标出的内容。")
    return render(request, "bases/base_form.html", {"form": form, "base": base})


#: 附件2's edit and confirmation pages, as the one edit view (reviews.editing) shows them.
EDITOR = Editor(
    AssessmentBundle,
    pages="bases:assessment_",
    item_name="assessment",
    done=lambda assessment: f"已提交至{assessment.recommender}。",
)
