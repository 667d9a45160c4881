"""The columns a user chose for the project lists (reviews.columns)."""

from django.http import QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from shanghai_experts.permissions import permission_required

from .. import columns


@require_POST
@permission_required("reviews.see_queue")
def list_columns(request):
    """Keep the optional columns ticked (or, with 恢复默认, the default set), then back to the
    list with its filters and page as they were."""
    org = request.user.organisation
    keys = None if "reset" in request.POST else request.POST.getlist("columns")
    columns.choose(request.user, org, keys)
    # The list's own query, parsed and encoded again: it can only lead back to the list.
    query = QueryDict(request.POST.get("query", "")).urlencode()
    return redirect(reverse("reviews:queue") + (f"?{query}" if query else ""))
