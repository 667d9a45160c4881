"""The call's notice on the site: readable before login, set as the document is (no literal
checkbox tags, no sentence broken in two, the forms' grids as tables), and nothing private."""

import io
import re
import subprocess
from html import unescape
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse

from portal import notice
from reviews.engine import workflow
from reviews.models import RenderedPdf

from .factories import CompleteApplicationFactory, UnitFactory, UserFactory

NOTICE = Path(settings.BASE_DIR) / "shanghai_experts" / "data" / "notice-2026-14.txt"


@pytest.fixture
def published(call):
    call.notice_text = NOTICE.read_text(encoding="utf-8").strip()
    call.bureau_email = "zjczjgz@163.com"
    call.save()
    return call


def text_of(page: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", page))


def test_the_notice_is_public_and_set_as_the_document(client, published):
    response = client.get(reverse("notice"))
    assert response.status_code == 200  # no login
    page = response.content.decode()
    body = page.split('data-testid="notice"')[1].split("</article>")[0]
    assert "input" not in body  # neither a checkbox tag nor its escaped text
    source = NOTICE.read_text(encoding="utf-8")
    assert body.count("☐") == source.count('<input type="checkbox"/>') == 35
    # The sentences the copy broke where its page wrapped read whole.
    text = text_of(body)
    assert "我们将对全市申报项目进行综合评估" in text
    assert "向市人力资源社会保障局择优申报，于2026年2月6日前将书面材料函报" in text
    # The three forms' grids are tables: 附件1 row by row, 附件3 with its 12 headers.
    tables = re.findall(r'<table class="[^"]*notice-grid[^"]*"[^>]*>(.*?)</table>', body, re.S)
    grid1 = [
        [text_of(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", tables[0], re.S)
    ]
    assert grid1[1] == ["服务团名称", ""]
    assert grid1[3] == ["申报类别", "☐ 国家级 ☐ 市级", ""]
    assert grid1[9] == ["负责部门", "", "联系人", "", "办公电话", ""]
    assert '<td colspan="5"></td>' in tables[0]  # the box beside 服务团名称 spans the grid
    headers = re.findall(r"<td[^>]*>(.*?)</td>", tables[-1])
    assert headers[0] == "序号" and headers[-1] == "联系人姓名、电话" and len(headers) == 12
    assert "阅读申报通知与附件表样" in client.get(reverse("login")).content.decode()


def test_paragraphs_join_only_where_a_sentence_was_cut():
    blocks = notice.blocks(
        "一、申报要求\n\n要高度重视，我们将对全\n\n市申报项目进行评估。\n\n2026 年 1 月 19 日"
    )
    assert [(b.kind, b.text) for b in blocks] == [
        ("heading", "一、申报要求"),
        ("paragraph", "要高度重视，我们将对全市申报项目进行评估。"),
        ("line", "2026 年 1 月 19 日"),
    ]
    # A title (no comma) followed by the addressees is not one sentence.
    title = notice.blocks("关于组织申报的通知\n\n市政府各委、办、局，各有关单位：")
    assert [b.text for b in title] == ["关于组织申报的通知", "市政府各委、办、局，各有关单位："]


def test_before_login_nothing_private_shows(client, published):
    unit = UnitFactory(name="保密测试医院")
    app = CompleteApplicationFactory(call=published, unit=unit, name="不应公开的服务团")
    workflow.transition(app, "submit", user=UserFactory(organisation=unit, email="clerk@x.org"))
    page = client.get(reverse("notice")).content.decode()
    for secret in ("不应公开的服务团", "保密测试医院", "clerk@x.org", app.reference, "13812345678"):
        assert secret not in page
    assert 'data-testid="public-notice"' in page  # tells a visitor to register or log in
    assert "退出" not in page  # no one's menu
    for form in ("1", "2"):
        response = client.get(reverse("blank_form", args=[form]))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
        ).stdout.decode()
        assert "空白表样" in text and "不应公开的服务团" not in text and "保密测试医院" not in text
    content = b"".join(client.get(reverse("blank_form", args=["3"])).streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet["A2"].value == "序号" and sheet["A3"].value.startswith("注")  # no rows
    # Reading is public; sending is not.
    assert client.post(reverse("notice"), {"x": "1"}).status_code in (403, 405)


def test_a_blank_form_is_rendered_once_then_read_from_storage(client, published):
    first = client.get(reverse("blank_form", args=["1"])).content
    assert RenderedPdf.objects.count() == 1
    for _ in range(3):
        assert client.get(reverse("blank_form", args=["1"])).content == first
    assert RenderedPdf.objects.count() == 1
