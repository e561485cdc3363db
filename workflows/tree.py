"""The step tree of a workflow (SPEC 3) and the one way to name a place in it.

A workflow holds two flows, ``steps`` and ``rescue``: lists of steps, where a step's
``next`` holds blocks and a block's ``steps`` is a list of steps again. A place in
that tree is an ``Address``: its JSON path from the workflow's root, as a tuple, e.g.
``("steps", 2, "next", 0, "steps", 1)`` (a step), ``("steps", 2, "next", 0)`` (a
block), ``("steps", 2, "next", 0, "steps")`` or ``("rescue",)`` (a list of steps).

Written out, an address is the JSON path notation of validation errors and of the
API's error ``fields`` (docs/api.md): ``steps[2].next[0].steps[1]``. The editor's
forms, the versions panel, the validator and the engine all use this one notation.

Everything here reads either the JSON (dicts, as drafts and stored versions hold it)
or the typed ``definition.Workflow``: the same walk serves the editor and the engine.
Nothing here touches the database or Django.
"""

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

FLOWS = ("steps", "rescue")

_INDEX = re.compile(r"\[(\d+)\]")
# A step address at the start of a longer JSON path (``steps[1].next[0].steps[2].id``).
_STEP_PREFIX = re.compile(r"^(?:steps|rescue)\[\d+\](?:\.next\[\d+\]\.steps\[\d+\])*")
# The form the editor's forms wrote before this notation was the only one (see parse).
_DOTTED = re.compile(r"^(?:steps|rescue)(?:\.(?:\d+|next|steps))+$")


class AddressError(ValueError):
    """An address that is not well-formed, or names nothing in this workflow."""


class Address(tuple):
    """A place in the step tree: the JSON path of a step, a block or a list of steps.

    It is a tuple (hashable, comparable with a plain tuple of the same parts); slicing
    gives an Address again, and ``str()`` writes the text notation.
    """

    __slots__ = ()

    def __new__(cls, parts: Iterable[str | int] = ()) -> "Address":
        return super().__new__(cls, parts)

    @classmethod
    def parse(cls, text: object) -> "Address":
        """``"steps[2].next[0].steps[1]"`` -> ``Address(("steps", 2, "next", 0, "steps", 1))``.

        The dotted form the editor's forms wrote before (``steps.2.next.0``) is read
        too, so an editor page left open across an upgrade keeps working; nothing
        writes it any more.
        """
        text = str(text or "")
        address = cls(_parts(text))
        if not address.well_formed:
            raise AddressError(
                f"not a step address: {text!r} (expected e.g. steps[2].next[0].steps[1])"
            )
        return address

    def __str__(self) -> str:
        text = ""
        for part in self:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text

    def __repr__(self) -> str:
        return f"Address({str(self)!r})"

    def __getitem__(self, key: Any) -> Any:
        item = super().__getitem__(key)
        return Address(item) if isinstance(key, slice) else item

    def then(self, *parts: str | int) -> "Address":
        """This address with ``parts`` appended: ``steps[0]`` then ``next, 1``."""
        return Address((*self, *parts))

    @property
    def well_formed(self) -> bool:
        """The parts follow the tree: flow, index, "next", block, "steps", index, ..."""
        if not self or self[0] not in FLOWS:
            return False
        expected = (int, "next", int, "steps")
        for position, part in enumerate(self[1:]):
            want = expected[position % 4]
            if want is int:
                if not isinstance(part, int) or isinstance(part, bool) or part < 0:
                    return False
            elif part != want:
                return False
        return True

    @property
    def is_step(self) -> bool:
        return len(self) % 4 == 2 and self.well_formed

    @property
    def is_block(self) -> bool:
        return len(self) % 4 == 0 and len(self) >= 4 and self.well_formed

    @property
    def is_list(self) -> bool:
        return len(self) % 4 == 1 and self.well_formed

    @property
    def flow(self) -> str:
        """``"steps"`` (the main flow) or ``"rescue"``."""
        return self[0]

    @property
    def depth(self) -> int:
        """How many blocks the place is inside (a top-level step is 0)."""
        return (len(self) - 1) // 4

    @property
    def slug(self) -> str:
        """The address as an HTML id part: ``steps-2-next-0``."""
        return "-".join(str(part) for part in self)

    def lineage(self) -> list["Address"]:
        """The step addresses from the top-level step down to this place."""
        return [self[:end] for end in range(2, len(self) + 1, 4)]


class Place(NamedTuple):
    """One step as the walk meets it."""

    address: Address
    step: Any  # a dict (the JSON) or a definition.Step
    siblings: list  # the list that holds it: ``siblings[address[-1]] is step``


def walk(workflow: Any, flows: Iterable[str] = FLOWS) -> Iterator[Place]:
    """Every step, depth first (a step, then its blocks' steps), main flow then rescue."""
    for flow in flows:
        yield from walk_list(_items(workflow, flow), Address((flow,)))


def walk_list(steps: list, at: "Address") -> Iterator[Place]:
    """Every step of the list at ``at`` and under it, in the order of ``walk``."""
    for index, step in enumerate(steps):
        address = at.then(index)
        yield Place(address, step, steps)
        for b, block in enumerate(_items(step, "next")):
            yield from walk_list(_items(block, "steps"), address.then("next", b, "steps"))


def find(workflow: Any, wanted: Callable[[Any], bool]) -> Address | None:
    """The address of the first step for which ``wanted(step)`` is true, or None."""
    return next((place.address for place in walk(workflow) if wanted(place.step)), None)


def get(workflow: Any, address: Iterable[str | int]) -> Any:
    """The step, block or list of steps at ``address``; AddressError if there is none."""
    node = workflow
    for part in address:
        if isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                raise AddressError(f"nothing at {address}")
            node = node[part]
        else:
            node = _field(node, part)
            if node is None:
                raise AddressError(f"nothing at {address}")
    return node


def steps_at(workflow: Any, address: Address, *, create: bool = False) -> list:
    """The list of steps at a list address (``rescue``, ``steps[0].next[1].steps``).

    With ``create``, a list the JSON leaves out (no ``rescue`` key, a block without
    ``steps``) is added, so a step can go into it.
    """
    if not address.is_list:
        raise AddressError(f"not a list of steps: {address}")
    owner = get(workflow, address[:-1])
    steps = _field(owner, address[-1])
    if steps is None and create and isinstance(owner, dict):
        steps = owner[address[-1]] = []
    if not isinstance(steps, list):
        raise AddressError(f"nothing at {address}")
    return steps


def step_at(workflow: Any, address: Address) -> Any:
    """The step at a step address; AddressError if the workflow has none there."""
    if not address.is_step:
        raise AddressError(f"not a step address: {address}")
    return get(workflow, address)


def block_at(workflow: Any, address: Address) -> Any:
    """The block at a block address; AddressError if the workflow has none there."""
    if not address.is_block:
        raise AddressError(f"not a block address: {address}")
    return get(workflow, address)


def split_path(path: str) -> tuple[Address | None, str]:
    """The step a validator's JSON path is about, and the rest of the path:
    ``"steps[1].config.x"`` -> ``(Address("steps[1]"), "config.x")``; ``(None, path)``
    for a path about the workflow itself (``name``, ``steps``)."""
    match = _STEP_PREFIX.match(path)
    if not match:
        return None, path
    return Address.parse(match.group(0)), path[match.end() :].lstrip(".")


def _parts(text: str) -> list[str | int]:
    """The parts of an address's text, or [] when it does not read as one."""
    dotted = _DOTTED.match(text) is not None
    parts: list[str | int] = []
    for word in text.split("."):
        name, bracket, rest = word.partition("[")
        indexes = _INDEX.findall(bracket + rest)
        if dotted and word.isascii() and word.isdigit():
            parts.append(int(word))
        elif "".join(f"[{i}]" for i in indexes) == bracket + rest:
            parts.extend([name, *(int(i) for i in indexes)])
        else:
            return []
    return parts


def _field(node: Any, name: str) -> Any:
    if isinstance(node, dict):
        return node.get(name)
    return getattr(node, name, None) if not isinstance(node, list | str) else None


def _items(node: Any, name: str) -> list:
    value = _field(node, name)
    return value if isinstance(value, list) else []
