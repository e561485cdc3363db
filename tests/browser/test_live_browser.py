"""Live pages in a real browser: the entry's activity tab, History, cancel, bulk run.

An engine thread runs jobs the way a ``jobworker`` does; the browser learns of each
change through its WebSocket (the embedded relay: the in-memory channel layer fed by
polling the change feed), never by reloading. ``window.stayed`` is set once per page
and checked at the end: a reload would have cleared it.
"""

import time
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from jobs import consumers, engine
from jobs.models import Intent, Job, Status
from jobs.services import create_job
from silo.models import Entry
from silo.services import create_entry
from tests.factories import load_gobl
from workflows.services import create_workflow, save_version

pytestmark = pytest.mark.browser

HOLD_S = 60  # ended by the test once the page has shown it: let_the_wait_pass
THREE_STEPS = {
    "name": "Hold, register, note",
    "schema": "bill/invoice",
    "steps": [
        {
            "id": "hold",
            "name": "Hold a moment",
            "provider": "delay.wait",
            "config": {"seconds": HOLD_S},
        },
        {
            "id": "register",
            "name": "Mark registered",
            "provider": "silo.state",
            "config": {"state": "registered"},
        },
        {
            "id": "note",
            "name": "Note it",
            "provider": "simulate.outcome",
            "config": {"status": "OK", "message": "Noted"},
        },
    ],
}
LONG_WAIT = {
    "name": "Wait a minute",
    "schema": "bill/invoice",
    "steps": [{"id": "wait", "provider": "delay.wait", "config": {"seconds": 60}}],
}
REGISTER = {
    "name": "Register all",
    "schema": "bill/invoice",
    "steps": [{"id": "s", "provider": "silo.state", "config": {"state": "registered"}}],
}


def invoice(workspace, state="draft"):
    entry, _ = create_entry(workspace, load_gobl("es-invoice-es-es-freelance.json"), state=state)
    return entry


def let_the_wait_pass(entry, seconds=HOLD_S):
    """The job's wait is over now, as if its time had gone by (``tests.jobs.flows``):
    the worker resumes it at once. A wait that ends by itself would race the page."""
    Intent.objects.filter(job__entry=entry, status=Status.WAIT).update(
        started_at=F("started_at") - timedelta(seconds=seconds)
    )
    Job.objects.filter(entry=entry, status=Status.WAIT).update(due_at=timezone.now())


def mark(page):
    page.wait_for_function("document.documentElement.dataset.live === 'connected'")
    page.evaluate("window.stayed = true")


def stayed(page):
    return page.evaluate("window.stayed === true")


def test_steps_appear_live_in_the_activity_tab_and_in_history(login, alice, worker, screenshot):
    entry = invoice(alice.workspace)
    create_workflow(alice.workspace, THREE_STEPS)
    page = login("alice")
    history = page.context.new_page()
    history.goto("/jobs/")
    expect(history.get_by_text("No jobs yet")).to_be_visible()
    mark(history)

    page.goto(f"/silo/{entry.pk}/?tab=activity")
    mark(page)
    page.get_by_role("button", name="Run Workflow").click()
    page.get_by_role("dialog", name="Run a workflow").get_by_role(
        "button", name="Run workflow"
    ).click()

    job_card = page.locator(".entry-job")
    steps = job_card.locator("ol.timeline > li")
    expect(steps.first).to_contain_text("Hold a moment")
    # The job waits until the page has shown it waiting, however slow the machine (a wait
    # of one second, then three, could end before a loaded machine's page showed it).
    expect(steps.first.locator(".badge").first).to_have_text("WAIT")
    let_the_wait_pass(entry)
    expect(steps).to_have_count(3)
    expect(steps.nth(1)).to_contain_text("State set to registered")
    expect(steps.nth(2)).to_contain_text("Noted")
    expect(job_card.get_by_test_id("job-status")).to_have_text("OK")
    expect(page.locator("#entry-facts")).to_contain_text("Registered")
    expect(page.locator("#edit-entry select[name=state]")).to_have_value("registered")
    assert stayed(page)
    screenshot(page, "live-activity")

    row = history.locator("table.jobs tbody tr")
    expect(row).to_have_count(1)
    expect(history.get_by_role("button", name="New jobs: show them")).to_be_hidden()
    expect(row).to_contain_text("Hold, register, note")
    expect(row.get_by_test_id("job-status")).to_have_text("OK")
    assert stayed(history)
    screenshot(history, "live-history")


def test_cancel_a_waiting_job_and_filter_history_by_status(login, alice, worker, screenshot):
    entry = invoice(alice.workspace)
    waiting, _ = create_workflow(alice.workspace, LONG_WAIT)
    quick, _ = create_workflow(alice.workspace, REGISTER)
    job, _ = create_job(alice.workspace, waiting, entry=entry)
    create_job(alice.workspace, quick, entry=entry)
    page = login("alice")

    page.goto(f"/jobs/{job.pk}/")
    expect(page.get_by_test_id("job-status")).to_have_text("Waiting")
    page.get_by_role("button", name="Cancel job").click()
    expect(page.get_by_test_id("job-status")).to_have_text("Cancelled")

    page.get_by_role("navigation").get_by_role("link", name="History").click()
    rows = page.locator("table.jobs tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_label("Status").select_option("CANCEL")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Wait a minute")
    page.get_by_label("Status").select_option("OK")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Register all")
    screenshot(page, "history-filtered")


def test_bulk_run_on_a_filter_of_twenty_entries(login, alice, worker, screenshot):
    for _ in range(20):
        invoice(alice.workspace, state="draft")
    invoice(alice.workspace, state="sent")
    create_workflow(alice.workspace, REGISTER)
    page = login("alice")

    page.goto("/silo/")
    page.get_by_label("State").select_option("draft")
    page.wait_for_url("**/silo/?*state=draft*")
    page.get_by_role("link", name="Run a workflow on these…").click()
    page.get_by_label("Workflow", exact=True).select_option(label="Register all (bill/invoice)")
    expect(page.get_by_test_id("bulk-count")).to_contain_text("on 20 bill/invoice entries")
    page.get_by_role("button", name="Run on 20 entries").click()

    expect(page.get_by_test_id("batch-done")).to_have_text("20 of 20", timeout=30_000)
    expect(page.get_by_test_id("batch-OK")).to_have_text("20")
    expect(page.locator("#batch-progress progress")).to_have_attribute("value", "20")
    screenshot(page, "bulk-run-done")
    assert Entry.objects.filter(state="registered").count() == 20
    assert Job.objects.filter(batch__isnull=False).count() == 20


def sim(step_id, status):
    return {"id": step_id, "provider": "simulate.outcome", "config": {"status": status}}


def test_rerun_a_failed_job_from_its_failed_step(login, alice, worker, screenshot):
    entry = invoice(alice.workspace)
    flow = {"name": "Check twice", "schema": "bill/invoice"}
    workflow, _ = create_workflow(
        alice.workspace, {**flow, "steps": [sim("first", "OK"), sim("second", "KO")]}
    )
    job, _ = create_job(alice.workspace, workflow, entry=entry)
    page = login("alice")
    page.goto(f"/jobs/{job.pk}/")
    expect(page.get_by_test_id("job-status")).to_have_text("KO")
    save_version(
        workflow, {**flow, "steps": [sim("first", "OK"), sim("second", "OK")]}, expected_version=1
    )
    page.reload()

    rerun = page.get_by_role("form", name="Rerun from the failed step")
    expect(rerun).to_contain_text("second")
    rerun.get_by_role("button", name="On the latest version (2)").click()

    expect(page.get_by_test_id("job-status")).to_have_text("OK")
    expect(page.locator("ol.timeline > li")).to_have_count(1)
    expect(page.locator("ol.timeline > li")).to_have_attribute("data-step", "second")
    expect(page.get_by_text("rerun of")).to_contain_text("from step second on version 2")
    screenshot(page, "rerun-from-failed-step")


def test_history_does_not_move_under_a_reader_who_scrolled(login, alice, settings, screenshot):
    settings.JOBS_WAKE_WORKERS = False  # no worker here: the jobs stay queued
    entry = invoice(alice.workspace)
    workflow, _ = create_workflow(alice.workspace, REGISTER)
    for _ in range(55):
        create_job(alice.workspace, workflow, entry=entry)
    newest = Job.objects.order_by("-created_at", "-id").first()
    page = login("alice")
    page.goto("/jobs/")
    rows = page.locator("table.jobs tbody tr")
    expect(rows).to_have_count(50)
    expect(page.get_by_role("button", name="New jobs: show them")).to_be_hidden()
    mark(page)
    page.mouse.wheel(0, 3000)
    page.wait_for_function("window.scrollY > 200")

    latest, _ = create_job(alice.workspace, workflow, entry=entry, trigger="api")

    expect(page.get_by_role("button", name="New jobs: show them")).to_be_visible()
    expect(rows.first).to_have_attribute("data-job", str(newest.pk))
    page.get_by_role("button", name="New jobs: show them").click()
    expect(rows.first).to_have_attribute("data-job", str(latest.pk))
    assert page.evaluate("window.scrollY") == 0
    assert stayed(page)


def test_history_hears_a_job_end_while_its_list_is_on_the_way(login, alice, worker):
    """A new job makes History fetch its list. If the job ends while that answer is on
    its way (read before the end, arriving after), the end is not lost: the job's row
    was not on the page to hear it, so the list is fetched once more."""
    entry = invoice(alice.workspace)
    workflow, _ = create_workflow(alice.workspace, THREE_STEPS)  # the first step waits HOLD_S
    page = login("alice")
    page.goto("/jobs/")
    expect(page.get_by_text("No jobs yet")).to_be_visible()
    mark(page)
    held = []

    def until(condition, seconds=20):
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline
            time.sleep(0.05)

    def hold_the_first_list(route):
        answer = route.fetch()  # the list as it is now: the job not yet ended
        if not held:
            held.append(answer.status)
            until(lambda: Job.objects.filter(entry=entry, status=Status.WAIT).exists())
            let_the_wait_pass(entry)
            until(lambda: Job.objects.filter(entry=entry, status=Status.OK).exists())
            time.sleep(1)  # the end's change reaches the page while this answer waits
        route.fulfill(response=answer)

    page.route(lambda url: url.endswith("/jobs/"), hold_the_first_list)
    create_job(alice.workspace, workflow, entry=entry, trigger="api")

    row = page.locator("table.jobs tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("job-status")).to_have_text("OK")
    assert held == [200] and stayed(page)


def test_a_page_that_lost_its_socket_catches_up_when_it_reconnects(login, alice, settings):
    settings.JOBS_WAKE_WORKERS = False  # no worker: the job stays queued until cancelled
    workflow, _ = create_workflow(alice.workspace, LONG_WAIT)
    job, _ = create_job(alice.workspace, workflow, entry=invoice(alice.workspace))
    page = login("alice")
    sockets, urls, blocked = [], [], [False]

    def through(socket):
        urls.append(socket.url)
        if blocked[0]:
            socket.close()  # the server is "down": the page retries
            return
        socket.connect_to_server()
        sockets.append(socket)

    page.route_web_socket("**/ws/live/**", through)
    page.goto(f"/jobs/{job.pk}/")
    expect(page.get_by_test_id("job-status")).to_have_text("Queued")
    mark(page)

    blocked[0] = True
    sockets[-1].close()
    engine.cancel(job)  # while the page has no socket
    page.wait_for_function("document.documentElement.dataset.live === 'reconnecting'")
    blocked[0] = False

    expect(page.get_by_test_id("job-status")).to_have_text("Cancelled")
    assert "since=" in urls[-1]
    assert stayed(page)


def test_a_deactivated_users_open_page_leaves_for_the_login_page(login, alice, monkeypatch):
    monkeypatch.setattr(consumers, "SWEEP_S", 0.2)
    page = login("alice")
    page.goto("/jobs/")
    mark(page)

    type(alice.user).objects.filter(pk=alice.user.pk).update(is_active=False)

    page.wait_for_url(lambda url: "/login/" in url)
    assert not stayed(page)


def test_set_a_workflow_to_run_when_an_entry_enters_a_state(login, alice, worker, screenshot):
    entry = invoice(alice.workspace)
    create_workflow(alice.workspace, {**REGISTER, "name": "Send it", "steps": [sim("s", "OK")]})
    page = login("alice")
    page.goto("/jobs/")
    page.get_by_role("link", name="Automatic runs").click()
    form = page.get_by_role("form", name="Add an automatic run")
    form.get_by_label("Workflow").select_option(label="Send it")
    form.get_by_label("Runs").select_option("state")
    form.get_by_label("State entered").select_option("registered")
    form.get_by_role("button", name="Add").click()
    expect(page.locator("table.triggers")).to_contain_text("When an entry enters registered")
    screenshot(page, "automatic-runs")

    page.goto(f"/silo/{entry.pk}/?tab=activity")
    page.locator("#edit-entry select[name=state]").select_option("registered")
    page.locator("#edit-entry").get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Activity").click()

    job_card = page.locator(".entry-job")
    expect(job_card).to_contain_text("automatic: entered state registered")
    expect(job_card.get_by_test_id("job-status")).to_have_text("OK")


def test_a_failed_job_rings_the_bell_until_marked_seen(login, alice, worker, screenshot):
    entry = invoice(alice.workspace)
    workflow, _ = create_workflow(
        alice.workspace, {"name": "Doomed", "schema": "bill/invoice", "steps": [sim("x", "KO")]}
    )
    page = login("alice")
    page.goto("/silo/")
    bell = page.get_by_test_id("failed-jobs-bell")
    expect(bell).to_have_attribute("aria-label", "Failed jobs: 0 unseen")
    mark(page)

    create_job(alice.workspace, workflow, entry=entry)

    expect(bell).to_have_attribute("aria-label", "Failed jobs: 1 unseen")
    assert stayed(page)
    bell.click()
    expect(page.get_by_role("heading", name="Failed jobs")).to_be_visible()
    expect(page.locator("table.failed-jobs tbody tr")).to_contain_text("Doomed")
    screenshot(page, "failed-jobs")
    page.get_by_role("button", name="Mark all as seen").click()
    expect(bell).to_have_attribute("aria-label", "Failed jobs: 0 unseen")


def test_a_colleagues_edit_shows_on_an_open_entry_page(login, alice):
    entry = invoice(alice.workspace)
    page = login("alice")
    page.goto(f"/silo/{entry.pk}/?tab=activity")
    mark(page)
    other = page.context.new_page()
    other.goto(f"/silo/{entry.pk}/")

    other.locator("#edit-entry select[name=state]").select_option("sent")
    other.locator("#edit-entry").get_by_role("button", name="Save").click()

    expect(page.locator("#entry-facts")).to_contain_text("Sent")
    expect(page.locator("table.activity")).to_contain_text("State changed from draft to sent")
    expect(page.locator("#edit-entry select[name=state]")).to_have_value("sent")
    assert stayed(page)
