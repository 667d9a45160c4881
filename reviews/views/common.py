"""Helpers the review pages share."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from applications.models import Application
from bases.models import Assessment
from shanghai_experts.items import APPLICATION, ItemKind, kind_of
from shanghai_experts.models import Call

from ..engine import workflow

PAGE_SIZE = 50


def item_getter(*related):
    """For permission_required's `fn`: the item of the URL's kind (shanghai_experts.items: an
    ItemKind or its code) and pk, with `related` loaded in the same query; the rule then
    decides who may see it."""

    def item(request, pk, kind=APPLICATION.code, **_):
        model = (kind if isinstance(kind, ItemKind) else kind_of(kind)).model
        return get_object_or_404(model.objects.select_related(*related), pk=pk)

    return item


def reviewer_org(request):
    org = request.user.organisation
    if org is None or not (org.is_recommender or org.is_bureau):
        raise Http404
    return org


def bureau_org(request):
    """The bureau's own pages: anyone else gets a 404."""
    org = request.user.organisation
    if org is None or not org.is_bureau:
        raise Http404
    return org


def current_call() -> Call:
    call = Call.objects.current()
    if call is None:
        raise Http404
    return call


def workflow_model(kind: str):
    if kind == workflow.ASSESSMENT:
        return Assessment
    return Application
