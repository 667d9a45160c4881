"""Counting text the way a reader of the notice counts it.

The notice limits 服务内容 to 1000 字 and 服务内容简介 to 200 字. A reader counts every
character they see: a Chinese character, a Latin letter, a digit or a punctuation mark is one
each. Whitespace around the text and line breaks are not counted (a browser sends a line break
as two characters, "\r\n", which a reader never sees).
"""

import datetime
import unicodedata
from decimal import Decimal

LINE_BREAKS = {"\r", "\n", "\u2028", "\u2029"}


def reader_length(text: str | None) -> int:
    if not text:
        return 0
    normalized = unicodedata.normalize("NFC", text).strip()
    return sum(1 for ch in normalized if ch not in LINE_BREAKS)


def plain_number(value) -> str:
    """25.00 → "25", 12.50 → "12.5": amounts and days as a person writes them."""

    return format(Decimal(value).normalize(), "f")


def plain_value(value):
    """A stored value as plain data for a snapshot: amounts as written, dates in ISO form."""

    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


#: A primary key fits a bigint: at most 18 ASCII digits.
_MAX_ID_DIGITS = 18


def parse_id(value) -> int | None:
    """A row id as typed in a form or URL, or None: ASCII digits only ("²" and "１" are
    digits to Python, not to a database), never larger than the column."""
    text = str(value or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= _MAX_ID_DIGITS:
        return int(text)
    return None


def parse_ids(values) -> list[int]:
    """The valid ids among `values`, in order; the rest are dropped."""
    return [pk for pk in (parse_id(v) for v in values) if pk is not None]


def half_width(value) -> str:
    """What a Chinese input method types, as the format expects it: full-width digits,
    letters, spaces and hyphens (１３８，ＡＢ，－) become their ASCII forms (NFKC)."""
    return unicodedata.normalize("NFKC", str(value or ""))


def normalise_uscc(value) -> str:
    """A 统一社会信用代码 as typed or pasted (full-width, spaces, hyphens, lower case), in the
    form it is stored and compared in."""
    return half_width(str(value or "")).replace(" ", "").replace("-", "").upper()
