"""Reading the silo: the entries list's search, filters and keyset pagination.

The list must stay fast with hundreds of thousands of entries, so it never counts and
never skips rows with OFFSET: a page is "the N entries just older than the last one
shown", found through the ``(workspace, -created_at, -id)`` indexes, and the cursor
the "Older" link carries is that last entry's ``(created_at, id)``.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

if TYPE_CHECKING:
    from silo.models import Entry

PAGE_SIZE = 50
SEARCH_LENGTH = 200

# The list never shows the document itself; loading it for 50 rows would cost more
# than the rest of the page.
LIST_FIELDS = (
    "id",
    "key",
    "schema",
    "state",
    "created_at",
    "code",
    "supplier_name",
    "customer_name",
    "total",
    "currency",
    "issue_date",
)


def search_entries(
    entries: QuerySet, *, query: str = "", schema: str = "", state: str = ""
) -> QuerySet:
    """Narrow a workspace's entries by a free-text query, a schema and a state."""
    query = " ".join(query.split()).lower()[:SEARCH_LENGTH]
    if query:
        # ``search_text`` is stored lowercased, so a plain ``contains`` on the lowered
        # query is a case-insensitive search that, unlike ``icontains``, does not wrap
        # the column in UPPER() on PostgreSQL (where a trigram index can then serve it).
        entries = entries.filter(search_text__contains=query)
    if schema:
        entries = entries.filter(schema=schema)
    if state:
        entries = entries.filter(state=state)
    return entries


@dataclass
class Page:
    entries: list
    next_cursor: str | None


def encode_cursor(entry: Entry) -> str:
    raw = f"{entry.created_at.isoformat()}|{entry.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID] | None:
    """``(created_at, id)`` from a cursor, or None when it is not one of ours.

    The one reader of cursors (silo, History, the API): a cursor comes from the
    caller, so anything it holds is checked here. The time must carry its offset and
    convert to UTC (a date near year 1 or 9999 with an offset would overflow later,
    in the database layer).
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_text, entry_id = raw.split("|")
        created_at = datetime.fromisoformat(created_text)
        if created_at.tzinfo is None:
            return None
        return created_at.astimezone(UTC), uuid.UUID(entry_id)
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        return None


def newest_first(entries: QuerySet, cursor: str | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of ``entries``, newest first, starting after ``cursor``.

    An unreadable cursor starts from the newest entry rather than failing.
    """
    rows = list(page_query(entries, cursor, size))
    more = len(rows) > size
    rows = rows[:size]
    return Page(entries=rows, next_cursor=encode_cursor(rows[-1]) if more else None)


def page_query(entries: QuerySet, cursor: str | None = None, size: int = PAGE_SIZE) -> QuerySet:
    """The query behind ``newest_first``: one row more than a page, to know if there
    is a next one."""
    entries = entries.only(*LIST_FIELDS).order_by("-created_at", "-id")
    position = decode_cursor(cursor) if cursor else None
    if position:
        created_at, entry_id = position
        # Written as a range on created_at plus a tie-break, rather than as
        # "a OR (b AND c)", so SQLite and PostgreSQL both walk the index from the
        # cursor instead of filtering every newer row.
        entries = entries.filter(
            Q(created_at__lte=created_at), Q(created_at__lt=created_at) | Q(id__lt=entry_id)
        )
    return entries[: size + 1]
