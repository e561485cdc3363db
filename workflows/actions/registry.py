"""One registry for every action: the built-in modules, then any installed package that
declares an entry point in the ``workflow_console.actions`` group (see docs/actions.md)."""

import importlib
import logging
from importlib.metadata import entry_points

from workflows.actions.base import Action

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "workflow_console.actions"
BUILT_IN = (
    "workflows.actions.simulate",
    "workflows.actions.silo_state",
    "workflows.actions.compare",
    "workflows.actions.delay",
    "workflows.actions.goto",
    "workflows.actions.pdf",
    "workflows.actions.webhook",
    "workflows.actions.email",
    "workflows.actions.fetch",
    "workflows.actions.doc_modify",
    "workflows.actions.sequence",
    "workflows.actions.tax_id",
    "workflows.actions.vies",
    "workflows.actions.verifactu",
    "workflows.actions.aeat_census",
)

_actions: dict[str, Action] = {}
_loaded = False


def register(cls: type[Action]) -> type[Action]:
    """Class decorator: ``@register`` on an ``Action`` subclass adds it by its id."""
    if not (isinstance(cls, type) and issubclass(cls, Action)):
        raise TypeError(f"{cls!r} is not an Action subclass")
    existing = _actions.get(cls.id)
    if existing is not None and type(existing) is not cls:
        raise ValueError(f"action id {cls.id!r} is already registered by {type(existing)!r}")
    _actions[cls.id] = cls()
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILT_IN:
        importlib.import_module(module)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = point.load()
        except Exception:
            logger.exception("could not load action entry point %s", point.name)
            continue
        if isinstance(loaded, type) and issubclass(loaded, Action) and loaded.id not in _actions:
            register(loaded)


def get(action_id: str) -> Action | None:
    _load()
    return _actions.get(action_id)


def all_actions() -> list[Action]:
    _load()
    return sorted(_actions.values(), key=lambda a: (a.group, a.name))
