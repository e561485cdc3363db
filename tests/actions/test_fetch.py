"""entry.fetch: an args-only import job fetches its document from a real HTTP server on
loopback and stores it as its own entry, once per key."""

import json

import pytest
from django.contrib.auth import get_user_model

from console import secrets
from console.models import Membership
from jobs.models import Job
from jobs.services import create_job
from silo.models import Entry
from silo.services import create_entry
from tests.actions.receivers import HttpReceiver
from tests.jobs.flows import finish, run_flow
from workflows.services import create_workflow

pytestmark = pytest.mark.usefixtures("loopback_receivers")


@pytest.fixture
def workspace(alice):
    return alice.workspace


@pytest.fixture
def invoice_json(invoice_doc):
    return (200, {"Content-Type": "application/json"}, json.dumps(invoice_doc))


def fetch(**config):
    return {"id": "fetch", "provider": "entry.fetch", "config": {"url": "{{ args.url }}", **config}}


def then_registered():
    return {"id": "state", "provider": "silo.state", "config": {"state": "registered"}}


def events(job):
    return [(e.status, e.code) for e in job.intents.get(step_id="fetch").events.order_by("index")]


def test_an_import_job_fetches_its_entry_and_the_next_step_works_on_it(
    workspace, invoice_json, invoice_doc
):
    with HttpReceiver(invoice_json) as server:
        url = server.url + "/invoices/1.json?token=abc"
        job = run_flow(
            workspace,
            [fetch(key="inv-{{ args.n }}"), then_registered()],
            args={"url": url, "n": "1"},
        )

    assert job.status == "OK", job.faults
    assert events(job) == [("OK", "created")]
    entry = Entry.objects.in_workspace(workspace).get(key="inv-1")
    assert job.entry_id == entry.id
    assert entry.doc == invoice_doc
    assert entry.state == "registered"
    assert server.requests[0].path == "/invoices/1.json?token=abc"
    assert "token" not in entry.activity.get(kind="created").message


def test_the_same_key_gives_the_same_entry_without_fetching_again(workspace, invoice_json):
    with HttpReceiver(invoice_json) as server:
        args = {"url": server.url + "/a.json"}
        first = run_flow(workspace, [fetch()], args=args)
        second = run_flow(workspace, [fetch()], args=args)

    assert events(first) == [("OK", "created")]
    assert events(second) == [("OK", "existing")]
    assert first.entry_id == second.entry_id
    assert Entry.objects.in_workspace(workspace).get().key == args["url"]
    assert len(server.requests) == 1


def test_a_404_is_ko_404_and_stores_nothing(workspace):
    with HttpReceiver((404, {}, "not here")) as server:
        job = run_flow(workspace, [fetch()], args={"url": server.url + "/missing.json"})

    assert events(job) == [("KO", "404")]
    assert job.entry_id is None
    assert not Entry.objects.in_workspace(workspace).exists()


def test_a_503_is_retried(workspace, invoice_json):
    with HttpReceiver((503, {"Retry-After": "1"}, ""), invoice_json) as server:
        job = run_flow(workspace, [fetch()], args={"url": server.url})

    assert events(job) == [("RETRY", "503"), ("OK", "created")]


def test_what_is_not_a_document_is_ko_invalid_document(workspace):
    not_json = (200, {}, "<html>login</html>")
    party = (200, {}, json.dumps({"$schema": "https://gobl.org/draft-0/org/party", "name": "X"}))
    with HttpReceiver(not_json, party) as server:
        garbage = run_flow(workspace, [fetch()], args={"url": server.url + "/1"})
        other_schema = run_flow(workspace, [fetch()], args={"url": server.url + "/2"})

    assert events(garbage) == [("KO", "invalid_document")]
    assert "not valid JSON" in garbage.faults[0]["message"]
    assert events(other_schema) == [("KO", "invalid_document")]
    assert "org/party" in other_schema.faults[0]["message"]
    assert not Entry.objects.in_workspace(workspace).exists()


def run_saved_by(user, workspace, steps, args):
    workflow, _ = create_workflow(
        workspace, {"name": "import", "schema": "bill/invoice", "steps": steps}, actor=user
    )
    job, _ = create_job(workspace, workflow, args=args)
    return finish(job)


def test_the_bearer_secret_is_sent_and_not_passed_to_another_origin(alice, workspace, invoice_json):
    secrets.set_secret(workspace, "feed", "feed-token-123")
    with HttpReceiver(invoice_json) as other:
        moved = (302, {"Location": other.url + "/moved.json"}, "")
        with HttpReceiver(moved) as server:
            job = run_saved_by(
                alice.user, workspace, [fetch(secret="feed")], {"url": server.url + "/x"}
            )

    assert events(job) == [("OK", "created")]
    assert server.requests[0].headers["Authorization"] == "Bearer feed-token-123"
    assert "Authorization" not in other.requests[0].headers
    assert "feed-token-123" not in json.dumps([e.message for e in job.intents.get().events.all()])


def test_a_secret_is_not_sent_by_a_version_a_mere_member_saved(alice, workspace, invoice_json):
    member = get_user_model().objects.create_user("mallory")
    Membership.objects.create(user=member, workspace=workspace, role=Membership.Role.EDITOR)
    secrets.set_secret(workspace, "feed", "feed-token-123")
    with HttpReceiver(invoice_json) as server:
        by_member = run_saved_by(member, workspace, [fetch(secret="feed")], {"url": server.url})
        by_api = run_flow(workspace, [fetch(secret="feed")], args={"url": server.url})

    assert events(by_member) == [("KO", "secret_not_allowed")]
    assert events(by_api) == [("KO", "secret_not_allowed")]
    assert server.requests == []


def test_a_private_address_is_refused(workspace):
    job = run_flow(workspace, [fetch()], args={"url": "http://169.254.169.254/latest/meta-data"})
    assert events(job) == [("KO", "blocked_address")]


def test_a_job_that_has_an_entry_already_is_ko_has_entry(workspace, invoice_doc):
    entry = create_entry(workspace, invoice_doc, key="mine")[0]
    job = run_flow(workspace, [fetch(url="http://example.com/x.json")], entry=entry)
    assert events(job) == [("KO", "has_entry")]
    assert Job.objects.get(pk=job.pk).entry_id == entry.id
