"""Sandboxed templates in step config (SPEC S8).

Config strings may contain ``{{ doc.supplier.name }}``-style expressions over ``doc``,
``entry``, ``args``, ``job`` and, in rescue, ``fault``. Only the data is reachable:
``a.b`` and ``a[b]`` look up keys and list indexes, never Python attributes, and
nothing can be called, so a template cannot reach code or the host.
"""

from jinja2 import TemplateSyntaxError, Undefined
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import SandboxedEnvironment

__all__ = ["TemplateError", "check", "render_config"]


class DataOnlyEnvironment(SandboxedEnvironment):
    def getattr(self, obj, attribute):
        return self.getitem(obj, attribute)

    def getitem(self, obj, argument):
        if isinstance(obj, dict):
            if argument in obj:
                return obj[argument]
        elif isinstance(obj, list | tuple):
            try:
                return obj[int(argument)]
            except (ValueError, TypeError, IndexError):
                pass
        return self.undefined(obj=obj, name=argument)

    def call(self, context, obj, *args, **kwargs):
        raise SecurityError("templates cannot call functions")


_env = DataOnlyEnvironment(undefined=Undefined, autoescape=False)


def _is_template(value):
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def check(value):
    """Syntax errors in every template inside ``value``, as ``(path, message)`` pairs."""
    problems = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{path}[{index}]")
        elif _is_template(node):
            try:
                _env.parse(node)
            except TemplateSyntaxError as error:
                problems.append((path, f"template syntax error: {error.message}"))

    walk(value, "")
    return problems


def render_config(config, data):
    """Render every template string in ``config`` (a JSON value) over ``data``."""
    if isinstance(config, dict):
        return {key: render_config(value, data) for key, value in config.items()}
    if isinstance(config, list):
        return [render_config(value, data) for value in config]
    if _is_template(config):
        return _env.from_string(config).render(data)
    return config
