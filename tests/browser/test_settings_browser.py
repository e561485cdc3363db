"""The Settings page in a browser: add a secret (its value never comes back), pick it
as the SMTP password, allow private addresses, delete the secret."""

import pytest
from playwright.sync_api import expect

from console import secrets
from console.workspace_settings import settings_of

pytestmark = pytest.mark.browser

VALUE = "whsec_YnJvd3Nlci10ZXN0LXNpZ25pbmcta2V5"


def test_secrets_and_smtp_on_the_settings_page(login, alice, screenshot):
    workspace = alice.workspace
    page = login("alice")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings of Acme")

    secrets_card = page.locator("#secrets")
    secrets_card.get_by_label("Name").fill("hooks")
    secrets_card.get_by_label("Value").fill(VALUE)
    secrets_card.get_by_role("button", name="Save secret").click()
    expect(page.locator("#secrets")).to_contain_text("Secret hooks added.")
    expect(page.locator("#secrets table")).to_contain_text("hooks")
    expect(page.locator("#secrets").get_by_label("Value")).to_have_value("")
    assert VALUE not in page.content()

    smtp = page.locator("#smtp")
    smtp.get_by_label("Host").fill("mail.example.com")
    smtp.get_by_label("Port").fill("587")
    smtp.get_by_label("Username").fill("billing")
    smtp.get_by_label("Password (secret)").select_option("hooks")  # refreshed with the list
    smtp.get_by_label("From address").fill("Billing <billing@example.com>")
    smtp.get_by_role("button", name="Save SMTP settings").click()
    expect(page.locator("#smtp")).to_contain_text("SMTP settings saved.")

    page.get_by_label("Allow private network addresses").check()
    page.locator("#outbound").get_by_role("button", name="Save").click()
    expect(page.locator("#outbound")).to_contain_text("Outbound calls saved.")
    screenshot(page, "workspace-settings")

    saved = settings_of(workspace)
    assert (saved.smtp_host, saved.smtp_password_secret) == ("mail.example.com", "hooks")
    assert saved.allow_private_network
    assert secrets.reveal(workspace, "hooks") == VALUE

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete hooks").click()
    expect(page.locator("#secrets")).to_contain_text("Secret hooks deleted.")
    expect(page.locator("#smtp")).to_contain_text("does not exist: emails will fail")
    assert secrets.names(workspace) == []
