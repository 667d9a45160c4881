"""The printed 附件1 and 附件2 are the notice's forms: every label whole and in the notice's
order, what the notice does not ask on a continuation sheet, and page 1 pixel-close to a
committed reference image, so that a layout change is a deliberate update of the reference.

Update the reference after a deliberate change with:

    UPDATE_PDF_REFERENCE=1 .venv/bin/python -m pytest tests/test_pdf_layout.py
"""

import os
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from reviews.documents import printing
from shanghai_experts.items import APPLICATION, ASSESSMENT
from shanghai_experts.states import State

from .factories import (
    AssessmentFactory,
    CompleteApplicationFactory,
    DistrictFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db
REFERENCE = Path(__file__).resolve().parent / "reference"

#: 附件1's labels as the notice prints them, top to bottom, left to right.
APPLICATION_LABELS = [
    "附件1",
    "年专家服务基层示范团项目申报表",
    "一、基本信息",
    "服务团名称",
    "申报单位",
    "申报类别",
    "国家级",
    "市级",
    "是否依托专家服务基地",
    "部级、省级、市级",
    "基地名称",
    "参与服务专家人数",
    "服务次数",
    "开始时间",
    "结束时间",
    "活动地点",
    "个地市、",
    "个区县，分别是：",
    "服务领域",
    "负责部门",
    "联系人",
    "办公电话",
    "手机",
    "E-mail",
    "对口帮扶情况",
    "（可多选）",
    "跨省帮扶",
    "国家乡村振兴重点帮扶县",
    "非国家乡村振兴重点帮扶县",
    "省内帮扶",
    "国家乡村振兴重点帮扶县",
    "非国家乡村振兴重点帮扶县",
    "拟采取的服务形式",
    "（可多选）",
    "技术指导",
    "技术推广",
    "项目合作",
    "成果转化",
    "人才培养",
    "决策咨询",
    "科普宣传",
    "义诊",
    "其他",
    "拟开展的服务内容",
    "（服务内容、组织形式等，",  # the hint breaks after its comma, as a person would
    "不超过1000字）",
    "二、经费保障",
    "（万元）",
    "包括项目经费预算金额、预算明细及来源等。",
    "申报单位意见",
    "（盖章）",
    "推荐单位意见",
    "（委办局、区人社局）",
    "（盖章）",
]

#: 附件2's labels as the notice prints them.
ASSESSMENT_LABELS = [
    "附件2",
    "年专家服务基地动态管理表",
    "一、基本信息",
    "基地名称",
    "依托单位名称",
    "类别",
    "国家级",
    "市级",
    "服务的区域",
    "所属行业领域",
    "依托单位类型",
    "高新技术开发区",
    "经济技术开发区",
    "产业园区",
    "创业园区",
    "技术示范基地",
    "产业化示范基地",
    "高新技术企业",
    "基层科研机构",
    "专业技术协会",
    "农村合作组织",
    "技术中介服务组织",
    "其他",
    "对口联系专家人数",
    "（副高及以上职称）",
    "本单位专家：",
    "外单位专家：",
    "负责部门",
    "联系人",
    "办公电话",
    "手机",
    "E-mail",
    "通讯地址",
    "二、开展专家服务活动情况",
    "（已开展专家服务基层工作的单位填写）",
    "1.开展专家服务的制度建设情况",
    "2.柔性引才机制建立及运行情况",
    "3.近年来开展专家服务活动情况及成效",
    "4.经费使用情况",
    "5.未来三年专家服务工作计划",
    "（不超过1000字）",
    "单位意见",
    "（盖章）",
    "推荐单位意见",
    "（委办局、区人社局）",
    "（盖章）",
]


def raw_lines(pdf: bytes, first: int | None = None, last: int | None = None) -> list[str]:
    """The text layer line by line in drawing order (`pdftotext -raw`), spaces removed."""
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    out = subprocess.run(
        ["pdftotext", "-raw", *pages, "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return ["".join(line.split()) for line in out.splitlines()]


def assert_in_order(lines: list[str], labels: list[str]) -> None:
    """Each label whole on one line of the text layer, each after the one before."""
    position = (0, 0)  # (line, column)
    for label in labels:
        wanted = "".join(label.split())
        for n in range(position[0], len(lines)):
            start = position[1] if n == position[0] else 0
            found = lines[n].find(wanted, start)
            if found >= 0:
                position = (n, found + len(wanted))
                break
        else:
            context = "\n".join(lines[position[0] : position[0] + 6])
            raise AssertionError(
                f"「{label}」 not found whole after line {position[0]}:\n{context}"
            )


def application(call, **fields):
    district = DistrictFactory(name="上海市黄浦区人力资源和社会保障局", short_name="黄浦区人社局")
    unit = UnitFactory(name="上海交通大学医学院附属瑞金医院", district=district)
    app = CompleteApplicationFactory(call=call, unit=unit, **fields)
    app.state = State.SUBMITTED  # printed as submitted: no draft banner
    return app


def rendered(item) -> bytes:
    return printing.render_html(printing.form_html(item))


def test_every_label_of_the_notices_form_1_is_whole_and_in_order(call):
    pdf = rendered(application(call))
    assert_in_order(raw_lines(pdf), APPLICATION_LABELS)


def test_the_blank_form_1_has_the_same_labels(call):
    assert_in_order(
        raw_lines(printing.render_html(printing.blank_form_html(APPLICATION, call))),
        APPLICATION_LABELS,
    )


def test_every_label_of_the_notices_form_2_is_whole_and_in_order(call):
    item = AssessmentFactory(call=call)
    item.state = State.SUBMITTED
    assert_in_order(raw_lines(rendered(item)), ASSESSMENT_LABELS)
    blank = printing.render_html(printing.blank_form_html(ASSESSMENT, call))
    assert_in_order(raw_lines(blank), ASSESSMENT_LABELS)


def test_the_roster_and_list_texts_go_on_a_continuation_sheet(call):
    app = application(call)
    pdf = rendered(app)
    pages = int(
        next(
            line.split()[-1]
            for line in subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
            .stdout.decode()
            .splitlines()
            if line.startswith("Pages:")
        )
    )
    form = "".join(raw_lines(pdf, last=pages - 1))
    sheet = raw_lines(pdf, first=pages)
    joined = "".join(sheet)
    # The official grid holds none of it; the last sheet all of it, after the signature boxes.
    for text in ("服务专家名单", "宁光", "服务内容简介", app.summary, app.service_goal):
        assert text not in form
    assert_in_order(
        sheet,
        [
            "附：服务专家名单",
            "姓名",
            "工作单位",
            "本单位/外单位",
            "职称",
            "人才计划与荣誉",
            "专业特长",
            "领衔",
            "宁光",
            "领衔专家",
            "王卫庆",
            "共2人；累计服务时长6天。",
            "附：一览表信息",
            "服务内容简介",
            app.summary,
            "服务目标",
            app.service_goal,
            "专业领域",
            app.professional_field,
        ],
    )
    assert "申报单位意见" in form and "申报单位意见" not in joined


def test_form_2_asks_the_list_texts_on_its_continuation_sheet(call):
    item = AssessmentFactory(call=call, activity_count=36)
    item.state = State.SUBMITTED
    lines = raw_lines(rendered(item))
    assert_in_order(
        lines,
        [
            "单位意见",
            "附：一览表信息",
            "近年开展专家服务活动次数",
            "36次",
            "服务内容简介",
            item.list_summary,
            "服务目标",
            item.list_goal,
        ],
    )


def test_a_four_character_name_and_a_leader_stay_on_one_line(call):
    app = application(call)
    app.experts.filter(name="宁光").update(name="欧阳明华")
    lines = raw_lines(rendered(app))
    assert any("欧阳明华" in line for line in lines)
    roster = lines[next(n for n, line in enumerate(lines) if "欧阳明华" in line) :]
    assert any("领衔专家" in line for line in roster)


def page_one_png(pdf: bytes, folder: Path) -> Image.Image:
    source = folder / "form.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-gray", "-png", "-singlefile",
         str(source), str(folder / "page")],
        check=True,
    )  # fmt: skip
    image = Image.open(folder / "page.png").convert("L")
    # The footer carries the reference number and the fingerprint, which depend on ids.
    return image.crop((0, 0, image.width, int(image.height * 0.9)))


def test_page_one_matches_the_reference_image(call, tmp_path):
    app = application(call, name="瑞金医院内分泌专家服务团")
    image = page_one_png(rendered(app), tmp_path)
    reference = REFERENCE / "application-page1.png"
    if os.environ.get("UPDATE_PDF_REFERENCE"):
        REFERENCE.mkdir(exist_ok=True)
        image.save(reference, optimize=True)
    expected = Image.open(reference).convert("L")
    assert image.size == expected.size, "page size or crop changed"
    diff = ImageChops.difference(image, expected).point(lambda v: 255 if v > 64 else 0)
    changed = diff.histogram()[255] / (image.width * image.height)
    assert changed < 0.003, (
        f"{changed:.2%} of page 1 differs from tests/reference/application-page1.png; "
        "if the change is deliberate, set UPDATE_PDF_REFERENCE=1 and look at the new image"
    )
