"""People in a real browser: an owner invites a colleague (the email arrives at a
local SMTP server), the colleague signs up through its link and works in the
workspace until the owner removes them, which closes their History page's socket; a
viewer reads but finds no button to change anything, and the server refuses them."""

import re

import pytest
from playwright.sync_api import expect

from console.models import Membership
from console.workspace_settings import update_settings
from jobs import consumers
from tests.actions.receivers import SmtpReceiver
from tests.factories import PASSWORD, invoice, make_entry
from workflows.services import create_workflow

pytestmark = pytest.mark.browser


def open_menu(page, name):
    page.get_by_test_id(name).click()


def test_an_invited_colleague_signs_up_and_loses_access_when_removed(
    page, login, alice, browser, server_url, screenshot, monkeypatch
):
    monkeypatch.setattr(consumers, "SWEEP_S", 0.2)
    with SmtpReceiver() as smtp:
        update_settings(
            alice.workspace,
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_security="none",
            allow_private_network=True,
        )
        login("alice")
        open_menu(page, "workspace-menu")
        screenshot(page, "workspace-menu")
        page.get_by_role("menuitem", name="Members").click()
        page.get_by_label("Email").fill("carol@example.com")
        page.get_by_label("Role", exact=True).select_option("editor")
        page.get_by_role("button", name="Invite").click()
        expect(page.get_by_test_id("invited")).to_contain_text(
            "Invitation sent to carol@example.com"
        )
        expect(page.get_by_test_id("invitation-row")).to_contain_text("carol@example.com")
        screenshot(page, "members-invited")

        ((recipients, message),) = smtp.messages
    assert recipients == ["carol@example.com"]
    link = re.search(r"https?://\S+/invitations/\S+/", message.get_content()).group(0)

    colleague = browser.new_context(base_url=server_url).new_page()
    colleague.goto(link)
    expect(colleague.get_by_role("heading", name="Join Acme")).to_be_visible()
    screenshot(colleague, "invitation-sign-up")
    colleague.get_by_label("Username").fill("carol")
    colleague.get_by_label("Password", exact=True).fill(PASSWORD)
    colleague.get_by_label("Password again").fill(PASSWORD)
    colleague.get_by_role("button", name="Sign up and join").click()
    expect(colleague.get_by_text("Welcome to Acme.")).to_be_visible()
    expect(colleague.get_by_label("Workspace", exact=True)).to_have_value(str(alice.workspace.pk))

    with colleague.expect_websocket() as opened:
        colleague.goto("/jobs/")
    socket = opened.value
    colleague.wait_for_function("document.documentElement.dataset.live === 'connected'")

    page.reload()
    row = page.get_by_test_id("member-row").filter(has_text="carol")
    expect(row).to_contain_text("ago")  # her last activity
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Remove carol").click()
    expect(page.get_by_text("carol is removed from the workspace.")).to_be_visible()

    # The socket closes (4403) at its next sweep, and the page reloads on that close.
    expect(colleague.get_by_role("heading", name="No workspace yet")).to_be_visible()
    assert socket.is_closed()
    assert not Membership.objects.filter(user__username="carol").exists()


def test_a_viewer_reads_but_cannot_run_or_edit(page, login, alice, django_user_model, screenshot):
    viewer = django_user_model.objects.create_user("vera", password=PASSWORD)
    Membership.objects.create(user=viewer, workspace=alice.workspace, role="viewer")
    entry = make_entry(alice.workspace, invoice("V-1"))
    workflow, _ = create_workflow(
        alice.workspace,
        {
            "name": "Register",
            "schema": "bill/invoice",
            "steps": [{"id": "s", "provider": "silo.state", "config": {"state": "registered"}}],
        },
    )
    login("vera")

    expect(page.get_by_role("row").filter(has_text="V-1")).to_be_visible()
    expect(page.locator("#upload")).to_have_count(0)
    expect(page.locator("#bulk-run")).to_have_count(0)
    page.goto(f"/silo/{entry.pk}/")
    expect(page.get_by_role("heading", name="State and meta")).to_be_visible()
    expect(page.locator("#run-workflow")).to_have_count(0)
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    screenshot(page, "viewer-entry")
    page.goto(f"/workflows/{workflow.pk}/")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    expect(page.get_by_role("button", name="Run")).to_have_count(0)
    expect(page.locator("#save")).to_have_count(0)
    expect(page.get_by_role("button", name="+ Add step")).to_be_hidden()
    screenshot(page, "viewer-editor")

    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    headers = {"X-CSRFToken": csrf, "Referer": page.url}
    run = page.request.post(
        f"/silo/{entry.pk}/run/start/", form={"workflow": str(workflow.pk)}, headers=headers
    )
    edit = page.request.post(f"/silo/{entry.pk}/edit/", form={"state": "void"}, headers=headers)

    assert (run.status, edit.status) == (403, 403)
    assert "you are a viewer" in run.text()
    entry.refresh_from_db()
    assert entry.state == "draft"
