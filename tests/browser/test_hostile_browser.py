"""Issue 12 in a browser: failed sign-ins are throttled with a message a person
understands, and a live page whose session ends elsewhere goes to the login page."""

import pytest
from playwright.sync_api import expect

from console import login as login_throttle

pytestmark = pytest.mark.browser


def test_too_many_failed_sign_ins_say_how_long_to_wait(page, alice, screenshot):
    page.goto("/login/")
    for _ in range(login_throttle.FAILURES_PER_ACCOUNT + 1):
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_have_text(
        "Too many failed sign-ins from here: wait 15 minutes and try again."
    )
    expect(page.get_by_label("Username")).to_have_value("alice")
    screenshot(page, "login-throttled")


def test_a_live_page_leaves_when_its_session_ends_elsewhere(login, alice, monkeypatch):
    from django.contrib.sessions.models import Session

    from jobs import consumers

    monkeypatch.setattr(consumers, "SWEEP_S", 0.3)
    page = login("alice")
    page.goto("/jobs/")
    expect(page.locator("html")).to_have_attribute("data-live", "connected")

    Session.objects.all().delete()  # as "sign out of all other sessions" would

    page.wait_for_url(lambda url: "/login/" in url)
