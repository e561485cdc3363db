"""What a newcomer meets on a first run: the demo's workflows and past jobs, the
template picker (a template shown before it is loaded), the canvas's Main flow and
Error handling flow, Workflows → History, and the entry page's run panel beside the
document. Every screenshot also checks the top of its page (tests/browser/conftest.py).
"""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from jobs.models import Job, Status
from silo.models import Entry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(settings, tmp_path, server_url):
    settings.VAR_DIR = tmp_path
    call_command("demo_setup", stdout=io.StringIO())
    user = get_user_model().objects.get(username="demo")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_the_demo_shows_workflows_and_history_with_real_jobs(login, demo, screenshot):
    page = login("demo")
    page.get_by_role("navigation").get_by_role("link", name="Workflows").click()
    expect(page.get_by_role("link", name="Check tax IDs, then register")).to_be_visible()
    expect(page.get_by_text("No workflows yet")).to_have_count(0)
    screenshot(page, "first-run-workflows")

    # Workflows → History, as the guide directs.
    page.get_by_role("navigation", name="Workflows area").get_by_role(
        "link", name="History"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("History")
    expect(
        page.get_by_role("navigation", name="Workflows area").get_by_role("link", name="History")
    ).to_have_attribute("aria-current", "page")
    rows = page.locator("#jobs tr[data-job]")
    expect(rows).to_have_count(Job.objects.filter(workspace__slug="demo").count())
    for status in ("OK", "KO", "WAIT", "CANCEL"):
        expect(page.locator(f"#jobs .badge.{status}").first).to_be_visible()
    screenshot(page, "first-run-history")

    page.get_by_label("Status").select_option("KO")
    expect(rows).to_have_count(Job.objects.filter(status=Status.KO).count())
    rows.filter(has_text="Check tax IDs, then register").get_by_role("link").first.click()
    expect(page.get_by_text("invalid_tax_id").first).to_be_visible()
    expect(page.get_by_text("Mark as error").first).to_be_visible()  # the error flow ran
    screenshot(page, "first-run-job-error-flow")


def test_a_template_is_shown_before_it_is_loaded(login, alice, screenshot):
    page = login("alice")
    page.goto("/workflows/")
    page.get_by_role("link", name="+ Create workflow").click()
    page.get_by_role("dialog", name="Create a workflow").get_by_role(
        "link", name="Check tax IDs, then register"
    ).click()

    preview = page.get_by_role("dialog", name="Check tax IDs, then register")
    steps = preview.get_by_role("region", name="Template steps")
    expect(steps.get_by_role("heading", name="Main flow")).to_be_visible()
    expect(steps).to_contain_text("1. Check the supplier's tax ID")
    expect(steps).to_contain_text("Exception: KO, code missing_tax_id")
    expect(steps.get_by_role("heading", name="Error handling flow")).to_be_visible()
    assert page.url.endswith("/workflows/")  # nothing created yet
    screenshot(page, "template-picker-preview")

    preview.get_by_role("button", name="Load Template").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check tax IDs, then register")
    expect(page.get_by_role("heading", name="Main flow")).to_be_visible()
    expect(page.get_by_role("heading", name="Error handling flow")).to_be_visible()
    expect(page.get_by_role("switch", name="Handle Errors")).to_be_checked()
    expect(page.get_by_test_id("rescue-caption")).to_contain_text(
        "no condition or exception on that step matches"
    )
    expect(page.locator(".rescue-flow").get_by_test_id("step-card")).to_have_text(
        [re.compile("Mark as error")]
    )
    screenshot(page, "editor-main-and-error-flows")


def test_a_link_opens_the_picker_on_its_template(login, alice):
    page = login("alice")
    page.goto("/workflows/new/?template=issue-and-send")

    preview = page.get_by_role("dialog", name="Issue and send invoice")
    expect(preview.get_by_role("button", name="Load Template")).to_be_visible()
    expect(preview).to_contain_text("1. Mark as processing")


def test_the_run_panel_opens_beside_the_document(login, demo, screenshot):
    entry = Entry.objects.filter(workspace__slug="demo", schema="bill/invoice").first()
    page = login("demo")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"/silo/{entry.pk}/")
    page.get_by_role("button", name="Run Workflow", exact=True).click()

    panel = page.get_by_role("dialog", name="Run a workflow")
    expect(panel).to_be_visible()
    document = page.locator("#entry-main").bounding_box()
    beside = panel.bounding_box()
    assert beside["x"] >= document["x"] + document["width"]  # to its right
    assert beside["y"] < document["y"] + 200  # at the top, not below an empty area
    screenshot(page, "entry-run-panel-beside")
