"""webhook.post: a real HTTP receiver on loopback gets the entry and the job, signed per
Standard Webhooks with a workspace secret; 429/5xx are retried, other 4xx end KO with
the status, and private addresses (also behind a redirect) are refused."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from console import secrets
from console.workspace_settings import update_settings
from jobs import engine
from jobs.models import Job
from jobs.services import create_job
from silo.services import create_entry
from tests.actions.receivers import HttpReceiver
from tests.jobs.flows import run_flow
from workflows import definition
from workflows.services import create_workflow

SECRET = "whsec_" + base64.b64encode(b"a signing key of thirty-two bytes").decode()


pytestmark = pytest.mark.usefixtures("loopback_receivers")


@pytest.fixture
def workspace(alice):
    workspace = alice.workspace
    secrets.set_secret(workspace, "hooks", SECRET)
    return workspace


@pytest.fixture
def entry(workspace, invoice_doc):
    return create_entry(workspace, invoice_doc, key="inv-1")[0]


def post(url, **config):
    return {"id": "hook", "provider": "webhook.post", "config": {"url": url, **config}}


def events(job):
    return [(e.status, e.code) for e in job.intents.get(step_id="hook").events.order_by("index")]


def verify(received, secret):
    """What a receiver does with the Standard Webhooks reference algorithm."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    headers = {k.lower(): v for k, v in received.headers.items()}
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    versions = dict(part.split(",", 1) for part in headers["webhook-signature"].split(" "))
    assert hmac.compare_digest(versions["v1"], expected)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 300
    return json.loads(received.body)


def test_receiver_verifies_the_signature_and_gets_entry_and_job(workspace, entry):
    with HttpReceiver() as receiver:
        job = run_flow(workspace, [post(receiver.url + "/hooks", secret="hooks")], entry=entry)

    assert job.status == "OK"
    assert events(job) == [("OK", "200")]
    [received] = receiver.requests
    assert received.method == "POST" and received.path == "/hooks"
    assert received.headers["webhook-id"] == f"{job.id}:hook"
    body = verify(received, SECRET)
    assert body["type"] == "job.step"
    assert body["entry"]["key"] == "inv-1" and body["entry"]["id"] == str(entry.id)
    assert body["job"]["id"] == str(job.id)
    assert body["doc"] == entry.doc
    assert SECRET not in json.dumps(body)


def test_a_tampered_body_fails_verification(workspace, entry):
    with HttpReceiver() as receiver:
        run_flow(workspace, [post(receiver.url, secret="hooks")], entry=entry)
    received = receiver.requests[0]
    received.body = received.body.replace(b'"job.step"', b'"job.stop"')
    with pytest.raises(AssertionError):
        verify(received, SECRET)


def test_503_then_200_gives_one_ok_after_a_retry_with_the_same_webhook_id(workspace, entry):
    with HttpReceiver((503, {}, "busy")) as receiver:
        job = run_flow(workspace, [post(receiver.url, secret="hooks")], entry=entry)

    assert job.status == "OK"
    assert events(job) == [("RETRY", "503"), ("OK", "200")]
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == f"{job.id}:hook"
    verify(second, SECRET)


def test_404_is_ko_404_without_a_retry(workspace, entry):
    with HttpReceiver((404, {}, "no such hook")) as receiver:
        job = run_flow(workspace, [post(receiver.url, secret="hooks")], entry=entry)

    assert job.status == "KO"
    assert events(job) == [("KO", "404")]
    assert len(receiver.requests) == 1


def test_429_waits_as_long_as_retry_after_asks(workspace, entry):
    waits = []
    with HttpReceiver((429, {"Retry-After": "120"}, "")) as receiver:
        workflow, _ = create_workflow(
            workspace,
            {"name": "w", "schema": "bill/invoice", "steps": [post(receiver.url, secret="hooks")]},
        )
        job, _ = create_job(workspace, workflow, entry=entry)
        engine.run_in_process(job, sleep=waits.append)

    job = Job.objects.get(pk=job.pk)
    assert job.status == "OK"
    assert waits and waits[0] >= 119
    assert len(receiver.requests) == 2


def test_a_redirect_to_a_private_address_is_refused(workspace, entry):
    inside = HttpReceiver(host="127.0.0.2")
    with inside, HttpReceiver((302, {"Location": inside.url + "/admin"}, "")) as receiver:
        job = run_flow(workspace, [post(receiver.url, secret="hooks")], entry=entry)

    assert job.status == "KO"
    assert events(job) == [("KO", "blocked_address")]
    assert len(receiver.requests) == 1
    assert inside.requests == []


def test_loopback_needs_the_workspace_to_allow_private_addresses(settings, workspace, entry):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    with HttpReceiver() as receiver:
        refused = run_flow(workspace, [post(receiver.url, secret="hooks")], entry=entry)
        update_settings(workspace, allow_private_network=True)
        allowed = run_flow(workspace, [post(receiver.url, secret="hooks")], entry=entry)

    assert events(refused) == [("KO", "blocked_address")]
    assert "private" in refused.intents.get().events.get().message
    assert events(allowed) == [("OK", "200")]
    assert len(receiver.requests) == 1


def test_a_missing_secret_is_ko_and_is_flagged_when_the_workflow_is_saved(workspace, entry):
    data = {"name": "w", "schema": "bill/invoice", "steps": [post("http://127.0.0.1/", secret="x")]}
    _, warnings = definition.parse(data, secrets=set(secrets.names(workspace)))
    assert [w.path for w in warnings] == ["steps[0].config.secret"]

    with HttpReceiver() as receiver:
        job = run_flow(workspace, [post(receiver.url, secret="gone")], entry=entry)
    assert events(job) == [("KO", "missing_secret")]
    assert receiver.requests == []


def test_the_secret_value_is_nowhere_in_the_job(workspace, entry):
    with HttpReceiver((500, {}, ""), (500, {}, ""), (401, {}, "")) as receiver:
        job = run_flow(workspace, [post(receiver.url, secret="hooks")], entry=entry)

    assert events(job)[-1] == ("KO", "401")
    for event in job.intents.get().events.all():
        assert SECRET not in event.message
    assert SECRET not in json.dumps(job.faults)


def test_an_unreachable_receiver_is_transient_then_ko_network(workspace, entry):
    with HttpReceiver() as receiver:
        url = receiver.url
    job = run_flow(
        workspace,
        [{**post(url, secret="hooks"), "retry": {"max_attempts": 2, "backoff_s": 0}}],
        entry=entry,
    )
    assert events(job) == [("RETRY", "network"), ("KO", "network")]


def test_a_url_that_is_not_http_is_refused_when_the_workflow_is_saved():
    steps = [post("ftp://example.com/in"), {**post("{{ args.url }}"), "id": "templated"}]
    with pytest.raises(definition.DefinitionError) as error:
        definition.parse({"name": "w", "schema": "bill/invoice", "steps": steps})
    assert [(i.path, i.message) for i in error.value.issues] == [
        ("steps[0].config.url", "expected an http:// or https:// URL (or a template)")
    ]
