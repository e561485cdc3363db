"""Every error code the AEAT's VERI*FACTU service returns, with its Spanish text.

Read once from ``reference/errores.properties``, the AEAT's own list. The file has
three blocks, and the block says what the code does:

- ``submission``: the whole submission is rejected (e.g. ``4102``, a schema error);
- ``record``: that record is rejected (``Incorrecto``; e.g. ``1104``, ``3000`` duplicate);
- ``accepted``: the record is accepted with errors (``AceptadoConErrores``; e.g. ``2000``)
  and must be corrected later.
"""

import re
from pathlib import Path

PROPERTIES = Path(__file__).resolve().parent / "reference" / "errores.properties"
_LINE = re.compile(r"^\s*(\d+)\s*=\s*(.*?)\s*$")
# The block headers, in the file's order.
_BLOCKS = ("submission", "record", "accepted")


def _repair(text):
    """A few lines of the AEAT's file were encoded twice (``aÃ±o``): undo that."""
    if "Ã" not in text:
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _load():
    codes, levels = {}, {}
    block = -1
    for line in PROPERTIES.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("*"):
            block = min(block + 1, len(_BLOCKS) - 1)
            continue
        match = _LINE.match(line)
        if match and block >= 0:
            code, text = match.groups()
            codes[code] = _repair(text)
            levels[code] = _BLOCKS[block]
    return codes, levels


CODES, LEVELS = _load()


def text(code):
    """The AEAT's text for ``code`` (a string or number), or "" for an unknown code."""
    return CODES.get(str(code).strip(), "")


def level(code):
    """``submission``, ``record`` or ``accepted`` (see the module's docstring); "" if unknown."""
    return LEVELS.get(str(code).strip(), "")


def submission_level(code):
    """Whether ``code`` rejects the whole submission rather than one record."""
    return level(code) == "submission"
