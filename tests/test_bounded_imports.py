""".xlsx uploads cost a bounded amount, whatever they unpack to (issue 24, item 2).

The bombs are built here, small on disk: an .xlsx is a zip, and a member written through
zipfile's streaming writer can hold 150 MB of one character in a few hundred KB. Each test
asserts the refusal (in Chinese) and a bound on CPU time; memory is measured in a fresh process
(resource.getrusage's peak RSS: lxml allocates outside Python's tracemalloc).
"""

import io
import json
import os
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import Workbook

from accounts import onboarding
from accounts.models import OnboardingBatch
from shanghai_experts.xlsx_limits import MB, XlsxLimits, XlsxRefused, read_sheet

from .factories import BureauFactory, DistrictFactory, UserFactory, make_uscc

ROOT = Path(__file__).resolve().parent.parent
USCC = make_uscc(1)  # the rows' codes are not checked when a file is read

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="单位名单" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = "</sheetData></worksheet>"
STRINGS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _inline(ref, text):
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row():
    cells = "".join(_inline(f"{'ABCDEF'[i]}1", h) for i, h in enumerate(onboarding.HEADERS))
    return f'<row r="1">{cells}</row>'


def unit_row(number, district="上海市黄浦区人力资源和社会保障局", name=None):
    values = [
        name or f"上海测试单位{number}",
        USCC,
        district,
        "张三",
        "13900000000",
        f"u{number}@example.org",
    ]
    cells = "".join(_inline(f"{'ABCDEF'[i]}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def build_xlsx(sheet_chunks, strings_chunks=(), extra_members=0) -> io.BytesIO:
    """An .xlsx whose sheet (and shared strings) are written chunk by chunk, compressed as
    they go: what they unpack to never exists in memory here."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            member.write(STRINGS_HEAD.encode())
            for chunk in strings_chunks:
                member.write(chunk.encode())
            member.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member.write(SHEET_HEAD.encode())
            for chunk in sheet_chunks:
                member.write(chunk.encode())
            member.write(SHEET_TAIL.encode())
        for i in range(extra_members):
            archive.writestr(f"customXml/item{i}.xml", "<a/>")
    out.seek(0)
    out.name = "名单.xlsx"
    return out


def one_huge_cell(megabytes=150) -> io.BytesIO:
    """The attack's file: one shared string of `megabytes` MB, referenced from row 2."""
    block = "A" * MB

    def strings():
        yield "<si><t>"
        for _ in range(megabytes):
            yield block
        yield "</t></si>"

    ref = '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return build_xlsx([header_row(), ref], strings())


def empty_rows(count, numbered=False) -> io.BytesIO:
    """`count` empty rows: as <row/> (which compresses a thousandfold), or numbered
    <row r="n"/> (which compresses like a real table)."""

    def row(n):
        return f'<row r="{n}"/>' if numbered else "<row/>"

    def chunks():
        yield header_row()
        for start in range(2, count + 2, 10_000):
            yield "".join(row(n) for n in range(start, min(start + 10_000, count + 2)))

    return build_xlsx(chunks())


def unit_rows(count) -> io.BytesIO:
    def chunks():
        yield header_row()
        for start in range(2, count + 2, 1000):
            yield "".join(unit_row(n) for n in range(start, min(start + 1000, count + 2)))

    return build_xlsx(chunks())


def _cpu(fn):
    start = time.process_time()
    try:
        return fn(), time.process_time() - start
    except (onboarding.FileRefused, XlsxRefused) as error:
        return error, time.process_time() - start


def refusal(upload):
    result, cpu = _cpu(lambda: onboarding.read_rows(upload))
    assert isinstance(result, onboarding.FileRefused), f"accepted: {result!r:.200}"
    return str(result), cpu


# --- the three files of the report -----------------------------------------------------------


def test_one_150_mb_cell_in_a_small_file_is_refused_from_the_zip_directory():
    upload = one_huge_cell(150)
    assert len(upload.getvalue()) < 400_000  # small on disk
    message, cpu = refusal(upload)
    assert "文件内容展开后过大" in message and "最大 8 MB" in message
    assert cpu < 0.2, f"{cpu:.2f} s"


def test_three_million_empty_rows_are_refused_before_they_are_parsed():
    upload = empty_rows(3_000_000)
    assert len(upload.getvalue()) < 200_000
    message, cpu = refusal(upload)
    assert "文件内容展开后过大" in message
    assert cpu < 0.2, f"{cpu:.2f} s"


def test_empty_rows_within_the_size_limit_cost_what_the_size_limit_allows():
    """400,000 empty rows fit in 8 MB of XML, so the zip checks let them through. The rows are
    read only up to the row limit, but openpyxl scans a sheet that does not state its
    <dimension> once to size it (a file Excel writes states it at the top): that scan is what
    this file costs, bounded by the 8 MB a member may unpack to, not by the rows it holds
    (before the size limits: 3 million rows, 136 s). Best of three, as the suite's process is
    busy; about 0.7 s alone on the development machine."""
    runs = [refusal(empty_rows(400_000, numbered=True)) for _ in range(3)]
    message = runs[0][0]
    assert f"表格超过 {onboarding.LIMITS.rows} 行（空行也计算在内）" in message
    cpu = min(cpu for _, cpu in runs)
    assert cpu < 2.5, f"{cpu:.2f} s"


def test_a_gap_of_a_million_rows_is_not_filled_in():
    """openpyxl fills the rows a sheet skips: one cell at row 1,048,576 would be a million."""
    upload = build_xlsx([header_row(), unit_row(2), '<row r="1048576"><c r="A1048576"/></row>'])
    message, cpu = refusal(upload)
    assert f"表格超过 {onboarding.LIMITS.rows} 行" in message
    assert cpu < 1.0, f"{cpu:.2f} s"


def test_100000_rows_are_refused_from_the_zip_directory():
    upload = unit_rows(100_000)
    message, cpu = refusal(upload)
    assert "文件内容展开后过大" in message
    assert cpu < 0.2, f"{cpu:.2f} s"


def test_rows_beyond_the_limit_stop_the_reading_at_the_limit():
    upload = unit_rows(onboarding.MAX_ROWS + 500)
    message, cpu = refusal(upload)
    assert message == f"一次最多导入 {onboarding.MAX_ROWS} 行，请分成几个文件。"
    assert cpu < 3.0, f"{cpu:.2f} s"


def test_a_long_cell_is_refused_naming_its_row_and_column():
    upload = build_xlsx([header_row(), unit_row(2), unit_row(3, name="长" * 5000)])
    message, cpu = refusal(upload)
    assert message == "第 3 行「单位名称」的内容过长（5000 字，最多 300 字），请核对后重新上传。"
    assert cpu < 0.5


# --- the other bounds of the zip ---------------------------------------------------------------


def test_too_many_members_are_refused():
    message, _ = refusal(build_xlsx([header_row(), unit_row(2)], extra_members=300))
    assert "文件内部的组成部分过多（306 个，最多 200 个）" in message


def test_a_member_compressed_beyond_any_real_table_is_refused():
    padding = ["<!--" + "x" * (2 * MB) + "-->"]  # 2 MB that compresses a thousandfold
    message, _ = refusal(build_xlsx([header_row(), unit_row(2), *padding]))
    assert "文件内容压缩比异常（xl/worksheets/sheet1.xml）" in message


def test_the_total_unpacked_size_is_bounded():
    limits = XlsxLimits(rows=10, member_bytes=8 * MB, total_bytes=1 * MB, ratio=10**6)
    upload = build_xlsx([header_row(), "<!--" + "x" * 700_000 + "-->"], ["<!--" + "y" * 700_000])
    with pytest.raises(XlsxRefused, match="共 1 MB，最大 1 MB"):
        list(read_sheet(upload, limits, columns=6))


def test_an_upload_larger_than_the_file_limit_is_refused_before_it_is_opened():
    upload = io.BytesIO(b"PK" + os.urandom(6 * MB))
    upload.name = "名单.xlsx"
    message, cpu = refusal(upload)
    assert "文件过大（6.0 MB），最大 5 MB" in message
    assert cpu < 0.1


def _lie_about_size(upload: io.BytesIO, member_name: str, declared: int) -> io.BytesIO:
    """Rewrite the uncompressed size a member declares (local header and central directory)."""
    data = bytearray(upload.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(member_name)
    assert info.file_size < 0xFFFFFFFF  # no zip64 extra: the sizes sit in the fixed headers
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    name, entry = member_name.encode(), data.find(b"PK\x01\x02")
    while entry != -1:
        length = struct.unpack_from("<H", data, entry + 28)[0]
        if bytes(data[entry + 46 : entry + 46 + length]) == name:
            struct.pack_into("<I", data, entry + 24, declared)
            break
        entry = data.find(b"PK\x01\x02", entry + 4)
    else:
        raise AssertionError("no central directory entry")
    out = io.BytesIO(bytes(data))
    out.name = "名单.xlsx"
    with zipfile.ZipFile(out) as archive:
        assert archive.getinfo(member_name).file_size == declared
    out.seek(0)
    return out


def test_a_member_that_understates_its_size_is_cut_off_at_the_declared_size():
    """zipfile yields no more than the declared size, so the directory's sizes bound what is
    decompressed even when they lie; the truncated member then fails its check."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            (
                "xl/sharedStrings.xml",
                STRINGS_HEAD + "<si><t>" + "A" * (60 * MB) + "</t></si></sst>",
            ),
            ("xl/worksheets/sheet1.xml", SHEET_HEAD + header_row() + SHEET_TAIL),
        ):
            archive.writestr(name, text)
    upload = _lie_about_size(out, "xl/sharedStrings.xml", 1000)
    message, cpu = refusal(upload)
    assert message == "文件无法作为 .xlsx 读取，请用模板重新填写后上传。"
    assert cpu < 0.5, f"{cpu:.2f} s"


# --- memory, in a process of its own ----------------------------------------------------------

MEASURE = """
import json, os, resource, sys, time
import django
django.setup()
from accounts.onboarding import FileRefused, read_rows
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.process_time()
with open(sys.argv[1], "rb") as upload:
    try:
        read_rows(upload)
        message = ""
    except FileRefused as error:
        message = str(error)
print(json.dumps({
    "message": message,
    "cpu": time.process_time() - start,
    "grew_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before,
}))
"""


def measure(upload: io.BytesIO, tmp_path) -> dict:
    path = tmp_path / "名单.xlsx"
    path.write_bytes(upload.getvalue())
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shanghai_experts.settings"}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "build, refused_with",
    [
        (lambda: one_huge_cell(150), "文件内容展开后过大"),
        (lambda: empty_rows(400_000, numbered=True), "空行也计算在内"),
        (lambda: unit_rows(onboarding.MAX_ROWS + 500), "一次最多导入"),
        # The largest file the limits let through: 5,000 units, read whole.
        (lambda: unit_rows(onboarding.MAX_ROWS), ""),
    ],
    ids=["150MB-cell", "empty-rows", "too-many-rows", "largest-accepted"],
)
def test_memory_stays_bounded(tmp_path, build, refused_with):
    result = measure(build(), tmp_path)
    assert refused_with in result["message"] and bool(result["message"]) == bool(refused_with)
    assert result["grew_kb"] < 64 * 1024, f"grew {result['grew_kb'] / 1024:.0f} MB"
    assert result["cpu"] < 5.0, f"{result['cpu']:.2f} s"


# --- through the page, for the bureau and a district office -----------------------------------


@pytest.fixture
def huangpu(db):
    return DistrictFactory(name="上海市黄浦区人力资源和社会保障局", short_name="黄浦区人社局")


@pytest.mark.parametrize("who", ["bureau", "district"])
def test_the_upload_page_refuses_a_bomb_quickly_and_saves_nothing(client, huangpu, who):
    org = BureauFactory() if who == "bureau" else huangpu
    client.force_login(UserFactory(organisation=org))
    upload = one_huge_cell(150)
    response, cpu = _cpu(lambda: client.post(reverse("accounts:onboarding"), {"file": upload}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "文件内容展开后过大" in page
    assert len(response.content) < 200_000
    assert cpu < 1.0, f"{cpu:.2f} s"
    assert not OnboardingBatch.objects.exists()


def test_a_file_within_the_limits_still_imports(client, huangpu):
    client.force_login(UserFactory(organisation=huangpu))
    wb = Workbook()
    ws = wb.active
    ws.append(onboarding.HEADERS)
    ws.append(["上海测试单位甲", make_uscc(7001), huangpu.name, "张三", "13900000000", "a@b.org"])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "名单.xlsx"
    response = client.post(reverse("accounts:onboarding"), {"file": out})
    batch = OnboardingBatch.objects.get()
    assert response.url == reverse("accounts:onboarding_preview", args=[batch.pk])
    assert [row["name"] for row in batch.rows] == ["上海测试单位甲"]
