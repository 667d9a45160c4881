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
