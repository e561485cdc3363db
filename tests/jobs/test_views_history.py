"""History: jobs newest first, filters, keyset pages, and live refresh of the first page."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jobs import selectors
from jobs.models import Job, Status
from jobs.services import create_job
from tests.factories import invoice, make_entry
from tests.jobs.flows import ok
from workflows.services import create_workflow


def make_workflow(workspace, name="Issue"):
    workflow, _ = create_workflow(
        workspace, {"name": name, "schema": "bill/invoice", "steps": [ok("a")]}
    )
    return workflow


def make_jobs(workspace, workflow, count, **fields):
    jobs = [create_job(workspace, workflow, args={"n": str(n)})[0] for n in range(count)]
    if fields:
        Job.objects.filter(pk__in=[job.pk for job in jobs]).update(**fields)
    return jobs


def history(client, **params):
    response = client.get(reverse("jobs:history"), params)
    assert response.status_code == 200
    return response


def shown(response):
    return [row.job.pk for row in response.context["page"].rows]


def test_jobs_are_listed_newest_first_with_their_workflow_and_entry(alice_client, alice):
    workflow = make_workflow(alice.workspace, "Issue and send")
    entry = make_entry(alice.workspace, invoice("INV-5"))
    older = create_job(alice.workspace, workflow, entry=entry, trigger="console")[0]
    newer = create_job(alice.workspace, workflow, args={"a": "b"})[0]
    Job.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(hours=1))

    response = history(alice_client)

    assert shown(response) == [newer.pk, older.pk]
    html = response.content.decode()
    assert "Issue and send" in html and "INV-5" in html and "v1" in html
    assert reverse("jobs:detail", args=[older.pk]) in html


def test_filters_by_status_workflow_and_entry(alice_client, alice):
    issue, remind = (
        make_workflow(alice.workspace, "Issue"),
        make_workflow(alice.workspace, "Remind"),
    )
    entry = make_entry(alice.workspace)
    failed = make_jobs(alice.workspace, issue, 2, status=Status.KO)
    reminders = make_jobs(alice.workspace, remind, 3)
    on_entry = create_job(alice.workspace, issue, entry=entry)[0]

    assert set(shown(history(alice_client, status="KO"))) == {j.pk for j in failed}
    assert set(shown(history(alice_client, workflow=remind.pk))) == {j.pk for j in reminders}
    assert shown(history(alice_client, entry=entry.pk)) == [on_entry.pk]
    both = history(alice_client, status="QUEUED", workflow=issue.pk)
    assert shown(both) == [on_entry.pk]


def test_filters_by_date_range_including_both_days(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    now = timezone.now()
    days = {}
    for days_ago in (0, 3, 10):
        (job,) = make_jobs(alice.workspace, workflow, 1, created_at=now - timedelta(days=days_ago))
        days[days_ago] = job.pk
    today = now.date()

    since = history(alice_client, since=(today - timedelta(days=3)).isoformat())
    until = history(alice_client, until=(today - timedelta(days=3)).isoformat())
    both = history(
        alice_client,
        since=(today - timedelta(days=4)).isoformat(),
        until=(today - timedelta(days=1)).isoformat(),
    )

    assert shown(since) == [days[0], days[3]]
    assert shown(until) == [days[3], days[10]]
    assert shown(both) == [days[3]]


def test_nonsense_filters_are_ignored(alice_client, alice):
    jobs = make_jobs(alice.workspace, make_workflow(alice.workspace), 2)

    response = history(
        alice_client,
        status="NOPE",
        workflow="x",
        entry="y",
        since="z",
        until="2026-02-31",
        cursor="!",
    )

    assert set(shown(response)) == {j.pk for j in jobs}
    assert set(shown(history(alice_client, until="9999-12-31"))) == {j.pk for j in jobs}


def test_rows_do_not_load_documents_or_definitions(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    create_job(alice.workspace, workflow, entry=make_entry(alice.workspace))

    with CaptureQueriesContext(connection) as queries:
        history(alice_client)

    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert '"silo_entry"."doc"' not in sql and '"workflows_workflowversion"."definition"' not in sql


def test_walking_the_pages_shows_every_job_once_without_offset_or_count(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    make_jobs(alice.workspace, workflow, 2 * selectors.PAGE_SIZE + 3, created_at=timezone.now())
    seen, params, pages = [], {"workflow": workflow.pk}, 0

    while True:
        with CaptureQueriesContext(connection) as queries:
            response = history(alice_client, **params)
        sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
        assert "OFFSET" not in sql and "COUNT(" not in sql
        pages += 1
        seen += shown(response)
        cursor = response.context["page"].next_cursor
        if not cursor:
            break
        assert response.context["next_url"].replace("&", "&amp;") in response.content.decode()
        params["cursor"] = cursor

    assert pages == 3
    assert seen == list(Job.objects.order_by("-created_at", "-id").values_list("pk", flat=True))


def test_only_the_first_page_refreshes_itself(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    make_jobs(alice.workspace, workflow, selectors.PAGE_SIZE + 1)

    first = history(alice_client, status="QUEUED")
    older = history(alice_client, status="QUEUED", cursor=first.context["page"].next_cursor)

    assert "data-live-new" in first.content.decode()
    assert f'hx-get="{reverse("jobs:history")}?status=QUEUED"' in first.content.decode()
    assert "data-live-new" not in older.content.decode()


def test_an_htmx_refresh_returns_only_the_table(alice_client, alice):
    (job,) = make_jobs(alice.workspace, make_workflow(alice.workspace), 1)

    response = alice_client.get(reverse("jobs:history"), headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html and 'id="job-filters"' not in html
    assert f'data-job="{job.pk}"' in html


def test_the_nav_leads_to_history(alice_client, alice):
    html = alice_client.get(reverse("silo:list")).content.decode()

    assert f'href="{reverse("jobs:history")}"' in html and ">History</a>" in html


def test_a_running_jobs_row_shows_the_step_it_is_on(alice_client, alice, settings):
    from jobs import engine

    settings.JOBS_WAKE_WORKERS = False
    workflow, _ = create_workflow(
        alice.workspace,
        {
            "name": "Two",
            "schema": "bill/invoice",
            "steps": [ok("first"), {"id": "later", "provider": "delay.wait", "config": {}}],
        },
    )
    job, _ = create_job(alice.workspace, workflow, args={"a": "b"})
    engine.run(*engine.claim())  # runs "first", then parks on "later"

    row = alice_client.get(reverse("jobs:row", args=[job.pk])).content.decode()

    assert 'data-testid="job-step">step 2: Wait<' in row  # the action's name


def test_a_new_job_is_fetched_as_its_row_alone_if_it_matches_the_filters(alice_client, alice, bob):
    issue, remind = (
        make_workflow(alice.workspace, "Issue"),
        make_workflow(alice.workspace, "Remind"),
    )
    (issued,) = make_jobs(alice.workspace, issue, 1)
    (reminded,) = make_jobs(alice.workspace, remind, 1)
    (bobs,) = make_jobs(bob.workspace, make_workflow(bob.workspace), 1)
    page = history(alice_client, workflow=str(issue.pk)).content.decode()
    rows_url = reverse("jobs:history_rows") + f"?workflow={issue.pk}"
    assert f'data-live-rows="{rows_url}"' in page.replace("&amp;", "&")

    ids = ",".join(str(job.pk) for job in (issued, reminded, bobs)) + ",not-an-id"
    response = alice_client.get(rows_url + f"&jobs={ids}")

    assert response.status_code == 200
    assert shown(response) == [issued.pk]  # another workflow and bob's job are not rows
    html = response.content.decode()
    assert html.strip().startswith("<tr") and "<table" not in html


def test_search_finds_jobs_by_the_documents_code_party_or_tax_id(alice_client, alice, bob):
    workflow = make_workflow(alice.workspace)
    acme = make_entry(
        alice.workspace, invoice("INV-77", supplier="Northwind Traders", tax_id="ESB98602642")
    )
    other = make_entry(alice.workspace, invoice("INV-88"))
    on_acme = create_job(alice.workspace, workflow, entry=acme)[0]
    create_job(alice.workspace, workflow, entry=other)
    create_job(alice.workspace, workflow, args={"a": "b"})  # no document: never found
    bobs = make_entry(bob.workspace, invoice("INV-77"))
    create_job(bob.workspace, make_workflow(bob.workspace), entry=bobs)

    assert shown(history(alice_client, q="  inv-77 ")) == [on_acme.pk]
    assert shown(history(alice_client, q="NORTHWIND")) == [on_acme.pk]
    assert shown(history(alice_client, q="B98602642")) == [on_acme.pk]
    assert shown(history(alice_client, q="nothing like it")) == []
