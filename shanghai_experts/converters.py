"""Path converters: an id in a URL is a number the database can hold."""


class IdConverter:
    """Like Django's `int`, but at most 18 digits: a longer number can be no row's id, and
    looking it up would overflow the column (a 500 on PostgreSQL and SQLite alike)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))
