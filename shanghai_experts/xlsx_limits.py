"""Reading an uploaded .xlsx at a bounded cost.

An .xlsx is a zip of XML files, and small files can hold a great deal: a 158 KB upload with one
150 MB cell grew a worker to 1.28 GB; a sheet of 3 million empty rows cost 136 s of CPU; the
shared-string table (every text of the workbook) is parsed whole when the workbook opens. So
`read_sheet` checks, in this order, before and while reading:

1. the upload's own size (`XlsxLimits.file_bytes`);
2. the zip's directory, without decompressing anything: the number of members, each member's
   declared uncompressed size, their total, and each large member's compression ratio. Python's
   zipfile never yields more than a member's declared size (a member that lies about it fails
   its CRC check and is refused as unreadable), so these bounds hold for what is decompressed;
3. then openpyxl in read-only mode (rows streamed, never a whole sheet in memory), stopping at
   the row limit (empty rows count: they cost as much to parse) and at the first cell longer
   than the cell limit, reading only the columns asked for.

Every refusal is an `XlsxRefused` whose message (in Chinese) says what to change.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from openpyxl import load_workbook

MB = 1024 * 1024


#: What a broken file raises inside zipfile and openpyxl: a bad zip or CRC, a missing part,
#: XML that does not parse (lxml's XMLSyntaxError is a SyntaxError), a value of the wrong type.
UNREADABLE = (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError, SyntaxError)
UNREADABLE_MESSAGE = "文件无法作为 .xlsx 读取，请用模板重新填写后上传。"


class XlsxRefused(Exception):
    """The upload is not an .xlsx this page reads at a bounded cost; the message says why."""


@dataclass(frozen=True)
class XlsxLimits:
    #: The most rows of the sheet read, the header and empty rows included.
    rows: int
    #: The longest text of a cell, in characters.
    cell_chars: int = 500
    #: The upload itself.
    file_bytes: int = 5 * MB
    #: Any one member of the zip (a worksheet, the shared strings, styles), decompressed. A
    #: sheet of 5,000 units is about 1 MB of worksheet XML and 1.5 MB of shared strings.
    member_bytes: int = 8 * MB
    #: All members together, decompressed.
    total_bytes: int = 24 * MB
    #: Members in the zip (Excel writes about a dozen for a sheet or two).
    members: int = 200
    #: Decompressed ÷ compressed, for a member larger than `ratio_from_bytes` (XML of a real
    #: table compresses 5-30 times; a bomb of repeated text thousands of times).
    ratio: int = 100
    ratio_from_bytes: int = 1 * MB


def _size(upload) -> int | None:
    size = getattr(upload, "size", None)
    if size is not None:
        return size
    try:
        position = upload.tell()
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(position)
    except (AttributeError, OSError):
        return None
    return size


def check_archive(upload, limits: XlsxLimits) -> None:
    """Refuse an upload whose zip directory promises more than `limits` allow. Reads only the
    directory at the end of the file: nothing is decompressed."""
    size = _size(upload)
    if size is not None and size > limits.file_bytes:
        raise XlsxRefused(
            f"文件过大（{size / MB:.1f} MB），最大 {limits.file_bytes // MB} MB：请删除多余的"
            "工作表、图片和格式，或分成几个文件。"
        )
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise XlsxRefused(UNREADABLE_MESSAGE) from error
    finally:
        upload.seek(0)
    if len(members) > limits.members:
        raise XlsxRefused(
            f"文件内部的组成部分过多（{len(members)} 个，最多 {limits.members} 个），"
            "请用模板重新填写后上传。"
        )
    total = 0
    for member in members:
        if member.file_size > limits.member_bytes:
            raise XlsxRefused(
                f"文件内容展开后过大（{member.filename} 为 {member.file_size / MB:.0f} MB，"
                f"最大 {limits.member_bytes // MB} MB）：可能含有超长的单元格或大量空行，"
                "请只保留需要导入的内容，或分成几个文件。"
            )
        if member.file_size > limits.ratio_from_bytes and member.file_size > limits.ratio * max(
            member.compress_size, 1
        ):
            raise XlsxRefused(f"文件内容压缩比异常（{member.filename}），请用模板重新填写后上传。")
        total += member.file_size
    if total > limits.total_bytes:
        raise XlsxRefused(
            f"文件内容展开后过大（共 {total / MB:.0f} MB，最大 {limits.total_bytes // MB} MB），"
            "请删除多余的工作表或分成几个文件。"
        )


def read_sheet(
    upload, limits: XlsxLimits, *, columns: int, labels: list[str] | None = None
) -> Iterator[tuple[int, tuple]]:
    """(row number, values of the first `columns` cells) for each row of the first sheet, the
    header included, within `limits`; `labels` name the columns in the cell-length message."""
    check_archive(upload, limits)
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except UNREADABLE as error:
        raise XlsxRefused(UNREADABLE_MESSAGE) from error
    try:
        if not workbook.worksheets:
            raise XlsxRefused("文件中没有工作表，请用模板重新填写后上传。")
        sheet = workbook.worksheets[0]
        declared = sheet.max_row  # the sheet's own <dimension>: a quick refusal when honest
        if declared is not None and declared > limits.rows:
            raise _too_many_rows(limits)
        rows = sheet.iter_rows(
            min_row=1, max_row=limits.rows + 1, max_col=columns, values_only=True
        )
        for number, values in enumerate(_unless_unreadable(rows), start=1):
            if number > limits.rows:
                raise _too_many_rows(limits)
            for index, value in enumerate(values or ()):
                if isinstance(value, str) and len(value) > limits.cell_chars:
                    where = (
                        labels[index] if labels and index < len(labels) else f"第 {index + 1} 列"
                    )
                    raise XlsxRefused(
                        f"第 {number} 行「{where}」的内容过长（{len(value)} 字，最多 "
                        f"{limits.cell_chars} 字），请核对后重新上传。"
                    )
            yield number, tuple(values or ())
    finally:
        workbook.close()


def _unless_unreadable(rows):
    """The rows, with a sheet whose XML breaks off midway refused as unreadable."""
    try:
        yield from rows
    except UNREADABLE as error:
        raise XlsxRefused(UNREADABLE_MESSAGE) from error


def _too_many_rows(limits: XlsxLimits) -> XlsxRefused:
    return XlsxRefused(
        f"表格超过 {limits.rows} 行（空行也计算在内），请删除多余的行，或分成几个文件。"
    )
