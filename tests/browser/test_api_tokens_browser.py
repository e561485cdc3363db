"""The API page in a real browser: create a token (shown once), use it, see when it
was last used, revoke it, and open the interactive docs served from our own files."""

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_create_use_and_revoke_a_token(login, alice, server_url, screenshot):
    page = login("alice")
    page.get_by_role("link", name="API", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API")
    expect(page.get_by_text("No tokens yet.")).to_be_visible()

    page.get_by_label("Token name").fill("ERP integration")
    page.get_by_role("button", name="Create token").click()

    shown = page.get_by_label("New API token")
    token = shown.input_value()
    assert token.startswith("wfc_")
    expect(page.get_by_text("it is shown only once")).to_be_visible()
    screenshot(page, "api-token-created")

    answer = httpx.get(
        f"{server_url}/api/v1/jobs", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert answer.status_code == 200

    page.goto("/api/")
    expect(page.get_by_label("New API token")).to_have_count(0)  # never shown again
    row = page.get_by_test_id("token-row").filter(has_text="ERP integration")
    expect(row).to_contain_text(token[:12])
    expect(row).not_to_contain_text("never")  # it was just used

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke ERP integration").click()
    expect(row).to_contain_text("Revoked")
    answer = httpx.get(
        f"{server_url}/api/v1/jobs", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert answer.status_code == 401


def test_the_interactive_docs_work_offline(login, alice, screenshot):
    page = login("alice")
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(page.url.split("/api")[0].split("/silo")[0])
            else None
        ),
    )
    page.goto("/api/")
    page.get_by_role("link", name="Interactive API docs").click()

    expect(page.locator(".swagger-ui .title")).to_contain_text("Workflow Console API")
    expect(page.get_by_text("/api/v1/jobs/{job_id}").first).to_be_visible()
    screenshot(page, "api-docs")
    assert [url for url in outside if not url.startswith("data:")] == []
