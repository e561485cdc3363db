"""The ``cursor`` query parameter of every list: one we handed out, or a 422."""

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from silo.selectors import decode_cursor


def _readable(cursor):
    if cursor and decode_cursor(cursor) is None:
        raise ValueError("not a cursor this API gave out: pass next_cursor as it came")
    return cursor


Cursor = Annotated[str, StringConstraints(max_length=200), AfterValidator(_readable)]
