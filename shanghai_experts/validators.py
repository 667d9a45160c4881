"""Validators for the formats the forms ask for, each with a Chinese message."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Area code (010, 021, 0571 …), optional hyphen, 7–8 digit number, optional extension.
OFFICE_PHONE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:[-转]\d{1,6})?$")


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.match(value or ""):
        raise ValidationError(
            "手机号码应为 11 位数字，以 13–19 开头，例如 13812345678。", code="mobile"
        )


def validate_office_phone(value: str) -> None:
    if not OFFICE_PHONE_RE.match((value or "").replace(" ", "")):
        raise ValidationError(
            "办公电话应带区号，例如 021-63588888 或 021-63588888-123。", code="office_phone"
        )


# GB 32100-2015: registration authority (1–9 or a letter such as A, N, Y), organisation
# category, six-digit administrative division code, nine-character organisation code, one
# check character. python-stdnum computes the check character; its own format check wants
# eight leading digits, which would refuse codes issued by authorities with a letter code.
USCC_RE = re.compile(r"^[1-9A-HJ-NP-RTUWXY][1-9A-HJ-NP-RTUWXY]\d{6}[0-9A-HJ-NP-RTUWXY]{10}$")


def validate_uscc(value: str) -> None:
    """统一社会信用代码 (GB 32100-2015): 18 characters with a check character."""
    number = stdnum_uscc.compact(value or "")
    if len(number) != 18:
        raise ValidationError(
            f"统一社会信用代码应为 18 位（当前 {len(number)} 位）。", code="uscc_length"
        )
    if not USCC_RE.match(number):
        raise ValidationError(
            "统一社会信用代码格式不正确：第 3–8 位应为行政区划代码，且不得含 I、O、Z、S、V。",
            code="uscc_format",
        )
    try:
        expected = stdnum_uscc.calc_check_digit(number[:17])
    except (StdnumError, ValueError) as exc:  # pragma: no cover - guarded by the pattern
        raise ValidationError("统一社会信用代码含无效字符。", code="uscc_format") from exc
    if number[-1] != expected:
        raise ValidationError(
            "统一社会信用代码校验位不正确，请核对（GB 32100-2015）。", code="uscc_checksum"
        )


def is_blank(value) -> bool:
    """Nothing filled in: None, or only whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def format_error(value, validator) -> str | None:
    """The validator's (Chinese) message for `value`, or None when it passes."""
    try:
        validator(value)
    except ValidationError as exc:
        return exc.messages[0]
    return None


def money_problem(amount, label: str, *, max_digits: int = 8, places: int = 2) -> str | None:
    """Why `amount` (万元, a Decimal) cannot be stored in a money column, or None.

    Infinity, NaN, 1e30 and a hundred nines are all Decimals; none fits the column."""
    if not amount.is_finite():
        return f"{label}：请输入有限的金额（万元），例如 12.5。"
    if amount < 0:
        return f"{label}：金额不能为负数。"
    if amount >= Decimal(10) ** (max_digits - places):
        return f"{label}：金额过大，请以万元为单位填写。"
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        return f"{label}：金额以万元为单位，最多保留 {places} 位小数。"
    return None


#: Dates more than this many years from the call's year are typing mistakes.
SANE_YEARS = 2


def date_problem(value, year: int, label: str) -> str | None:
    """Why a deadline or service date is implausible for the call of `year`, or None."""
    if value is None:
        return None
    if not (year - SANE_YEARS <= value.year <= year + SANE_YEARS):
        return f"{label}：日期应在 {year - SANE_YEARS} 年至 {year + SANE_YEARS} 年之间。"
    return None
