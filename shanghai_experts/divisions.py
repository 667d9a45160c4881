"""The national administrative divisions (GB/T 2260 codes): provinces, 地市 and 区县.

The list is vendored (data/divisions/, with its version, source and licence in the README
beside it) and read once per process. Three levels, each a six-digit code:

- a province (530000 云南省);
- a 地市 (532600 文山壮族苗族自治州). A municipality (北京、天津、上海、重庆) has no 地市 of its
  own: its only 地市 is the municipality itself, under the province's code, as 附件1 has always
  been filled in (上海市 / 上海市 / 浦东新区). The counties a province governs directly (湖北省
  仙桃市) sit under a grouping code (429000 省直辖县级行政区划), which a place's name omits;
- a 区县 (532627 广南县). Some 地市 have none (东莞市, 中山市, 儋州市, 嘉峪关市).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "divisions" / "level.min.json"

#: Province-level names as people shorten them (广西, 内蒙古, 新疆…): the name less these.
PROVINCE_SUFFIXES = (
    "壮族自治区",
    "回族自治区",
    "维吾尔自治区",
    "特别行政区",
    "自治区",
    "省",
    "市",
)
CITY_SUFFIXES = ("自治州", "地区", "盟", "市", "州")
COUNTY_SUFFIXES = ("自治县", "自治旗", "县", "区", "市", "旗")
#: 恩施土家族苗族自治州 → 恩施: the ethnic names before 自治州/自治县/自治旗.
ETHNIC = re.compile(r"^(.{2,}?)(?:[\u4e00-\u9fff]{1,5}?族)+(自治[州县旗])$")


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: int  # 1 province, 2 地市, 3 区县
    parent: str = ""
    children: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def is_grouping(self) -> bool:
        """省直辖县级行政区划: a 地市-level heading, not a place of its own."""
        return self.level == 2 and self.code[2:4] == "90"

    @property
    def shown_name(self) -> str:
        """The name as a place prints it: a grouping prints nothing."""
        return "" if self.is_grouping else self.name


class Divisions:
    """The list, with look-ups by code and by name (exact, or without the usual suffix)."""

    def __init__(self, tree: list[dict]):
        self.by_code: dict[str, Division] = {}
        self._municipal: dict[str, Division] = {}
        for province in tree:
            pcode = province["c"]
            cities = province.get("d", [])
            if cities and all("a" in c for c in cities):
                # A municipality (or 香港、澳门): its 区 straight under it; its only 地市 is
                # itself, under the province's code.
                county_codes = tuple(c["c"] for c in cities)
                for county in cities:
                    self._add(Division(county["c"], county["n"], 3, pcode))
                self._add(Division(pcode, province["n"], 1, "", (pcode,)))
                self._municipal[pcode] = Division(pcode, province["n"], 2, pcode, county_codes)
                continue
            city_codes = []
            grouping = (
                "自治区直辖县级行政区划"
                if province["n"].endswith("自治区")
                else "省直辖县级行政区划"
            )
            for city in cities:
                name = grouping if city["c"][2:4] == "90" else city["n"]
                counties = tuple(a["c"] for a in city.get("d", []))
                for county in city.get("d", []):
                    self._add(Division(county["c"], county["n"], 3, city["c"]))
                self._add(Division(city["c"], name, 2, pcode, counties))
                city_codes.append(city["c"])
            self._add(Division(pcode, province["n"], 1, "", tuple(city_codes)))
        self.provinces = [d for d in self.by_code.values() if d.level == 1]
        self.provinces.sort(key=lambda d: d.code)

    def _add(self, division: Division) -> None:
        self.by_code[division.code] = division

    # Look-ups by code --------------------------------------------------------------------

    def province(self, code: str) -> Division | None:
        d = self.by_code.get(code or "")
        return d if d and d.level == 1 else None

    def city(self, code: str, province: str) -> Division | None:
        """The 地市 `code` of the province `province`, or None."""
        if code and code == province and code in self._municipal:
            return self._municipal[code]
        d = self.by_code.get(code or "")
        return d if d and d.level == 2 and d.parent == province else None

    def county(self, code: str, city: str) -> Division | None:
        """The 区县 `code` of the 地市 `city`, or None."""
        d = self.by_code.get(code or "")
        return d if d and d.level == 3 and d.parent == city else None

    def cities(self, province: str) -> list[Division]:
        if province in self._municipal:
            return [self._municipal[province]]
        p = self.province(province)
        return [self.by_code[c] for c in p.children] if p else []

    def counties(self, city: str) -> list[Division]:
        if city in self._municipal:
            parent = self._municipal[city]
        else:
            parent = self.by_code.get(city or "")
            if parent is None or parent.level != 2:
                return []
        return [self.by_code[c] for c in parent.children]

    def full_name(self, code: str) -> str:
        """A 区县 with its province and 地市: 云南省文山壮族苗族自治州广南县, 湖北省仙桃市."""
        county = self.by_code.get(code or "")
        if county is None or county.level != 3:
            return self.name(code)
        city = self.by_code.get(county.parent)
        parts = [self.name(code[:2] + "0000")]
        if city is not None and city.level == 2:
            parts.append(city.shown_name)
        return "".join([*parts, county.name])

    def name(self, code: str) -> str:
        """The name of a province, 地市 or 区县 by its code ("" for none)."""
        d = self.by_code.get(code or "")
        return d.name if d else ""

    # Look-ups by name --------------------------------------------------------------------

    def match_province(self, text: str) -> Division | None:
        return _match(text, self.provinces, PROVINCE_SUFFIXES)

    def match_city(self, text: str, province: str) -> Division | None:
        return _match(text, self.cities(province), CITY_SUFFIXES)

    def match_county(self, text: str, city: str) -> Division | None:
        return _match(text, self.counties(city), COUNTY_SUFFIXES)

    def match_place(self, province: str, city: str, county: str) -> tuple[str, str, str]:
        """The codes of a place typed as names, as far down as the names match exactly (or
        without their suffix): ("530000", "532600", "532627"), ("530000", "", "") …"""
        p = self.match_province(province)
        if p is None:
            return "", "", ""
        c = self.match_city(city, p.code)
        if c is None and city.strip() in ("", p.name) and p.code in self._municipal:
            c = self._municipal[p.code]
        if c is None:
            # 湖北省 / 仙桃市: a county the province governs directly, typed as its 地市.
            for grouping in self.cities(p.code):
                if grouping.is_grouping and (k := self.match_county(city, grouping.code)):
                    return p.code, grouping.code, k.code
            return p.code, "", ""
        k = self.match_county(county, c.code)
        return p.code, c.code, k.code if k else ""

    def match_counties(self, text: str) -> tuple[list[str], list[str]]:
        """The 区县 a box of names names (云南省文山州广南县、富宁县): (their codes, the names
        not found in the list or found more than once). A name is a county's name or short
        form, after its province's and 地市's names or short forms if it has them."""
        codes, unmatched = [], []
        for token in COUNTY_SEPARATORS.split(text or ""):
            token = token.strip()
            if not token:
                continue
            county = self._county_named(token)
            if county is None:
                unmatched.append(token)
            elif county.code not in codes:
                codes.append(county.code)
        return codes, unmatched

    def _county_named(self, token: str) -> Division | None:
        found = []
        for key, counties in self._county_index().items():
            if not token.endswith(key):
                continue
            head = token[: -len(key)]
            for county in counties:
                if self._heads(county, head):
                    found.append((len(key), county))
        if not found:
            return None
        longest = max(n for n, _ in found)
        best = {county.code: county for n, county in found if n == longest}
        return next(iter(best.values())) if len(best) == 1 else None

    def _heads(self, county: Division, head: str) -> bool:
        """Whether `head` is what may stand before the county's name: nothing, its province,
        its 地市, or both (each by its name or short form)."""
        if not head:
            return True
        parent = self.by_code.get(county.parent)
        province = self.by_code.get(county.code[:2] + "0000")
        cities = _keys(parent.name, CITY_SUFFIXES) if parent and parent.level == 2 else set()
        provinces = _keys(province.name, PROVINCE_SUFFIXES) if province else set()
        if head in cities or head in provinces:
            return True
        return any(head.startswith(p) and head[len(p) :] in cities for p in provinces)

    @cache  # noqa: B019 - one list per process, kept for its life
    def _county_index(self) -> dict[str, list[Division]]:
        index: dict[str, list[Division]] = {}
        for d in self.by_code.values():
            if d.level == 3:
                for key in _keys(d.name, COUNTY_SUFFIXES):
                    index.setdefault(key, []).append(d)
        return index


COUNTY_SEPARATORS = re.compile(r"[、，,；;。/\s]+")


def _keys(name: str, suffixes: tuple[str, ...]) -> set[str]:
    """The name and its short forms: 云南省 → 云南; 文山壮族苗族自治州 → 文山, 文山州."""
    keys = {name}
    ethnic = ETHNIC.match(name)
    if ethnic:
        stem = ethnic.group(1)
        keys |= {stem, stem + ethnic.group(2)[-1]}
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            keys.add(name[: -len(suffix)])
            break
    return keys


def _match(text: str, candidates: list[Division], suffixes) -> Division | None:
    """The one candidate `text` names, exactly or by a short form; None when none or several."""
    text = (text or "").strip()
    if not text:
        return None
    exact = [d for d in candidates if d.name == text]
    if len(exact) == 1:
        return exact[0]
    wanted = _keys(text, suffixes)
    found = [d for d in candidates if _keys(d.name, suffixes) & wanted]
    return found[0] if len(found) == 1 else None


@cache
def divisions() -> Divisions:
    """The list, read once per process."""
    with DATA.open(encoding="utf-8") as fh:
        return Divisions(json.load(fh))
