"""附件1's expert roster from an .xlsx template or from rows pasted out of a spreadsheet.

As with bulk onboarding: read, show every row with its problems, and only on confirmation
replace the roster. The file is read within `LIMITS` (shanghai_experts.xlsx_limits: zip sizes
checked before opening, reading stopped at the row and cell limits); pasted text within
`PASTE_MAX_CHARS`. Nothing is stored between preview and confirmation: the preview carries the
checked rows signed (`sign`), and the confirmation saves them under the same version check and
row lock as 保存草稿.
"""

from __future__ import annotations

import io
import re
from contextlib import closing

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from shanghai_experts.forms import StaleVersion
from shanghai_experts.states import EDITABLE_STATES
from shanghai_experts.text import half_width
from shanghai_experts.validators import validate_mobile
from shanghai_experts.xlsx_limits import XlsxLimits, XlsxRefused, read_sheet

from .choices import Affiliation, Talent, TitleLevel
from .forms import ROW_CAPS
from .models import Application, Expert

COLUMNS = [
    ("name", "姓名"),
    ("work_unit", "工作单位"),
    ("affiliation", "本单位/外单位"),
    ("title", "职称"),
    ("title_level", "职称级别"),
    ("talents", "人才计划与荣誉"),
    ("talent_other", "其他人才计划或荣誉"),
    ("specialty", "专业特长"),
    ("mobile", "手机"),
    ("is_leader", "领衔专家"),
]
HEADERS = [label for _key, label in COLUMNS]
LABEL = dict(COLUMNS)
MAX_EXPERTS = ROW_CAPS["experts"]
#: The file: the header, the roster, and the template's formatted blank rows (to row 101).
LIMITS = XlsxLimits(rows=101, cell_chars=200, file_bytes=1024 * 1024)
#: Pasted text: the whole roster at its longest cells, with room for tabs and line ends.
PASTE_MAX_CHARS = MAX_EXPERTS * len(COLUMNS) * 100
YES, NO = ("是", "领衔", "Y", "y", "√", "✓"), ("", "否", "N", "n")
SALT = "applications.roster"
SIGNED_FOR_SECONDS = 2 * 3600


class RosterRefused(Exception):
    """The file or the pasted text cannot be read as a roster; the message says why."""


def template() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "专家名单"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for letter, width in zip("ABCDEFGHIJ", (10, 28, 14, 14, 12, 36, 20, 20, 14, 10), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    for row in range(2, LIMITS.rows + 1):
        ws[f"I{row}"].number_format = "@"  # a mobile number stays text
    for column, choices in (
        ("C", [label for _v, label in Affiliation.choices]),
        ("E", [label for _v, label in TitleLevel.choices]),
        ("J", ["是", "否"]),
    ):
        choice = DataValidation(type="list", formula1=f'"{",".join(choices)}"', allow_blank=True)
        choice.error = "请从下拉列表中选择：" + "、".join(choices)
        ws.add_data_validation(choice)
        choice.add(f"{column}2:{column}{LIMITS.rows}")
    notes = wb.create_sheet("填写说明")
    for line in (
        "每行一名专家；第一行的列名不要修改。导入后将替换申报表中现有的专家名单。",
        f"一次最多 {MAX_EXPERTS} 名专家。",
        "本单位/外单位、职称级别、领衔专家：从下拉列表选择。",
        "人才计划与荣誉：可填多项，用顿号分隔，可选："
        + "、".join(label for value, label in Talent.choices if value != Talent.OTHER)
        + "；其他的填在“其他人才计划或荣誉”。",
        "也可以在 Excel 中选中这些列（含或不含列名行），复制后粘贴到导入页面。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(half_width(str(value)).split())


def _cells(values) -> list[str]:
    cells = [_text(v) for v in values][: len(HEADERS)]
    return cells + [""] * (len(HEADERS) - len(cells))


def read_upload(upload) -> list[tuple[int, list[str]]]:
    """(row number, cells) for each non-empty row of the first sheet after the header."""
    if not (getattr(upload, "name", "") or "").lower().endswith(".xlsx"):
        raise RosterRefused("请上传 .xlsx 格式的 Excel 文件（可先下载模板）。")
    found = []
    try:
        with closing(read_sheet(upload, LIMITS, columns=len(HEADERS), labels=HEADERS)) as rows:
            header = [_text(v) for v in next(rows, (1, ()))[1]]
            while header and not header[-1]:
                header.pop()
            if header != HEADERS:
                raise RosterRefused(
                    "第 1 行的列名应为："
                    + "、".join(HEADERS)
                    + "。请使用下载的模板，不要修改列名。"
                )
            for number, values in rows:
                cells = _cells(values)
                if any(cells):
                    found.append((number, cells))
                    _check_count(found)
    except XlsxRefused as error:
        raise RosterRefused(str(error)) from error
    return _not_empty(found)


def read_pasted(text: str) -> list[tuple[int, list[str]]]:
    """Rows copied from a spreadsheet (cells separated by tabs), with or without the header."""
    if len(text) > PASTE_MAX_CHARS:
        raise RosterRefused(
            f"粘贴的内容过长（{len(text)} 字，最多 {PASTE_MAX_CHARS} 字），请只复制专家名单的各列。"
        )
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        cells = _cells(line.split("\t"))
        if number == 1 and cells[: len(HEADERS)] == HEADERS:
            continue
        if any(cells):
            found.append((number, cells))
            _check_count(found)
    return _not_empty(found)


def _check_count(found) -> None:
    if len(found) > MAX_EXPERTS:
        raise RosterRefused(f"专家名单最多 {MAX_EXPERTS} 人，请删除多余的行。")


def _not_empty(found):
    if not found:
        raise RosterRefused("没有读到专家：请从第 2 行起，每行填写一名专家。")
    return found


def _choice(label: str, choices) -> str | None:
    for value, text in choices:
        if label in (text, value):
            return value
    return None


def check(rows: list[tuple[int, list[str]]]) -> list[dict]:
    """Each row as the roster will save it, with its problems (column and message, Chinese)."""
    checked = []
    for number, cells in rows:
        values = dict(zip(LABEL, cells, strict=True))
        problems = []

        def problem(key, message, problems=problems):
            problems.append({"column": LABEL[key], "message": message})

        for key, _label in COLUMNS:
            field = Expert._meta.get_field(key)
            if field.get_internal_type() == "CharField" and len(values[key]) > field.max_length:
                problem(key, f"不超过 {field.max_length} 个字。")
        if not values["name"]:
            problem("name", "请填写姓名。")
        expert = {key: values[key] for key in ("name", "work_unit", "title", "specialty", "mobile")}
        for key, choices in (
            ("affiliation", Affiliation.choices),
            ("title_level", TitleLevel.choices),
        ):
            value = _choice(values[key], choices) if values[key] else ""
            if value is None:
                problem(key, "应为：" + "、".join(text for _v, text in choices) + "。")
            expert[key] = value or ""
        # A programme the list does not name goes to 其他, as the form's own box does.
        talents, other = [], [values["talent_other"]] if values["talent_other"] else []
        for part in filter(None, (p.strip() for p in re.split(r"[、，,;；/]", values["talents"]))):
            value = _choice(part, Talent.choices)
            if value is None:
                other.append(part)
            elif value not in talents:
                talents.append(value)
        if other and Talent.OTHER not in talents:
            talents.append(Talent.OTHER)
        expert["talents"], expert["talent_other"] = talents, "、".join(other)[:100]
        if values["is_leader"] not in YES + NO:
            problem("is_leader", "请填写“是”或“否”。")
        expert["is_leader"] = values["is_leader"] in YES
        if values["mobile"]:
            try:
                validate_mobile(values["mobile"])
            except ValidationError as error:
                problem("mobile", error.messages[0])
        shown = {
            "affiliation": dict(Affiliation.choices).get(expert["affiliation"], ""),
            "title_level": dict(TitleLevel.choices).get(expert["title_level"], ""),
            "talents": "、".join(
                expert["talent_other"] if t == Talent.OTHER else dict(Talent.choices)[t]
                for t in talents
            ),
        }
        checked.append({"row": number, "expert": expert, "shown": shown, "problems": problems})
    return checked


def sign(application: Application, checked: list[dict]) -> str:
    """The checked roster for the confirmation, bound to the application and its version."""
    experts = [row["expert"] for row in checked]
    return signing.dumps(
        {"app": application.pk, "version": application.version, "experts": experts},
        salt=SALT,
        compress=True,
    )


def unsign(application: Application, token: str) -> tuple[int, list[dict]]:
    try:
        data = signing.loads(token, salt=SALT, max_age=SIGNED_FOR_SECONDS)
    except signing.BadSignature as error:
        raise RosterRefused("预览已过期或无效，请重新上传或粘贴专家名单。") from error
    if data.get("app") != application.pk or len(data.get("experts", [])) > MAX_EXPERTS:
        raise RosterRefused("预览已过期或无效，请重新上传或粘贴专家名单。")
    return data["version"], data["experts"]


@transaction.atomic
def replace_roster(application: Application, version: int, experts: list[dict]) -> Application:
    """Replace the roster and 参与服务专家人数 with `experts`, if no one saved since `version`."""
    row = (
        Application.objects.select_for_update()
        .filter(pk=application.pk)
        .values_list("version", "state")
        .first()
    )
    if row is None or row[1] not in EDITABLE_STATES or row[0] != version:
        raise StaleVersion
    application.experts.all().delete()
    Expert.objects.bulk_create(
        Expert(application=application, position=i, **expert) for i, expert in enumerate(experts)
    )
    Application.objects.filter(pk=application.pk).update(
        version=version + 1, expert_count=len(experts), updated_at=timezone.now()
    )
    application.refresh_from_db()
    return application
