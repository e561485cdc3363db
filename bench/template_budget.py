"""What do template budgets cost, and how soon do they stop a hostile template?

    .venv/bin/python bench/template_budget.py

Renders step configs the way the engine does (``templating.render_config``) over a
real GOBL invoice: honest templates with the budget on, next to the same templates
rendered by a plain Jinja sandbox (no budget), and hostile ones (loops, huge text)
until they are stopped. Prints the median and p95 of each; no database needed.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HONEST = {
    "one lookup": "{{ doc.supplier.name }}",
    "a loop over the lines": (
        "{% for line in doc.lines %}{{ line.item.name }}: {{ line.sum }}"
        "{% if not loop.last %}, {% endif %}{% endfor %}"
    ),
    "an email body": (
        "Dear {{ doc.customer.name }},\n\nInvoice {{ doc.series }}-{{ doc.code }} of "
        "{{ doc.issue_date }} for {{ doc.totals.payable }} {{ doc.currency }}.\n"
        "{% for line in doc.lines %}- {{ line.item.name|upper }}\n{% endfor %}"
    ),
}
HOSTILE = {
    "'a' * 10^7": "{{ 'a' * 10000000 }}",
    "nested loops, no output": (
        "{% for a in 'x' * 100000 %}{% for b in 'x' * 100000 %}{% endfor %}{% endfor %}"
    ),
    "output past 100,000 chars": "{% for a in 'x' * 100000 %}{{ 'yy' }}{% endfor %}",
    "~ doubling": (
        "{% set a = 'a' * 1000 %}{% set b = a~a~a~a~a~a~a~a~a~a %}{{ b~b~b~b~b~b~b~b~b~b~b }}"
    ),
}


def timed(label, count, action):
    durations = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    p95 = durations[max(0, int(len(durations) * 0.95) - 1)]
    print(f"{label:<48} median {statistics.median(durations):8.3f} ms   p95 {p95:8.3f} ms")


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    from jinja2.sandbox import SandboxedEnvironment

    from silo import documents
    from tests.conftest import load_gobl
    from workflows import templating

    data = {"doc": documents.body(load_gobl("es-invoice-es-es-freelance.json"))}
    plain = SandboxedEnvironment()
    print(f"budget: {templating.MAX_OPERATIONS:,} operations, {templating.MAX_VALUE_CHARS:,} chars")
    for name, template in HONEST.items():
        timed(
            f"honest, budgeted: {name}",
            500,
            lambda t=template: templating.render_config({"v": t}, data),
        )
        timed(
            f"honest, plain sandbox: {name}",
            500,
            lambda t=template: plain.from_string(t).render(data),
        )

    def stopped(template):
        try:
            templating.render_config({"v": template}, data)
        except templating.OverBudget:
            return
        raise SystemExit(f"not stopped: {template}")

    for name, template in HOSTILE.items():
        timed(f"hostile, stopped: {name}", 5, lambda t=template: stopped(t))


if __name__ == "__main__":
    main()
