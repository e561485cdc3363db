"""The workflows screens in a real browser: developer mode, Copy JSON and Import JSON
across workspaces through the system clipboard, and the editor's Run panel."""

import json

import pytest
from playwright.sync_api import expect

from console.models import Membership, Workspace
from jobs.models import Job
from silo.services import create_entry
from tests.browser.test_run_browser import TWO_STEPS
from tests.factories import invoice, load_gobl
from workflows import drafts, starters
from workflows.models import Workflow
from workflows.services import create_workflow, export, save_version

pytestmark = pytest.mark.browser


def test_switch_to_developer_mode_and_back(login, alice, server_url, screenshot):
    workflow, _ = create_workflow(alice.workspace, starters.get("issue-and-send"))
    page = login("alice")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
    page.goto(f"/workflows/{workflow.pk}/")

    page.get_by_role("switch", name="Developer mode").click()

    editor = page.get_by_label("Workflow JSON")
    document = json.loads(editor.input_value())
    assert document == export(workflow)
    expect(page.get_by_role("switch", name="Developer mode")).to_have_attribute(
        "aria-checked", "true"
    )
    screenshot(page, "developer-mode")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_have_text("Copied to the clipboard.")
    assert json.loads(page.evaluate("navigator.clipboard.readText()")) == document
    document["name"] = "Issue, send and file"
    editor.fill(json.dumps(document, indent=2))
    page.get_by_role("switch", name="Developer mode").click()

    page.wait_for_url(f"**/workflows/{workflow.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Issue, send and file")
    expect(page.get_by_role("switch", name="Developer mode")).to_have_attribute(
        "aria-checked", "false"
    )
    assert drafts.load(workflow, alice.user)["name"] == "Issue, send and file"


def test_a_validation_error_in_developer_mode_shows_its_path(login, alice, screenshot):
    workflow, _ = create_workflow(alice.workspace, starters.get("issue-and-send"))
    page = login("alice")
    page.goto(f"/workflows/{workflow.pk}/developer/")
    editor = page.get_by_label("Workflow JSON")
    document = json.loads(editor.input_value())
    document["steps"][1]["next"][0]["status"] = "MAYBE"
    editor.fill(json.dumps(document, indent=2))

    page.get_by_role("switch", name="Developer mode").click()

    problems = page.get_by_role("alert")
    expect(problems).to_contain_text("steps[1].next[0].status")
    expect(problems).to_contain_text("nothing was saved")
    expect(page.get_by_role("switch", name="Developer mode")).to_have_attribute(
        "aria-checked", "true"
    )
    assert '"MAYBE"' in page.get_by_label("Workflow JSON").input_value()
    screenshot(page, "developer-mode-error")

    page.get_by_label("Workflow JSON").fill('{\n  "name": "x",\n  oops\n}')
    page.get_by_role("switch", name="Developer mode").click()

    expect(page.get_by_role("alert")).to_contain_text("not valid JSON")
    expect(page.get_by_label("Workflow JSON")).to_be_focused()
    cursor = page.get_by_label("Workflow JSON").evaluate("area => area.selectionStart")
    assert cursor == len('{\n  "name": "x",\n  ')  # where "oops" begins
    assert drafts.get(workflow, alice.user) is None


def test_copy_json_switch_workspace_import_and_compare(login, alice, server_url, screenshot):
    source, _ = create_workflow(alice.workspace, starters.get("issue-and-send"))
    other = Workspace.objects.create(name="Zeta Imports")
    Membership.objects.create(user=alice.user, workspace=other, role=Membership.Role.OWNER)
    page = login("alice")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
    page.get_by_role("link", name="Workflows").click()

    row = page.locator("tr", has_text=source.name)
    row.get_by_label(f"Actions for {source.name}").click()
    screenshot(page, "workflows-list-menu")
    row.get_by_role("menuitem", name="Copy JSON").click()
    expect(page.get_by_role("status")).to_have_text("Copied the workflow's JSON to the clipboard.")

    page.get_by_label("Workspace").select_option(label="Zeta Imports")
    # The switch posts its form (onchange) and lands on the Silo. select_option does not
    # wait for that navigation, and wait_for_load_state() would answer for the old page
    # at once: the next click could land on it, before the switch.
    page.wait_for_url("**/silo/")
    page.get_by_role("link", name="Workflows").click()
    expect(page.get_by_text("No workflows yet")).to_be_visible()
    page.get_by_role("link", name="Import JSON").click()
    dialog = page.get_by_role("dialog", name="Import JSON")
    dialog.get_by_label("Workflow JSON").focus()
    page.keyboard.press("ControlOrMeta+V")
    screenshot(page, "import-json")
    dialog.get_by_role("button", name="Import workflow").click()

    page.wait_for_url("**/workflows/*/")
    imported = Workflow.objects.get(workspace=other)
    assert imported.pk != source.pk
    mine, theirs = export(imported), export(source)
    assert {k: v for k, v in mine.items() if k not in ("id", "version")} == {
        k: v for k, v in theirs.items() if k not in ("id", "version")
    }


def test_run_from_the_editors_run_panel_on_an_invoice(login, alice, worker, screenshot):  # noqa: F811
    entry, _ = create_entry(alice.workspace, load_gobl("es-invoice-es-es-freelance.json"))
    create_entry(alice.workspace, invoice("OTHER-1", supplier="Other", customer="Someone else"))
    workflow, _ = create_workflow(alice.workspace, TWO_STEPS)
    page = login("alice")
    page.goto(f"/workflows/{workflow.pk}/")

    screenshot(page, "editor-toolbar")
    page.get_by_role("button", name="Run", exact=True).click()
    panel = page.get_by_role("dialog", name=f"Run {workflow.name}")
    panel.get_by_role("button", name="Run workflow").click()
    expect(panel.get_by_role("alert")).to_have_text(
        "Pick a document or give at least one argument."
    )
    choices = panel.locator("#entry-choices .choice")
    expect(choices).to_have_count(3)  # no document, and the two invoices
    panel.get_by_label("Search documents").fill("sample-001")
    expect(choices).to_have_count(2)
    panel.get_by_label("SAMPLE-001").check()
    panel.get_by_role("button", name="+ Add argument").click()
    panel.get_by_label("Argument name").last.fill("channel")
    panel.get_by_label("Argument value").last.fill("console")
    screenshot(page, "workflow-run-panel")
    panel.get_by_role("button", name="Run workflow").click()
    panel.get_by_role("link", name="Open the job →").click()

    expect(page.get_by_test_id("job-status")).to_have_text("OK")
    job = Job.objects.get()
    assert job.entry_id == entry.pk and job.args == {"channel": "console"}


def test_the_list_creates_duplicates_runs_and_deletes(login, alice, screenshot):
    page = login("alice")
    page.get_by_role("navigation").get_by_role("link", name="Workflows").click()

    page.get_by_role("link", name="+ Create workflow").click()
    picker = page.get_by_role("dialog", name="Create a workflow")
    picker.get_by_role("link", name="Issue and send invoice").click()
    preview = page.get_by_role("dialog", name="Issue and send invoice")
    preview.get_by_label("Name").fill("Send invoices")
    preview.get_by_role("button", name="Load Template").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send invoices")

    page.get_by_role("navigation").get_by_role("link", name="Workflows").click()
    row = page.locator("tr", has_text="Send invoices")
    row.get_by_label("Actions for Send invoices").click()
    row.get_by_role("menuitem", name="Duplicate").click()
    expect(page.get_by_text("Duplicated Send invoices as Copy of Send invoices.")).to_be_visible()

    copy = page.locator("tr", has_text="Copy of Send invoices")
    copy.get_by_label("Actions for Copy of Send invoices").click()
    copy.get_by_role("menuitem", name="Run").click()
    panel = page.get_by_role("dialog", name="Run Copy of Send invoices")
    expect(panel).to_contain_text("No bill/invoice document in the silo yet.")
    expect(copy.locator("details.menu")).not_to_have_attribute("open", "")
    panel.get_by_label("Argument name").fill("customer")
    panel.get_by_label("Argument value").fill("C-42")
    panel.get_by_role("button", name="Run workflow").click()
    expect(panel.get_by_role("link", name="Open the job →")).to_be_visible()

    copy.get_by_label("Actions for Copy of Send invoices").click()
    copy.get_by_role("menuitem", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete Copy of Send invoices?")
    expect(confirm).to_contain_text("archived")
    expect(panel).to_have_count(0)  # one dialog at a time
    screenshot(page, "workflows-list-delete")
    confirm.get_by_role("button", name="Archive workflow").click()

    expect(page.get_by_text("Archived Copy of Send invoices")).to_be_visible()
    expect(page.locator("table.workflows tbody tr")).to_have_count(1)
    names = set(Workflow.objects.filter(archived=False).values_list("name", flat=True))
    assert names == {"Send invoices"}
    assert Job.objects.get().args == {"customer": "C-42"}


def test_compare_two_versions_and_restore_one(login, alice, screenshot):
    workflow, _ = create_workflow(alice.workspace, TWO_STEPS)
    changed = {**TWO_STEPS, "name": "Hold longer", "steps": [dict(s) for s in TWO_STEPS["steps"]]}
    changed["steps"][0]["config"] = {"seconds": 5}
    save_version(workflow, changed, expected_version=1)
    page = login("alice")
    page.goto(f"/workflows/{workflow.pk}/")

    page.get_by_role("link", name="Versions").click()

    expect(page.locator("ul.summary")).to_contain_text(
        "Name changed from 'Hold and register' to 'Hold longer'."
    )
    expect(page.locator("ul.summary")).to_contain_text(
        "Changed step Hold a moment (delay.wait): config.seconds 1 → 5."
    )
    expect(page.locator("pre.diff .add")).to_contain_text(['+  "name": "Hold longer",'])
    page.get_by_label("From version").select_option("2")
    expect(page.get_by_text("Version 2 compared with itself")).to_be_visible()
    page.get_by_label("From version").select_option("1")
    screenshot(page, "versions")
    page.get_by_role("button", name="Restore version 1").click()

    expect(page.get_by_text("Restored version 1 as version 3.")).to_be_visible()
    workflow.refresh_from_db()
    assert workflow.current_version == 3 and workflow.name == "Hold and register"
