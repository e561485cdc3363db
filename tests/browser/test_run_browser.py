"""Run a workflow from an invoice's page and watch the job finish on its page.

The job really runs: an engine thread claims and runs due jobs the way a
``jobworker`` does, while the browser watches the timeline poll itself.
"""

import pytest
from playwright.sync_api import expect

from jobs.services import create_job
from silo.models import Entry
from silo.services import create_entry
from tests.factories import load_gobl
from workflows.services import create_workflow

pytestmark = pytest.mark.browser

TWO_STEPS = {
    "name": "Hold and register",
    "schema": "bill/invoice",
    "steps": [
        {"id": "hold", "name": "Hold a moment", "provider": "delay.wait", "config": {"seconds": 1}},
        {
            "id": "register",
            "name": "Mark registered",
            "provider": "silo.state",
            "config": {"state": "registered"},
        },
    ],
}


def test_run_a_workflow_on_an_invoice_and_watch_it_finish(login, alice, worker, screenshot):
    entry, _ = create_entry(alice.workspace, load_gobl("es-invoice-es-es-freelance.json"))
    create_workflow(alice.workspace, TWO_STEPS)
    page = login("alice")

    page.get_by_role("link", name="SAMPLE-001").click()
    page.get_by_role("button", name="Run Workflow").click()
    panel = page.get_by_role("dialog", name="Run a workflow")
    expect(panel.get_by_label("Hold and register")).to_be_checked()
    screenshot(page, "run-panel")
    panel.get_by_role("button", name="Run workflow").click()
    panel.get_by_role("link", name="Open the job →").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Hold and register")
    expect(page.get_by_test_id("job-status")).to_have_text("OK")
    steps = page.locator("ol.timeline > li")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_contain_text("Hold a moment")
    expect(steps.nth(1)).to_contain_text("State set to registered")
    expect(page.locator("ol.timeline .badge.OK")).to_have_count(4)  # two steps, two attempts
    screenshot(page, "job-finished")
    assert Entry.objects.get(pk=entry.pk).state == "registered"


def test_history_shows_a_new_job_and_its_end_without_a_reload(login, alice, worker, screenshot):
    entry, _ = create_entry(alice.workspace, load_gobl("es-invoice-es-es-freelance.json"))
    workflow, _ = create_workflow(alice.workspace, TWO_STEPS)
    page = login("alice")
    page.get_by_role("link", name="History").click()
    expect(page.get_by_text("No jobs yet")).to_be_visible()

    create_job(alice.workspace, workflow, entry=entry, trigger="api")

    row = page.locator("table.jobs tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Hold and register")
    expect(row.get_by_test_id("job-status")).to_have_text("OK")
    screenshot(page, "history")
