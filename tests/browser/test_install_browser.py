"""A fresh install in a real browser: the first-run page makes the owner, who makes,
renames and deletes a workspace and changes their password; a forgotten password is
reset through the email a local SMTP server receives."""

import re

import pytest
from playwright.sync_api import expect

from console.models import Workspace
from tests.actions.receivers import SmtpReceiver
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

NEW = "an even longer password"


@pytest.fixture(autouse=True)
def var_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def menu(page, name, item):
    page.get_by_test_id(name).click()
    page.get_by_role("menuitem", name=item).click()


def test_first_owner_then_workspaces_and_password(page, screenshot):
    page.goto("/")
    expect(page.get_by_role("heading", name="Welcome to the Workflow Console")).to_be_visible()
    screenshot(page, "first-run")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Email (for password resets)").fill("ana@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("Workspace name").fill("Ops")
    page.get_by_role("button", name="Create owner and workspace").click()
    expect(page.get_by_role("heading", name="Silo")).to_be_visible()
    expect(page.get_by_label("Workspace", exact=True)).to_contain_text("Ops")

    menu(page, "workspace-menu", "New workspace")
    page.get_by_label("Name").fill("Side project")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_text("Workspace Side project created: you are its owner.")).to_be_visible()

    menu(page, "workspace-menu", "Rename or delete")
    page.get_by_label("Name", exact=True).fill("Side")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", name="Workspace Side")).to_be_visible()
    expect(page.get_by_test_id("what-goes")).to_contain_text("0 entries")
    screenshot(page, "workspace-manage")
    page.get_by_label("to confirm").fill("Side")
    page.get_by_role("button", name="Delete workspace").click()
    expect(page.get_by_text("Workspace Side and everything in it are deleted.")).to_be_visible()
    assert list(Workspace.objects.values_list("name", flat=True)) == ["Ops"]

    menu(page, "user-menu", "Account")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password again").fill(NEW)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed.")).to_be_visible()
    screenshot(page, "account")
    menu(page, "user-menu", "Sign out")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_a_forgotten_password_is_reset_by_email(page, alice, settings, login):
    alice.user.email = "alice@example.com"
    alice.user.save()
    with SmtpReceiver() as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        page.goto("/login/")
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_label("Email").fill("alice@example.com")
        page.get_by_role("button", name="Send the link").click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        ((recipients, message),) = smtp.messages
    assert recipients == ["alice@example.com"]
    link = re.search(r"https?://\S+/account/reset/\S+/", message.get_content()).group(0)

    page.goto(link)
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password again").fill(NEW)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Password set")).to_be_visible()
    login("alice", NEW)
    expect(page.get_by_role("heading", name="Silo")).to_be_visible()
