"""Pages of long lists whose cost does not grow with the list.

A page of 50 rows reads 50 rows through an index; counting every matching row reads them all.
Lists therefore count up to `COUNT_CAP` and, past it, say "2000+" (as large code hosts do),
which keeps every page flat however long the call grows. A list that needs the exact figure
asks for it separately (the bureau's totals line).
"""

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

#: Rows counted at most; beyond it the count reads "2000+" and the last page is the 40th.
COUNT_CAP = 2000


def capped_count(qs, cap: int | None = None) -> int:
    """min(number of rows, cap + 1): one COUNT over at most cap + 1 index entries."""
    cap = COUNT_CAP if cap is None else cap
    return qs.order_by()[: cap + 1].count()


def capped_counts(*querysets, cap: int | None = None) -> list[int]:
    """capped_count of each queryset, all in one statement (one round trip for a page whose
    tabs count two lists). The querysets must share a database."""
    cap = COUNT_CAP if cap is None else cap
    parts, params, empty = [], [], set()
    for i, qs in enumerate(querysets):
        inner = qs.order_by().values("pk")[: cap + 1]
        try:
            sql, inner_params = inner.query.get_compiler(qs.db).as_sql()
        except EmptyResultSet:  # a filter that can match nothing (pk__in=[])
            empty.add(i)
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) counted_{i})")
        params.extend(inner_params)
    if not parts:
        return [0] * len(querysets)
    with connections[querysets[0].db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        found = iter(cursor.fetchone())
    return [0 if i in empty else next(found) for i in range(len(querysets))]


def count_label(count: int, cap: int | None = None) -> str:
    """A capped count as lists show it: 137, or 2000+."""
    cap = COUNT_CAP if cap is None else cap
    return f"{cap}+" if count > cap else str(count)


class Concatenated:
    """Two ordered querysets read as one list, the first's rows then the second's, for a
    paginator: a page reads only its own rows from each part. `first_count` is the first
    part's (capped) count; pages past the cap are never asked for."""

    def __init__(self, first, second, first_count: int):
        self.first, self.second, self.first_count = first, second, first_count

    def __getitem__(self, key: slice) -> list:
        start, stop = key.start or 0, key.stop
        rows = []
        if start < self.first_count:
            rows += self.first[start : min(stop, self.first_count)]
        if stop > self.first_count:
            rows += self.second[max(start - self.first_count, 0) : stop - self.first_count]
        return rows


class CappedPaginator(Paginator):
    """A paginator whose count stops at `cap` (+1 to know there are more).

    `count_of`: the bare queryset to count (the rows without the page's annotations), or a
    count already known (a tab's figure)."""

    def __init__(self, object_list, per_page, *, count_of=None, cap: int | None = None):
        super().__init__(object_list, per_page)
        self.cap = COUNT_CAP if cap is None else cap
        self._count_of = object_list if count_of is None else count_of

    @cached_property
    def counted(self) -> int:
        if isinstance(self._count_of, int):
            return self._count_of
        return capped_count(self._count_of, self.cap)

    @cached_property
    def count(self) -> int:
        # Past the cap the pages stop at the cap: the list asks to be narrowed.
        return min(self.counted, self.cap)

    @property
    def capped(self) -> bool:
        return self.counted > self.cap

    @property
    def count_label(self) -> str:
        return count_label(self.counted, self.cap)
