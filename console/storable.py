"""What the stores can hold and the pages can show: the one check every way in uses.

JSON bodies (API), uploaded documents, pasted or imported workflow JSON (console,
``manage.py workflow``) and query values all pass through here before anything is
stored. Three things parse as valid JSON but cannot be kept or shown:

- a lone UTF-16 surrogate (``"\\ud800"``): PostgreSQL refuses it in jsonb, and a page
  or API answer that contains one cannot be encoded as UTF-8 (a 500 for good);
- a NUL character (``"\\u0000"``): PostgreSQL cannot store it in text or jsonb;
- nesting deeper than ``MAX_DEPTH``: code that walks JSON recursively (validators,
  templates, the editor) would exhaust Python's recursion limit.

Every check names the JSON path of the first problem, so the error says where.
"""

import json
import re

from django.http import HttpResponseBadRequest

# Deep enough for any real document (a GOBL invoice nests about 8 levels) and for a
# workflow at its own limit (definition.MAX_NESTING blocks, 4 JSON levels each, plus
# config); shallow enough that no recursive walk comes near Python's recursion limit.
MAX_DEPTH = 64

_SURROGATE = re.compile("[\ud800-\udfff]")


class Unstorable(ValueError):
    """The value cannot be stored or shown; ``path`` says where (``""`` is the top)."""

    def __init__(self, path, problem):
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


def text_problem(text):
    """What is wrong with one piece of text, or None."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which cannot be stored"
    if _SURROGATE.search(text):
        return "contains a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text"
    return None


def displayable(text):
    """``text`` with NUL and lone surrogates replaced by U+FFFD, for text that comes
    from elsewhere (a remote answer, an action's message) and is kept as it is."""
    return _SURROGATE.sub("\ufffd", text.replace("\x00", "\ufffd"))


def check(value, path=""):
    """Raise Unstorable for the first string (key or value) or nesting that the stores
    cannot hold. Walks without recursion, so any depth can be checked."""
    stack = [(value, path, 1)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                raise Unstorable(where, problem)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise Unstorable(where, f"is nested more than {MAX_DEPTH} levels deep")
            if isinstance(item, dict):
                for key, child in item.items():
                    child_path = f"{where}.{_shown(key)}" if where else _shown(key)
                    if isinstance(key, str) and text_problem(key):
                        raise Unstorable(child_path, f"key {text_problem(key)}")
                    stack.append((child, child_path, depth + 1))
            else:
                for index, child in enumerate(item):
                    stack.append((child, f"{where}[{index}]", depth + 1))
    return value


def _shown(key, limit=60):
    """A key as a path names it: text any page can show, and not too long."""
    key = displayable(str(key))
    return key if len(key) <= limit else key[:limit] + "…"


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON value")


def loads(text):
    """JSON text (or UTF-8 bytes) -> a value the stores can hold.

    Raises ``json.JSONDecodeError`` (with line and column) for text that is not JSON,
    ``UnicodeDecodeError`` for bytes that are not UTF-8, a plain ValueError for NaN and
    Infinity (which Python reads but JSON does not have), and Unstorable for NUL, lone
    surrogates or nesting deeper than ``MAX_DEPTH``.
    """
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise Unstorable("", f"is nested more than {MAX_DEPTH} levels deep") from None
    return check(value)


class RefuseUnstorableForms:
    """Middleware: a console request whose address or form fields hold what cannot be
    stored (a NUL: a browser's form text is decoded as UTF-8, so a surrogate cannot
    come this way) is a 400 before any view, rather than a database error in whichever
    view passes it on. The API (``/api/``) checks its own, answering in its own shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            problem = _form_problem(request)
            if problem:
                return HttpResponseBadRequest(
                    f"This request cannot be served: {problem}.", content_type="text/plain"
                )
        return self.get_response(request)


def _form_problem(request):
    fields = [("address", request.path), *_items("address", request.GET)]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        fields += _items("form field", request.POST)
    for where, value in fields:
        problem = text_problem(value)
        if problem:
            return f"the {where} {problem}"
    return None


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _items(where, query_dict):
    for key, values in query_dict.lists():
        yield where, key
        for value in values:
            yield where, value
