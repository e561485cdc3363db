"""The canvas editor in a real browser: build a workflow from the Empty Invoice template
through the sidebar, nest an exception, turn on Handle Errors, save, reload, undo, redo."""

import pytest
from playwright.sync_api import expect

from workflows import drafts
from workflows.models import Workflow
from workflows.services import create_workflow

pytestmark = pytest.mark.browser


def add_step(page, add_button, action):
    add_button.click()
    sidebar = page.locator("#sidebar")
    expect(sidebar.get_by_role("heading", name="Add a step")).to_be_visible()
    sidebar.get_by_role("button", name=action).click()
    expect(sidebar.locator(".config-form h2")).to_have_text(action)
    return sidebar


def test_build_save_reload_undo_redo(login, alice, screenshot):
    page = login("alice")
    page.goto("/workflows/")
    page.get_by_role("link", name="+ Create workflow").click()
    page.get_by_role("link", name="Empty Invoice workflow").click()
    page.get_by_role("button", name="Load Template").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Empty Invoice workflow")
    page.wait_for_load_state()  # htmx (a deferred script) is ready before the first click
    main = page.locator(".main-flow")
    cards = main.get_by_test_id("step-card")
    expect(cards).to_have_count(0)

    # 1. The catalogue by keyboard: type, arrow down, Enter.
    main.locator(".add-step").last.click()
    search = page.get_by_label("Search actions")
    expect(search).to_be_focused()
    search.fill("set state")
    expect(page.locator(".catalogue-item:visible")).to_have_count(1)
    screenshot(page, "editor-catalogue-search")
    search.press("ArrowDown")
    expect(page.get_by_role("button", name="Set state")).to_be_focused()
    page.keyboard.press("Enter")
    sidebar = page.locator("#sidebar")
    expect(sidebar.get_by_text("required", exact=True)).to_be_visible()
    expect(cards.nth(0)).to_have_class("step-card invalid selected")
    sidebar.get_by_label("State").select_option("processing")
    sidebar.get_by_role("button", name="Apply").click()
    expect(sidebar.get_by_text("Applied.")).to_be_visible()
    expect(cards.nth(0)).not_to_have_class("step-card invalid selected")
    expect(cards.nth(0)).to_contain_text("state: processing")

    # 2 and 3: the catalogue is filtered to bill/invoice and grouped.
    add_step(page, main.locator(".add-step").last, "Validate tax ID")
    screenshot(page, "editor-config-form")
    add_step(page, main.locator(".add-step").last, "Generate PDF")
    expect(cards).to_have_count(3)
    expect(cards.nth(1)).to_contain_text("Validate tax ID")

    # An exception on "Validate tax ID", offered its codes, ending the workflow here.
    cards.nth(1).get_by_label("Step menu for Validate tax ID").click()
    cards.nth(1).get_by_role("menuitem", name="Add exception").click()
    popover = page.get_by_role("dialog", name="Exception")
    popover.get_by_role("button", name="invalid_tax_id").click()
    expect(popover.get_by_label("Code")).to_have_value("invalid_tax_id")
    popover.get_by_label("End workflow here").check()
    screenshot(page, "editor-exception-popover")
    popover.get_by_role("button", name="Add").click()
    block = main.get_by_test_id("block")
    expect(block).to_contain_text("Exception")
    expect(block).to_contain_text("invalid_tax_id")
    expect(block).to_contain_text("End workflow here")
    add_step(page, block.get_by_role("button", name="Select an action"), "Set state")
    page.locator("#sidebar").get_by_label("State").select_option("error")
    page.locator("#sidebar").get_by_role("button", name="Apply").click()
    expect(block.get_by_test_id("step-card")).to_contain_text("state: error")

    # Handle Errors: the rescue flow with its own step.
    page.get_by_role("switch", name="Handle Errors").check()
    rescue = page.locator(".rescue-flow")
    expect(page.locator("#sidebar").get_by_role("heading", name="Add a step")).to_be_visible()
    page.locator("#sidebar").get_by_role("button", name="Set state").click()
    screenshot(page, "editor-built")
    # Save right after choosing, without Apply: the form is applied first, nothing is lost.
    page.locator("#sidebar").get_by_label("State").select_option("void")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved as version 2.")).to_be_visible()
    expect(rescue.get_by_test_id("step-card")).to_contain_text("state: void")

    page.reload()
    expect(page.get_by_test_id("draft-status")).to_have_text("Saved · version 2")
    expect(cards).to_have_count(4)  # three main steps and the nested one
    expect(main.get_by_test_id("block")).to_contain_text("invalid_tax_id")
    expect(rescue.get_by_test_id("step-card")).to_have_count(1)
    expect(page.get_by_role("switch", name="Handle Errors")).to_be_checked()
    workflow = Workflow.objects.get()
    definition = workflow.current().definition
    assert [s["provider"] for s in definition["steps"]] == [
        "silo.state",
        "tax_id.validate",
        "pdf.generate",
    ]
    exception = definition["steps"][1]["next"][0]
    assert (exception["status"], exception["code"], exception["stop"]) == (
        "KO",
        "invalid_tax_id",
        True,
    )
    assert exception["steps"][0]["config"] == {"state": "error"}
    assert definition["rescue"][0]["config"] == {"state": "void"}

    # Undo and redo, by keyboard and by button, over the draft's edits.
    page.on("dialog", lambda dialog: dialog.accept())
    cards.nth(3).get_by_label("Step menu for Generate PDF").click()
    cards.nth(3).get_by_role("menuitem", name="Delete").click()
    expect(cards).to_have_count(3)
    undo = page.get_by_role("button", name="Undo")
    redo = page.get_by_role("button", name="Redo")
    expect(undo).to_be_enabled()
    page.locator("body").press("Control+z")
    expect(cards).to_have_count(4)
    expect(redo).to_be_enabled()
    page.locator("body").press("Control+Shift+z")
    expect(cards).to_have_count(3)
    undo.click()
    expect(cards).to_have_count(4)
    expect(undo).to_be_disabled()
    redo.click()
    expect(cards).to_have_count(3)
    expect(redo).to_be_disabled()
    page.reload()  # the draft survives a reload
    expect(cards).to_have_count(3)
    expect(page.get_by_test_id("draft-status")).to_contain_text("Draft")
    screenshot(page, "editor-draft-after-undo-redo")
    assert len(drafts.load(workflow, alice.user)["steps"]) == 2


LEGACY = {
    "name": "Older export",
    "schema": "bill/invoice",
    "steps": [
        {
            "id": "check",
            "name": "Check tax ID",
            "provider": "tax_id.validate",
            "config": {},
            "next": [{"status": "KO", "step_id": "fail"}],
        },
        {"id": "sent", "name": "Mark sent", "provider": "silo.state", "config": {"state": "sent"}},
        {
            "id": "fail",
            "name": "Mark error",
            "provider": "silo.state",
            "config": {"state": "error"},
        },
    ],
}


def test_deprecated_jumps_replace_and_drag(login, alice, screenshot):
    workflow, _ = create_workflow(alice.workspace, LEGACY)
    page = login("alice")
    page.goto(f"/workflows/{workflow.pk}/")
    notice = page.get_by_test_id("deprecated-notice")
    expect(notice).to_have_text("This step contains deprecated conditions")
    jump = page.locator(".step-card.legacy")
    expect(jump.locator(".step-name")).to_have_text("⚠ Go to Set state")
    expect(jump.get_by_test_id("jump-target-name")).to_have_text("step “Mark error”")
    target = page.locator(".step-card", has=page.get_by_test_id("jump-target"))
    expect(target).to_have_count(1)
    expect(target.locator(".step-name")).to_have_text("Mark error")
    screenshot(page, "editor-deprecated-jump")

    jump.get_by_label("Step menu for ⚠ Go to Set state").click()
    jump.get_by_role("menuitem", name="Replace").click()
    sidebar = page.locator("#sidebar")
    expect(sidebar.get_by_role("heading", name="Replace “Go to step”")).to_be_visible()
    sidebar.get_by_role("button", name="Set state").click()
    expect(notice).to_have_count(0)
    expect(page.locator(".step-card.legacy")).to_have_count(0)
    expect(page.get_by_test_id("jump-target")).to_have_count(0)

    # Drag "Mark error" (the last main step) onto "Check tax ID": it lands first.
    cards = page.locator(".main-flow > ol > li > .step-card")
    expect(cards).to_have_count(3)
    cards.nth(2).drag_to(cards.nth(0))
    expect(cards.nth(0)).to_contain_text("Mark error")
    expect(cards.nth(1)).to_contain_text("Check tax ID")
    steps = drafts.load(workflow, alice.user)["steps"]
    assert [s["id"] for s in steps] == ["fail", "check", "sent"]


TWO_STEPS = {
    "name": "Two states",
    "schema": "bill/invoice",
    "steps": [
        {"id": "a", "name": "Mark sent", "provider": "silo.state", "config": {"state": "sent"}},
        {
            "id": "b",
            "name": "Mark done",
            "provider": "silo.state",
            "config": {"state": "completed"},
        },
    ],
}


def test_a_button_works_the_moment_its_answer_lands(login, alice):
    """The toolbar an edit sends back is live as soon as it is on screen: Undo clicked at
    once (by a watcher, before the page does anything else) undoes the edit."""
    workflow, _ = create_workflow(alice.workspace, TWO_STEPS)
    page = login("alice")
    page.goto(f"/workflows/{workflow.pk}/")
    page.wait_for_load_state()
    cards = page.locator(".main-flow").get_by_test_id("step-card")
    expect(cards).to_have_count(2)
    page.evaluate(
        """() => new MutationObserver((changes, watcher) => {
            const undo = document.getElementById("undo");
            if (!undo || undo.disabled) return;
            watcher.disconnect();
            undo.click();
        }).observe(document.body, {childList: true, subtree: true})"""
    )
    page.on("dialog", lambda dialog: dialog.accept())
    cards.nth(1).get_by_label("Step menu for Mark done").click()
    cards.nth(1).get_by_role("menuitem", name="Delete").click()
    expect(page.get_by_role("button", name="Redo")).to_be_enabled()
    expect(cards).to_have_count(2)
    assert [s["id"] for s in drafts.load(workflow, alice.user)["steps"]] == ["a", "b"]
