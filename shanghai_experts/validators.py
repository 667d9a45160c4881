"""Validators for the formats the forms ask for, each with a Chinese message."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from stdnum import numdb as stdnum_numdb
from stdnum.cn import uscc as stdnum_uscc

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


# GB 32100-2015: 18 characters from 0-9 and A-Z without I, O, Z, S, V:
#   1     登记管理部门代码 (registration authority)
#   2     机构类别代码 (organisation type, from that authority's own list)
#   3-8   登记管理机关行政区划码 (GB/T 2260 division of the registering office)
#   9-17  主体标识码 (the GB 11714 organisation code: 8 characters and its check character)
#   18    校验码
# python-stdnum computes the final check character, and its GB/T 2260 table (with the codes of
# former divisions: a code keeps the division it was issued in) names the divisions; its own
# format check wants eight leading digits, which would refuse authorities with a letter code.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_AUTHORITIES = {
    "1": ("机构编制", "1239"),  # 机关, 事业单位, 中央编办管理的群众团体, 其他
    "2": ("外交", "19"),  # 外国常驻新闻机构, 其他
    "3": (
        "司法行政",
        "123459",
    ),  # 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": ("文化", "19"),  # 外国在华文化中心, 其他
    "5": ("民政", "1239"),  # 社会团体, 民办非企业单位, 基金会, 其他
    "6": ("旅游", "129"),  # 外国及港澳台地区旅游部门常驻代表机构, 其他
    "7": ("宗教", "129"),  # 宗教活动场所, 宗教院校, 其他
    "8": ("工会", "19"),  # 基层工会, 其他
    "9": ("市场监管（工商）", "123"),  # 企业, 个体工商户, 农民专业合作社
    "A": ("中央军委改革和编制办公室", "19"),  # 军队事业单位, 其他
    "N": ("农业农村", "1239"),  # 组级、村级、乡镇级集体经济组织, 其他
    "Y": ("其他", "1"),
}
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
NATIONAL_DIVISION = "100000"  # registered by a national office


def organisation_code_check(body: str) -> str:
    """The check character of a GB 11714 organisation code's first eight characters."""
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def division_exists(code: str) -> bool:
    """A six-digit GB/T 2260 code of a province, city or county, now or formerly."""
    if code == NATIONAL_DIVISION:
        return True
    if not (len(code) == 6 and code.isdigit()):
        return False
    found = stdnum_numdb.get("cn/loc").info(code)
    return len(found) == 2 and bool(found[1][1].get("county"))


def validate_uscc(value: str) -> None:
    """统一社会信用代码 (GB 32100-2015): every part of its structure, then the check character."""
    number = stdnum_uscc.compact(value or "")
    if len(number) != 18:
        raise ValidationError(
            f"统一社会信用代码应为 18 位（当前 {len(number)} 位）。", code="uscc_length"
        )
    for position, char in enumerate(number, start=1):
        if char not in USCC_CHARS:
            raise ValidationError(
                f"统一社会信用代码格式不正确：第 {position} 位“{char}”不能使用"
                "（只能是数字或大写字母，且不含 I、O、Z、S、V）。",
                code="uscc_format",
            )
    authority = USCC_AUTHORITIES.get(number[0])
    if authority is None:
        raise ValidationError(
            f"统一社会信用代码第 1 位（登记管理部门代码）“{number[0]}”无效，"
            "应为 1–9、A、N 或 Y，请核对营业执照或登记证书。",
            code="uscc_authority",
        )
    name, types = authority
    if number[1] not in types:
        raise ValidationError(
            f"统一社会信用代码第 2 位（机构类别代码）“{number[1]}”与第 1 位的登记管理部门"
            f"（{name}）不符，应为 {'、'.join(types)} 之一。",
            code="uscc_type",
        )
    if not division_exists(number[2:8]):
        raise ValidationError(
            f"统一社会信用代码第 3–8 位（登记机关行政区划代码）“{number[2:8]}”不是有效的"
            "行政区划代码。",
            code="uscc_division",
        )
    if organisation_code_check(number[8:16]) != number[16]:
        raise ValidationError(
            "统一社会信用代码第 9–17 位（组织机构代码）的校验码不正确，请逐位核对。",
            code="uscc_organisation_code",
        )
    if number[-1] != stdnum_uscc.calc_check_digit(number[:17]):
        raise ValidationError(
            "统一社会信用代码校验位不正确（第 18 位），请逐位核对（GB 32100-2015）。",
            code="uscc_checksum",
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
