"""Sandboxed templates in step config (SPEC S8).

Config strings may contain ``{{ doc.supplier.name }}``-style expressions over ``doc``,
``entry``, ``args``, ``job`` and, in rescue, ``fault``. Only the data is reachable:
``a.b`` and ``a[b]`` look up keys and list indexes, never Python attributes, and
nothing can be called, so a template cannot reach code or the host.

A template also runs on a budget, so that one workflow cannot hold a shared worker
or fill the database: at most ``MAX_OPERATIONS`` template lines executed per config,
and no text or list longer than ``MAX_VALUE_CHARS`` made by an operator (``*``,
``+``, ``~``), a filter or the output. Over budget, rendering stops at once with
OverBudget (the step ends ``KO template_budget``).
"""

import sys

from jinja2 import TemplateSyntaxError, Undefined
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from console import storable

__all__ = ["OverBudget", "TemplateError", "check", "render_config"]

# A config renders in a few hundred operations; a million is far beyond any honest
# template (a loop over every line of a large invoice, times a few) and costs a worker
# well under a second. 100,000 characters hold any value a config needs (an email
# body, a URL, a note) and keep a job's events and its page small.
MAX_OPERATIONS = 1_000_000
MAX_VALUE_CHARS = 100_000


class OverBudget(TemplateError):
    """The template used more than its budget of operations or of text."""


def _within(length):
    if length > MAX_VALUE_CHARS:
        raise OverBudget(f"a value would be longer than {MAX_VALUE_CHARS:,} characters")


def _sized(value):
    if isinstance(value, str | list | tuple | dict):
        _within(len(value))
    return value


def _refuse_big_numbers(args):
    for value in args:
        if isinstance(value, int) and not isinstance(value, bool) and value > MAX_VALUE_CHARS:
            raise OverBudget(f"a filter argument over {MAX_VALUE_CHARS:,} is not allowed")


def _budgeted_filter(name, function):
    """Refuse a width or count over the budget before the filter runs (``center``,
    ``indent``, ``wordwrap``, ``batch``), and a result over it after."""

    def run(*args, **kwargs):
        # The arguments after the filtered value (and Jinja's context, when it passes one).
        _refuse_big_numbers(args[2:] if getattr(function, "jinja_pass_arg", None) else args[1:])
        _refuse_big_numbers(kwargs.values())
        if name == "replace":
            _check_replace(*args, **kwargs)
        return _sized(function(*args, **kwargs))

    if hasattr(function, "jinja_pass_arg"):
        run.jinja_pass_arg = function.jinja_pass_arg
    return run


def _check_replace(eval_ctx, text, old, new, count=None):
    text, old, new = str(text), str(old), str(new)
    times = (len(text) + 1) if not old else text.count(old)
    if count is not None and count >= 0:
        times = min(times, count)
    if len(text) + times * max(len(new) - len(old), 0) > MAX_VALUE_CHARS:
        raise OverBudget(f"replace would make more than {MAX_VALUE_CHARS:,} characters")


class _BudgetedCode(CodeGenerator):
    """``a ~ b`` joins through the environment, which measures first."""

    def visit_Concat(self, node, frame):  # noqa: N802 - Jinja's visitor naming
        self.write("environment.sized_join((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")


class DataOnlyEnvironment(SandboxedEnvironment):
    code_generator_class = _BudgetedCode
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options):
        super().__init__(**options)
        self.filters = {
            name: _budgeted_filter(name, function)
            for name, function in self.filters.items()
            if name != "format"  # printf-style widths would make text of any length
        }

    def sized_join(self, parts):
        parts = [str(part) for part in parts]
        if sum(len(part) for part in parts) > MAX_VALUE_CHARS:
            raise OverBudget(f"joined text would be longer than {MAX_VALUE_CHARS:,} characters")
        return "".join(parts)

    def call_binop(self, context, operator, left, right):
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, str | list | tuple) and isinstance(times, int):
                    _within(len(sequence) * max(times, 0))
        elif operator == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and abs(left) > 1 and right * abs(left).bit_length() > 4 * MAX_VALUE_CHARS:
                raise OverBudget("the power would be a number too large to show")
        elif operator == "%" and isinstance(left, str):
            raise SecurityError("printf-style formatting (text % value) is not available")
        elif operator == "+" and all(isinstance(x, str | list | tuple) for x in (left, right)):
            _within(len(left) + len(right))
        return _sized(super().call_binop(context, operator, left, right))

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
    """Render every template string in ``config`` (a JSON value) over ``data``, within
    one budget of operations for the whole config. Raises TemplateError (OverBudget
    when over budget; a rendered value the stores cannot hold is one too)."""
    with _OperationBudget():
        rendered = _render(config, data)
    try:
        return storable.check(rendered)
    except storable.Unstorable as error:
        raise TemplateError(f"{error.path or 'the value'} {error.problem}") from None


def _render(config, data):
    if isinstance(config, dict):
        return {key: _render(value, data) for key, value in config.items()}
    if isinstance(config, list):
        return [_render(value, data) for value in config]
    if _is_template(config):
        size, chunks = 0, []
        for chunk in _env.from_string(config).generate(data):
            size += len(chunk)
            if size > MAX_VALUE_CHARS:
                raise OverBudget(f"the output would be longer than {MAX_VALUE_CHARS:,} characters")
            chunks.append(chunk)
        return "".join(chunks)
    return config


class _OperationBudget:
    """Counts the lines a template executes (a trace on this thread, for the compiled
    template's own frames only) and stops it at ``MAX_OPERATIONS``. Jinja has no hook
    in its loops, and a loop over nothing visible may run for ever otherwise."""

    def __enter__(self):
        self.left = MAX_OPERATIONS
        self.previous = sys.gettrace()
        sys.settrace(self._call)
        return self

    def __exit__(self, *exc):
        sys.settrace(self.previous)

    def _call(self, frame, event, arg):
        return self._line if frame.f_code.co_filename == "<template>" else None

    def _line(self, frame, event, arg):
        if event == "line":
            self.left -= 1
            if self.left < 0:
                raise OverBudget(f"the template ran more than {MAX_OPERATIONS:,} operations")
        return self._line
