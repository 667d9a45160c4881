"""Helpers the review pages share."""

from django.http import Http404

from applications.models import Application
from bases.models import Assessment

from .. import (
    workflow,
)

PAGE_SIZE = 50


def reviewer_org(request):
    org = request.user.organisation
    if org is None or not (org.is_recommender or org.is_bureau):
        raise Http404
    return org


def workflow_model(kind: str):
    if kind == workflow.ASSESSMENT:
        return Assessment
    return Application
