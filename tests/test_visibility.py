"""The visibility matrix of shanghai_experts/visibility.py, cell by cell: each role, each state
an item passes at the bureau, each aspect; on the item page, the lists, the .xlsx, the PDF and
the e-mails. And publication, staged."""

import datetime
import io
import re
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from django.core import mail
from django.urls import reverse

from applications.choices import CATEGORY_LIST_LABELS, Category
from applications.models import Application
from reviews import columns, notes, publication, scoring
from reviews.engine import workflow
from reviews.models import AuditRecord, Note, OutboundMail, Publication
from shanghai_experts import visibility
from shanghai_experts.states import State

from .downloads import content_of
from .factories import BureauFactory, CompleteApplicationFactory, UnitFactory, UserFactory

ROLES = ["unit", "recommender", "bureau", "other_unit"]
BUREAU_STATES = [
    State.RECOMMENDED,
    State.NATIONAL_CANDIDATE,
    State.MUNICIPAL_TEAM,
    State.NOT_SELECTED,
    State.NATIONAL_TEAM,
]
LABELS = dict(State.choices)
#: What 人社部批准 records: the Ministry's document number and date.
MOHRSS_DOCUMENT = {
    "document_number": "人社厅函〔2026〕58号",
    "approved_on": datetime.date(2026, 5, 10),
}


@pytest.fixture
def people(db):
    unit = UnitFactory()
    return {
        "unit": UserFactory(organisation=unit),
        "recommender": UserFactory(organisation=unit.district),
        "bureau": UserFactory(organisation=BureauFactory(), first_name="王评审"),
        "other_unit": UserFactory(organisation=UnitFactory()),
    }


def item_in(call, people, state, published=False):
    """An application the bureau has in `state`: scored by 王评审, ranked 1st, funded."""
    unit = people["unit"].organisation
    app = CompleteApplicationFactory(call=call, unit=unit, name="保密测试服务团")
    for action, who in (("submit", "unit"), ("accept", "recommender")):
        app = workflow.transition(app, action, user=people[who])
    app = workflow.transition(app, "recommend", user=people["recommender"], comment="同意")
    criteria = list(call.criteria.all())
    scoring.record_scores(
        app, reviewer=people["bureau"], points={c.pk: Decimal(c.max_points) for c in criteria}
    )
    path = {
        State.NATIONAL_CANDIDATE: ["select_national"],
        State.MUNICIPAL_TEAM: ["select_municipal"],
        State.NOT_SELECTED: ["decline"],
        State.NATIONAL_TEAM: ["select_national", "mohrss_approve"],
    }.get(state, [])
    for action in path:
        if action == "mohrss_approve" and published:
            publication.publish(call=call, stage="selection", user=people["bureau"])
        app = workflow.transition(
            app, action, user=people["bureau"], comment="评审意见", params=MOHRSS_DOCUMENT
        )
    if published and state in visibility.DECISION_STATES:
        stage = "national" if state == State.NATIONAL_TEAM else "selection"
        publication.publish(call=call, stage=stage, user=people["bureau"])
    notes.add_note(app, user=people["recommender"], text="内部：该单位去年执行较好")
    Application.objects.filter(pk=app.pk).update(funding_granted=Decimal("8.5"))
    app.refresh_from_db()
    return app


def expected_state(role, state, published):
    if state not in visibility.DECISION_STATES or allowed(role, "decision", published):
        return state  # published, the published state is the state here
    return State.RECOMMENDED


def allowed(role, aspect, published):
    rule = visibility.MATRIX[
        {"other_unit": visibility.OTHER}.get(role, role)  # the matrix's own names
    ][aspect]
    return rule == visibility.ALWAYS or (rule == visibility.PUBLISHED and published)


@pytest.mark.parametrize("published", [False, True], ids=["before", "published"])
@pytest.mark.parametrize("state", BUREAU_STATES)
@pytest.mark.parametrize("role", ROLES)
def test_the_item_page_shows_each_role_what_the_matrix_allows(
    client, call, people, role, state, published
):
    app = item_in(call, people, state, published)
    published = visibility.is_published(app)  # an undecided item has nothing published
    client.force_login(people[role])
    response = client.get(app.get_absolute_url())
    if role == "other_unit":
        assert response.status_code == 404
        return
    page = response.content.decode()
    badge = page.split('data-testid="state">')[1].split("<")[0]
    assert badge == LABELS[expected_state(role, state, published)]
    history = page.split('data-testid="history"')[1]
    assert ("王评审" in page) == allowed(role, "reviewers", published)
    assert ("评审评分" in history or "均分" in page) == allowed(role, "scores", published)
    assert ("推荐排序：第 1 位" in page) == allowed(role, "rank", published)
    funded = "资助经费 8.50 万元" in page
    assert funded == allowed(role, "funding", published)
    assert ("内部：该单位去年执行较好" in page) == allowed(role, "notes", published)
    decided = state in visibility.DECISION_STATES
    shows_decision = decided and f"→ {LABELS[state]}" in history
    assert shows_decision == (decided and allowed(role, "decision", published))


@pytest.mark.parametrize("state", BUREAU_STATES)
def test_lists_show_the_state_each_may_see(client, call, people, state):
    app = item_in(call, people, state)
    for role, url in (("unit", reverse("home")), ("recommender", reverse("reviews:queue"))):
        client.force_login(people[role])
        page = client.get(url).content.decode()
        assert app.name in page
        assert f'data-testid="state">{LABELS[expected_state(role, state, False)]}<' in page
    client.force_login(people["bureau"])
    page = client.get(reverse("reviews:queue")).content.decode()
    assert f'data-testid="state">{LABELS[state]}<' in page


# --- every list and export, for every role and state, against the matrix ---------------------

#: What a queue column shows of an item, by the column's key (the lists' other columns show
#: nothing the matrix keeps back).
LIST_ASPECTS = {"mean": "scores", "spread": "scores", "rank": "rank", "granted": "funding"}
#: A team the bureau selected, in the state it is seen in (统计's 入选).
SELECTED = {State.NATIONAL_CANDIDATE, State.MUNICIPAL_TEAM, State.NATIONAL_TEAM}
#: The category a decision puts a team in, as the 一览表 names it (a 不予入选 keeps its own).
DECIDED = {
    State.NATIONAL_CANDIDATE: Category.NATIONAL,
    State.NATIONAL_TEAM: Category.NATIONAL,
    State.MUNICIPAL_TEAM: Category.MUNICIPAL,
}


def queue_table(page) -> tuple[list[str], list[dict[str, str]]]:
    """The list's column keys and its rows, each cell's text by its column's key."""
    table = page.split('<table class="table table-hover')[1].split("</table>")[0]
    keys = re.findall(r'data-column="(\w+)"', table.split("</thead>")[0])
    rows = []
    for row in table.split("<tbody>")[1].split("<tr")[1:]:
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        if len(cells) == len(keys):
            rows.append(dict(zip(keys, cells, strict=True)))
    return keys, rows


def workbook(response):
    return openpyxl.load_workbook(io.BytesIO(content_of(response)))


def sheet_rows(sheet) -> dict:
    """A 统计 sheet's rows by their label (first cell)."""
    return {row[0]: row[1:] for row in sheet.iter_rows(min_row=3, values_only=True) if row[0]}


@pytest.mark.parametrize("published", [False, True], ids=["before", "published"])
@pytest.mark.parametrize("state", BUREAU_STATES)
@pytest.mark.parametrize("role", ["recommender", "bureau"])
def test_every_list_and_export_shows_each_role_what_the_matrix_allows(
    client, call, people, role, state, published
):
    """The queue (both tabs, every column the user may choose), its sorts and totals line,
    the 一览表 and the 统计 workbook, as each role with a list reads them."""
    app = item_in(call, people, state, published)
    published = visibility.is_published(app)
    user = people[role]
    user.list_columns = [c.key for c in columns.COLUMNS]  # every column it may show
    user.save(update_fields=["list_columns"])
    client.force_login(user)

    page = client.get(reverse("reviews:queue")).content.decode()
    keys, rows = queue_table(page)
    (row,) = [r for r in rows if r["name"] == app.name]
    assert row["state"] == LABELS[expected_state(role, state, published)]
    seen = {"mean": "100.00（1人）", "spread": "0.00", "rank": "1", "granted": "8.50"}
    for key, aspect in LIST_ASPECTS.items():
        # A column shows what its reader sees on every row, or is not on the list.
        assert (key in keys) == allowed(role, aspect, published=False), key
        assert (row.get(key) == seen[key]) == allowed(role, aspect, published=False), key
    table = page.split("<table")[1].split("</table>")[0]
    assert ("100.00" in table) == allowed(role, "scores", published=False)
    assert ("8.50" in table) == allowed(role, "funding", published=False)
    assert "王评审" not in table or allowed(role, "reviewers", published)  # no list names them
    sorts = page.split('name="sort"')[1].split("</select>")[0]
    assert ('value="-score_mean"' in sorts) == allowed(role, "scores", published=False)
    assert ('data-testid="totals"' in page) == allowed(role, "funding", published=False)
    tab = client.get(reverse("reviews:queue"), {"category": "assessment"}).content.decode()
    assert queue_table(tab)[0] == keys  # the same columns on either tab

    sheet = workbook(client.get(reverse("reviews:export"))).active
    (listed,) = [r for r in sheet.iter_rows(min_row=3, values_only=True) if r[3] == app.name]
    category = DECIDED.get(expected_state(role, state, published), app.category)
    assert listed[2] == CATEGORY_LIST_LABELS[category]
    text = " ".join(str(v) for v in listed if v is not None)
    assert not any(word in text for word in ("王评审", "评分", "8.5"))  # no such column

    books = workbook(client.get(reverse("reviews:statistics"), {"format": "xlsx"}))
    funnel = sheet_rows(books["申报进度"])
    assert funnel["入选（国家级或市级）"][0] == (
        1 if expected_state(role, state, published) in SELECTED else 0
    )
    money = sheet_rows(books["经费"])
    assert money["合计"][1] == (8.5 if allowed(role, "funding", published) else 0)


def test_a_list_reader_stands_in_one_role_to_every_item_it_may_list(call, people):
    """A list decides what its columns show once for its rows (visibility.list_role): the
    role each reader holds toward each item its lists hold (visible_to) is that one."""
    app = item_in(call, people, State.RECOMMENDED)
    for role in ("unit", "recommender", "bureau"):
        user = people[role]
        assert Application.objects.visible_to(user).filter(pk=app.pk).exists()
        assert visibility.list_role(user.organisation) == visibility.role_of(user.organisation, app)
    assert visibility.list_role(None) == visibility.OTHER


@pytest.mark.parametrize("role", ["recommender", "bureau"])
def test_a_confirmation_warns_of_scores_only_to_those_who_see_them(client, call, people, role):
    """The bulk confirmation's 评分 and its cautions (尚无评分, 分歧大) are the scores'."""
    app = item_in(call, people, State.RECOMMENDED)
    fresh = CompleteApplicationFactory(
        call=call, unit=UnitFactory(district=people["unit"].organisation.district)
    )
    fresh = workflow.transition(fresh, "submit", user=UserFactory(organisation=fresh.unit))
    item, action = (fresh, "accept") if role == "recommender" else (app, "decline")
    Application.objects.filter(pk=item.pk).update(
        score_mean=Decimal("70"), score_spread=Decimal("40"), score_count=2
    )
    client.force_login(people[role])
    page = client.post(
        reverse("reviews:queue"), {"bulk_action": action, "selected": [item.pk]}
    ).content.decode()
    assert 'data-testid="bulk-items"' in page
    sees = allowed(role, "scores", published=False)
    assert ("均分 70" in page) == sees
    assert ("评分分歧大" in page) == sees
    assert ('data-testid="cautions"' in page) == sees


def test_the_recommenders_export_and_the_units_pdf_say_nothing_of_the_bureaus_work(
    client, call, people
):
    app = item_in(call, people, State.NOT_SELECTED)
    client.force_login(people["recommender"])
    sheet = workbook(client.get(reverse("reviews:export"))).active
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
    assert app.name in cells
    assert not any(word in c for c in cells for word in ("未入选", "王评审", "均分", "8.5"))
    client.force_login(people["unit"])
    pdf = client.get(reverse("reviews:pdf", args=[app.pk]))
    text = subprocess.run(
        ["pdftotext", "-", "-"],
        input=b"".join(pdf.streaming_content) if pdf.streaming else pdf.content,
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert app.name in text
    assert not any(word in text for word in ("未入选", "王评审", "均分"))


def test_decisions_send_no_mail_before_publication(
    call, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        item_in(call, people, State.NOT_SELECTED)
    subjects = [m.subject for m in mail.outbox]
    assert subjects and not any("不予入选" in s or "拟推荐" in s for s in subjects)
    bodies = "\n".join(m.body for m in mail.outbox)
    assert "未入选" not in bodies and "王评审" not in bodies


# --- publication ------------------------------------------------------------------------------


def test_publication_in_stages(client, call, people, django_capture_on_commit_callbacks):
    call.applications_per_unit = call.recommender_quota = 2
    call.save()
    municipal = item_in(call, people, State.MUNICIPAL_TEAM)
    national = item_in(call, people, State.NATIONAL_CANDIDATE)
    bureau = people["bureau"]
    client.force_login(bureau)
    page = client.get(reverse("reviews:publish")).content.decode()
    assert "将公布 <strong>2</strong> 个项目的结果，通知 1 个申报单位、1 个推荐单位" in page
    assert municipal.name in page and "列入市级服务团" in page

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:publish"),
            {"stage": "selection", "seen": publication.preview(call, "selection").token},
            follow=True,
        )
    assert "已公布市级评审结果" in response.content.decode()
    # A notice for each address of the unit (its account, its form's contact) and of the
    # recommender, one address a message, each listing both results.
    assert len(mail.outbox) == 3 and all(len(m.to) == 1 for m in mail.outbox)
    for message in mail.outbox:
        assert "列入市级服务团" in message.body and "拟推荐国家级" in message.body
    assert Publication.objects.get().items == 2

    # The unit sees both decisions now; the national candidate is not final.
    client.force_login(people["unit"])
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="state">列入市级服务团<' in home
    assert 'data-testid="state">拟推荐国家级<' in home
    history = client.get(municipal.get_absolute_url()).content.decode()
    assert "公布结果" in history and "王评审" not in history

    # The Ministry approves; the unit does not see it until the national stage is published.
    workflow.transition(national, "mohrss_approve", user=bureau, params=MOHRSS_DOCUMENT)
    assert 'data-testid="state">拟推荐国家级<' in client.get(reverse("home")).content.decode()
    client.force_login(bureau)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("reviews:publish"),
            {"stage": "national", "seen": publication.preview(call, "national").token},
        )
    assert len(mail.outbox) == 3 and "列入国家级服务团" in mail.outbox[0].body
    client.force_login(people["unit"])
    assert 'data-testid="state">列入国家级服务团<' in client.get(reverse("home")).content.decode()


def test_publication_waits_for_every_decision(client, call, people):
    call.applications_per_unit = call.recommender_quota = 2
    call.save()
    item_in(call, people, State.MUNICIPAL_TEAM)
    item_in(call, people, State.RECOMMENDED)
    client.force_login(people["bureau"])
    page = client.get(reverse("reviews:publish")).content.decode()
    assert "还有 1 个已推荐的项目尚未作出决定" in page and 'data-testid="confirm"' not in page
    with pytest.raises(workflow.WorkflowError, match="尚未作出决定"):
        publication.publish(call=call, stage="selection", user=people["bureau"])
    assert not Publication.objects.exists()


def test_only_the_bureau_publishes(client, call, people):
    item_in(call, people, State.MUNICIPAL_TEAM)
    client.force_login(people["recommender"])
    assert client.get(reverse("reviews:publish")).status_code == 404
    assert client.post(reverse("reviews:publish"), {"stage": "selection"}).status_code == 404
    assert not Publication.objects.exists()


def test_a_published_decision_is_revoked_only_with_a_reason_and_the_unit_is_told(
    call, people, django_capture_on_commit_callbacks
):
    app = item_in(call, people, State.NOT_SELECTED)
    publication.publish(call=call, stage="selection", user=people["bureau"])
    with pytest.raises(workflow.WorkflowError, match="须填写意见"):
        workflow.transition(app, "revoke_decision", user=people["bureau"])
    OutboundMail.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        app = workflow.transition(
            app, "revoke_decision", user=people["bureau"], comment="材料核实有误，重新评审"
        )
    assert (app.state, app.published_state) == (State.RECOMMENDED, "")
    # One notice, sent to each address on its own.
    assert {m.subject for m in OutboundMail.objects.all()} == {OutboundMail.objects.first().subject}
    assert "撤销决定" in OutboundMail.objects.first().subject


def test_internal_notes_pass_between_recommender_and_bureau_only(client, call, people):
    app = item_in(call, people, State.RECOMMENDED)
    client.force_login(people["bureau"])
    client.post(reverse("reviews:note", args=[app.pk]), {"text": "请核实经费测算"})
    client.force_login(people["recommender"])
    page = client.get(app.get_absolute_url()).content.decode()
    assert "请核实经费测算" in page
    client.force_login(people["unit"])
    page = client.post(
        reverse("reviews:note", args=[app.pk]), {"text": "单位想写"}, follow=True
    ).content.decode()
    assert "只有推荐单位和市人社局可以填写内部意见" in page
    assert "请核实经费测算" not in page
    assert Note.objects.count() == 2  # item_in's and the bureau's
    assert AuditRecord.objects.filter(action="note", object_id=app.pk).count() == 2
