"""专家名单导入 (issue 23): a roster of 20 from the .xlsx template or pasted rows, previewed, then
confirmed; read within the same bounded reader as 批量开通 (issue 24)."""

import io
import time

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from applications import roster
from applications.models import Application
from shanghai_experts.states import State

from .factories import ApplicationFactory, UserFactory
from .test_bounded_imports import one_huge_cell

NAMES = [f"专家{i:02d}" for i in range(20)]


@pytest.fixture
def draft(client, call):
    app = ApplicationFactory(call=call, name="内分泌服务团")
    client.force_login(UserFactory(organisation=app.unit))
    return app


def filled_template(client, app, rows) -> io.BytesIO:
    """The template as the page serves it, filled in as a unit would."""
    response = client.get(reverse("applications:roster_template", args=[app.pk]))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb["专家名单"]
    for offset, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            ws.cell(row=offset, column=column, value=value)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "专家名单.xlsx"
    return out


def roster_rows(n=20):
    return [
        [
            name,
            "瑞金医院",
            "本单位" if i % 2 == 0 else "外单位",
            "主任医师",
            "正高级",
            "享受政府特殊津贴、上海市领军人才" if i == 0 else "",
            "",
            "内分泌",
            "13812345678",
            "是" if i == 0 else "否",
        ]
        for i, name in enumerate(NAMES[:n])
    ]


def preview(client, app, **data):
    return client.post(reverse("applications:roster_import", args=[app.pk]), data)


def confirm(client, app, page):
    token = page.split('name="token" value="')[1].split('"')[0]
    return client.post(
        reverse("applications:roster_confirm", args=[app.pk]), {"token": token}, follow=True
    )


def test_the_template_reads_back_as_the_columns_the_import_expects(client, draft):
    response = client.get(reverse("applications:roster_template", args=[draft.pk]))
    wb = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in wb["专家名单"][1]] == roster.HEADERS
    notes = " ".join(str(row[0].value) for row in wb["填写说明"].iter_rows())
    assert "一次最多 50 名专家" in notes and "享受政府特殊津贴" in notes


def test_twenty_experts_from_the_template_preview_then_confirm(client, draft):
    upload = filled_template(client, draft, roster_rows())
    page = preview(client, draft, file=upload).content.decode()
    assert "共读到 <strong>20</strong> 名专家" in page
    assert not draft.experts.exists()  # the preview saves nothing
    assert "享受政府特殊津贴、其他（上海市领军人才）" not in page  # labels, not codes
    assert "享受政府特殊津贴、上海市领军人才" in page
    done = confirm(client, draft, page).content.decode()
    assert "已导入专家名单：共 20 人" in done
    draft.refresh_from_db()
    assert draft.expert_count == 20
    experts = list(draft.experts.order_by("position"))
    assert [e.name for e in experts] == NAMES
    first = experts[0]
    assert (first.affiliation, first.title_level, first.is_leader) == ("own", "senior", True)
    assert first.talents == ["special_allowance", "other"]
    assert first.talent_other == "上海市领军人才"
    assert experts[1].affiliation == "external" and not experts[1].is_leader
    # and the edit page shows them in its roster
    edit = client.get(reverse("applications:edit", args=[draft.pk])).content.decode()
    assert 'value="专家19"' in edit


def test_pasted_rows_with_their_header_import_alike(client, draft):
    text = "\n".join(
        "\t".join(row) for row in [roster.HEADERS, *[[str(c) for c in r] for r in roster_rows()]]
    )
    page = preview(client, draft, pasted=text).content.decode()
    assert "共读到 <strong>20</strong> 名专家" in page
    confirm(client, draft, page)
    assert draft.experts.count() == 20


def test_problems_are_listed_and_nothing_can_be_confirmed(client, draft):
    rows = roster_rows(3)
    rows[1][2] = "兼职"
    rows[2][0] = ""
    rows[2][8] = "1234"
    page = preview(client, draft, file=filled_template(client, draft, rows)).content.decode()
    assert "第 3 行" in page and "本单位/外单位" in page and "应为：本单位、外单位。" in page
    assert "请填写姓名。" in page and "手机号码应为 11 位数字" in page
    assert 'name="token"' not in page
    assert not draft.experts.exists()


def test_more_than_the_cap_is_refused(client, draft):
    text = "\n".join("\t".join(r) for r in [[f"专家{i}", "单位"] for i in range(51)])
    page = preview(client, draft, pasted=text).content.decode()
    assert "专家名单最多 50 人，请删除多余的行。" in page


def test_a_bomb_is_refused_at_the_bounded_cost(client, draft):
    upload = one_huge_cell(150)
    upload.name = "专家名单.xlsx"
    start = time.process_time()
    page = preview(client, draft, file=upload).content.decode()
    assert time.process_time() - start < 1.0
    assert "文件过大" in page or "文件内容展开后过大" in page


def test_a_save_between_preview_and_confirm_is_not_overwritten(client, draft):
    page = preview(client, draft, file=filled_template(client, draft, roster_rows(2))).content
    Application.objects.filter(pk=draft.pk).update(version=draft.version + 1)
    done = confirm(client, draft, page.decode()).content.decode()
    assert "未导入：预览之后，本申报已被保存过" in done
    assert not draft.experts.exists()


def test_a_token_for_another_application_is_refused(client, draft, call):
    page = preview(client, draft, file=filled_template(client, draft, roster_rows(2))).content
    other = ApplicationFactory(call=call, unit=draft.unit)
    done = confirm(client, other, page.decode()).content.decode()
    assert "预览已过期或无效" in done
    assert not other.experts.exists()


def test_only_the_units_own_editable_application(client, draft, call):
    foreign = ApplicationFactory(call=call)
    assert client.get(reverse("applications:roster_import", args=[foreign.pk])).status_code == 404
    Application.objects.filter(pk=draft.pk).update(state=State.SUBMITTED)
    assert client.get(reverse("applications:roster_import", args=[draft.pk])).status_code == 404


def test_the_edit_page_links_to_the_import(client, draft):
    page = client.get(reverse("applications:edit", args=[draft.pk])).content.decode()
    assert reverse("applications:roster_import", args=[draft.pk]) in page
