"""Links to many objects of one kind, as a 50-row list makes them."""

from collections.abc import Callable

from django.urls import reverse

_SENTINEL = 987654321


def pk_url(name: str) -> Callable[[int], str]:
    """`reverse(name, args=[pk])` for any pk, the pattern reversed once.

    A list page links every row: reversing once per page rather than once per row keeps the
    page's cost out of the URL resolver (and keeps the request's script prefix, which a
    process-wide cache would not)."""
    head, _, tail = reverse(name, args=[_SENTINEL]).partition(str(_SENTINEL))
    return lambda pk: f"{head}{int(pk)}{tail}"
