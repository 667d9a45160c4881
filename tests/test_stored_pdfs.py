"""A submitted form is rendered once per version and then served from storage."""

import pytest
from django.urls import reverse

from reviews.documents import printing
from reviews.engine import workflow
from reviews.models import RenderedPdf

from .downloads import job_file
from .factories import CompleteApplicationFactory, UnitFactory, UserFactory


@pytest.fixture
def submitted(call):
    unit = UnitFactory()
    app = CompleteApplicationFactory(call=call, unit=unit)
    return workflow.transition(app, "submit", user=UserFactory(organisation=unit))


def test_the_second_download_renders_nothing(client, submitted, monkeypatch):
    client.force_login(UserFactory(organisation=submitted.unit))
    url = reverse("reviews:pdf", args=[submitted.pk])
    first = client.get(url).content
    assert RenderedPdf.objects.count() == 1
    renders = []
    monkeypatch.setattr(printing, "render_html", lambda html: renders.append(html) or b"")
    second = client.get(url).content
    assert renders == [] and second == first
    # The ZIP serves the stored file too.
    client.force_login(UserFactory(organisation=submitted.recommender))
    content, _ = job_file(client, client.post(reverse("reviews:zip"), {"selected": [submitted.pk]}))
    assert content
    assert renders == []


def test_the_stored_file_is_what_a_fresh_render_gives(submitted):
    stored = printing.form_pdf(submitted)
    assert stored == printing.render_html(printing.form_html(submitted))
    with RenderedPdf.objects.get().file.open("rb") as fh:
        assert fh.read() == stored


def test_a_new_round_gets_a_new_stored_pdf(submitted):
    old = printing.form_pdf(submitted)
    district = UserFactory(organisation=submitted.recommender)
    app = workflow.transition(submitted, "return", user=district, comment="请修改")
    app.service_count = 7
    app.save()
    app = workflow.transition(app, "submit", user=UserFactory(organisation=app.unit))
    new = printing.form_pdf(app)
    assert new != old and RenderedPdf.objects.count() == 2


def test_a_draft_is_rendered_every_time_and_never_stored(call):
    draft = CompleteApplicationFactory(call=call)
    printing.form_pdf(draft)
    assert RenderedPdf.objects.count() == 0


def test_a_stored_pdf_whose_file_is_gone_is_rendered_again(client, submitted):
    """A volume or bucket restored without a file: the page still gives the PDF (rendered and
    stored again), never a server error."""
    client.force_login(UserFactory(organisation=submitted.unit))
    url = reverse("reviews:pdf", args=[submitted.pk])
    first = client.get(url).content
    stored = RenderedPdf.objects.get()
    stored.file.storage.delete(stored.file.name)
    response = client.get(url)
    assert response.status_code == 200 and response.content == first
    again = RenderedPdf.objects.get()
    assert again.file.storage.exists(again.file.name)
