"""Helpers the review pages share."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from shanghai_experts.items import APPLICATION, ItemKind, kind_of
from shanghai_experts.models import Call

PAGE_SIZE = 50


def item_getter(*related):
    """For permission_required's `fn`: the item of the URL's kind (shanghai_experts.items: an
    ItemKind or its code) and pk, with `related` loaded in the same query; the rule then
    decides who may see it."""

    def item(request, pk, kind=APPLICATION.code, **_):
        model = (kind if isinstance(kind, ItemKind) else kind_of(kind)).model
        return get_object_or_404(model.objects.select_related(*related), pk=pk)

    return item


def current_call() -> Call:
    call = Call.objects.current()
    if call is None:
        raise Http404
    return call
