"""The call's notice as a reader sees it on the site: the text the bureau published, cut into
headings, paragraphs, line groups and the forms' grids.

The stored text (Call.notice_text, copied from the published document) keeps what the copy
left behind: a checkbox as the literal `<input type="checkbox"/>`, a sentence broken over two
paragraphs where the page wrapped ("对全" / "市申报项目"), and each row of a form's grid as
tab-separated cells. Here a checkbox becomes ☐, a paragraph that stops mid-sentence is joined
to the next, and consecutive tab-separated lines become a table (empty cells kept: they are the
boxes to fill; the empty cells that close a row become one cell spanning them).
"""

from __future__ import annotations

import dataclasses
import re

CHECKBOX = re.compile(r"<input\s+type=[\"']?checkbox[\"']?\s*/?>", re.I)
BOX = "☐"

#: A paragraph that ends on one of these ends its sentence.
SENTENCE_ENDS = "。；：！？”」）)】…"
#: A heading: 一、…, （一）…, (一)…, 附件 1, or a short line without a comma.
HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|附件\s*\d+$)"
)


@dataclasses.dataclass
class Block:
    kind: str  # heading, paragraph, lines, table
    text: str = ""
    lines: list[str] = dataclasses.field(default_factory=list)
    #: A table's rows: (cell text, colspan) pairs.
    rows: list[list[tuple[str, int]]] = dataclasses.field(default_factory=list)


def _clean(line: str) -> str:
    line = CHECKBOX.sub(BOX, line).rstrip(" \r")  # trailing tabs are empty cells
    return line[2:] if line.startswith("- ") else line  # a list marker the copy added


def _is_heading(text: str) -> bool:
    return bool(HEADING.match(text)) and len(text) <= 40 and "。" not in text


def _kind(line: str) -> str:
    """heading (一、…), paragraph (body text: indented), or line (a title, a signature, a
    date: set as it stands)."""
    if _is_heading(line):
        return "heading"
    if "，" in line or "。" in line or line.endswith("："):
        return "paragraph"
    return "line"


def _stops_mid_sentence(text: str) -> bool:
    """Body text (it has a comma or a full stop) whose last character ends no sentence: the
    copy broke a line there. Titles, headings and signatures have no comma."""
    if not text or text[-1] in SENTENCE_ENDS:
        return False
    return ("，" in text or "。" in text) and not _is_heading(text)


def _row(line: str) -> list[tuple[str, int]]:
    cells = [cell.strip() for cell in line.split("\t")]
    while len(cells) > 1 and cells[-1] == "" and cells[-2] == "":
        cells.pop()  # the closing empty cells: one box, spanning them (below)
    span = len(line.split("\t")) - len(cells) + 1
    return [(cell, 1) for cell in cells[:-1]] + [(cells[-1], span)]


def _table(lines: list[str]) -> Block:
    rows = [_row(line) for line in lines]
    width = max(sum(span for _cell, span in row) for row in rows)
    for row in rows:  # every row as wide as the widest: the last cell takes what is left
        used = sum(span for _cell, span in row)
        if used < width:
            cell, span = row[-1]
            row[-1] = (cell, span + width - used)
    return Block("table", rows=rows)


def _add_plain(out: list[Block], plain: list[str]) -> None:
    """Lines without a grid: one line is a heading, a paragraph (joined to the one before when
    that stopped mid-sentence) or a line; several are kept as lines."""
    if len(plain) > 1:
        out.append(Block("lines", lines=[line.strip() for line in plain]))
        return
    line = plain[0].strip()
    previous = out[-1] if out else None
    if previous is not None and previous.kind == "paragraph" and _stops_mid_sentence(previous.text):
        previous.text += line  # "我们将对全" + "市申报项目进行综合评估…"
    else:
        out.append(Block(_kind(line), text=line))


def blocks(text: str) -> list[Block]:
    """The notice's text as blocks, in order."""
    out: list[Block] = []
    for chunk in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n")):
        grid: list[str] = []
        plain: list[str] = []
        for line in (_clean(line) for line in chunk.split("\n") if line.strip()):
            if "\t" in line:
                if plain:
                    _add_plain(out, plain)
                    plain = []
                grid.append(line)
            else:
                if grid:
                    out.append(_table(grid))
                    grid = []
                plain.append(line)
        if plain:
            _add_plain(out, plain)
        if grid:
            out.append(_table(grid))
    return out
