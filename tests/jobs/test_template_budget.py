"""Issue 12, finding 4: a step's config template runs on a budget. A template that
loops for ever or makes tens of megabytes ends its step KO ``template_budget`` at
once (no lease expiry, no rerun), and the job's page and API answer stay small."""

import time

import pytest

from jobs import engine
from tests.jobs.flows import block, ok, run_flow
from workflows import templating


@pytest.mark.parametrize(
    "template",
    [
        "{{ 'a' * 10000000 }}",
        "{% for a in 'x' * 100000 %}{% for b in 'x' * 100000 %}{% endfor %}{% endfor %}",
        "{% set a = 'aaaaaaaaaa' %}{% set b = a~a~a~a~a~a~a~a~a~a %}"
        "{% set c = b~b~b~b~b~b~b~b~b~b %}{% set d = c~c~c~c~c~c~c~c~c~c %}"
        "{% set e = d~d~d~d~d~d~d~d~d~d %}{{ e ~ e }}",
        "{{ 'a'|center(1000000000) }}",
        "{{ ('ab' * 1000)|replace('a', 'b' * 1000) }}",
        "{{ [1, 2] * 100000000 }}",
        "{{ 7 ** 100000000 }}",
        "{% for a in 'x' * 60000 %}{{ 'yy' }}{% endfor %}",
    ],
)
def test_a_template_over_its_budget_ends_the_step_ko_at_once(alice, template):
    started = time.monotonic()

    job = run_flow(alice.workspace, [ok("a", message=template, next=[block("KO", ok("caught"))])])

    assert time.monotonic() - started < 10  # seconds, not the minutes of a lease
    intent = job.intents.get(step_id="a")
    assert (intent.status, intent.code) == ("KO", "template_budget")
    assert intent.events.count() == 1  # once: no attempt again
    assert len(intent.message) < 500
    assert job.intents.filter(step_id="caught").exists()


def test_the_budget_leaves_honest_templates_alone(alice, invoice_doc):
    from silo.services import create_entry

    entry, _ = create_entry(alice.workspace, invoice_doc)
    template = (
        "{{ doc.supplier.name }}: {% for line in doc.lines %}{{ line.item.name }}"
        "{% if not loop.last %}, {% endif %}{% endfor %} ({{ doc.lines|length }})"
    )

    job = run_flow(alice.workspace, [ok("a", message=template)], entry=entry)

    intent = job.intents.get(step_id="a")
    assert intent.status == "OK"
    assert intent.message.startswith(invoice_doc["doc"]["supplier"]["name"] + ": ")


def test_a_long_message_is_stored_cut_with_a_marker(alice, alice_client):
    job = run_flow(alice.workspace, [ok("a", message="{{ 'x' * 90000 }}")])

    intent = job.intents.get(step_id="a")
    assert intent.status == "OK"
    assert len(intent.message) < engine.MAX_MESSAGE_CHARS + 50
    assert intent.message.endswith(f"… [{90000 - engine.MAX_MESSAGE_CHARS:,} more characters cut]")
    assert intent.events.get().message == intent.message
    page = alice_client.get(f"/jobs/{job.id}/")
    assert page.status_code == 200
    assert len(page.content) < 200_000


def test_a_message_the_stores_cannot_hold_is_a_template_error(alice):
    job = run_flow(alice.workspace, [ok("a", message="{{ '\\ud800' }}")])

    intent = job.intents.get(step_id="a")
    assert (intent.status, intent.code) == ("KO", "template_error")


def test_an_operation_budget_stops_a_loop_that_shows_nothing():
    loops = "{% for a in doc.lines %}{% for b in doc.lines %}{% endfor %}{% endfor %}"
    data = {"doc": {"lines": list(range(2000))}}

    with pytest.raises(templating.OverBudget, match="operations"):
        templating.render_config({"message": loops}, data)


@pytest.mark.parametrize(
    ("template", "shown"),
    [
        ("{{ 150000|string }}", "150000"),
        ("{{ 2 ** 10 }} {{ 3 * 4 }} {{ 'ab' + 'cd' }} {{ 7 % 3 }}", "1024 12 abcd 1"),
        ("{{ 'a-b'|replace('-', '/') }} {{ [3, 1, 2]|sort|join(',') }}", "a/b 1,2,3"),
        ("{{ 1234567|filesizeformat }}", "1.2 MB"),
    ],
)
def test_everyday_operators_and_filters_still_work(template, shown):
    assert templating.render_config({"v": template}, {}) == {"v": shown}
