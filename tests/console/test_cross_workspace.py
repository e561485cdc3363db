"""Another workspace's ids are not found: every page and every API route, read from the
URL configuration, answers 404 when a member of Globex (bob) asks for one of Acme's
(alice's) jobs, entries, workflows, batches, triggers, attachments, chains, members,
invitations or tokens, by page or with Globex's API token. A 404 says nothing about
whether the id exists, and nothing of Acme's changes.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from console.api.tokens import create_token
from console.members import invite
from console.models import Membership
from jobs import bulk
from jobs.models import Job, Trigger
from silo.services import add_attachment
from tests.api.client import ApiClient
from tests.factories import (
    INVOICE_FLOW,
    VERIFACTU_ISSUER,
    make_entry,
    make_job,
    make_verifactu_record,
    make_workflow,
)
from tests.routes import PAGES, api_routes, sample_value
from workflows.agencies.models import Chain, Submission
from workflows.models import Workflow

METHODS = ("get", "post", "put", "patch", "delete")
# What a page's query names when it acts on a place in a workflow (the editor).
QUERY = "?address=steps[0]&index=0&list=steps&kind=condition"


@pytest.fixture
def acme(alice, settings):
    """Alice's workspace with one of everything a URL can name."""
    settings.JOBS_WAKE_WORKERS = False
    workspace = alice.workspace
    workflow = make_workflow(workspace)
    entry = make_entry(workspace)
    job = make_job(workspace, workflow, entry=entry, key="acme-1")
    attachment = add_attachment(entry, "note.txt", b"hello", mime="text/plain", source="test")
    batch = bulk.start(workspace, workflow, {})
    trigger = Trigger.objects.create(workspace=workspace, workflow=workflow, kind="created")
    make_verifactu_record(workspace, "F-1")
    chain = Chain.objects.get(workspace=workspace, issuer=VERIFACTU_ISSUER)
    submission = Submission.objects.create(
        workspace=workspace, chain=chain, lease_until=timezone.now(), request=b"<a/>"
    )
    invitation = invite(workspace, "carol@example.test", "editor", invited_by=alice.user)
    token, _ = create_token(workspace, "acme", actor=alice.user)
    return {
        "workspace": workspace,
        "job_id": job.pk,
        "key": job.key,
        "entry_id": entry.pk,
        "workflow_id": workflow.pk,
        "batch_id": batch.pk,
        "trigger_id": trigger.pk,
        "attachment_id": attachment.pk,
        "issuer": chain.issuer,
        "submission_id": submission.pk,
        "membership_id": Membership.objects.get(user=alice.user, workspace=workspace).pk,
        "invitation_id": invitation.pk,
        "token_id": token.pk,
        "number": 1,
        "part": "request",
        "operation": "duplicate",
    }


def foreign_paths(routes, ids):
    """Each route that names one of Acme's things, with Acme's ids in it."""
    for name, converters in routes:
        if not any(ids.get(argument) for argument in converters if argument != "number"):
            continue  # names nothing of a workspace's (a token in a link, say)
        kwargs = {arg: ids.get(arg) or sample_value(c) for arg, c in converters.items()}
        yield name, reverse(name, kwargs=kwargs)


def test_every_page_answers_404_to_another_workspaces_ids(client, alice, acme, bob):
    client.force_login(alice.user)  # the ids are real: their owner sees what they name
    missing = [p for _, p in foreign_paths(PAGES, acme) if client.get(p + QUERY).status_code == 404]
    assert missing == []

    client.force_login(bob.user)
    before = Job.objects.count(), Trigger.objects.count()

    checked, answers = [], {}
    for name, path in foreign_paths(PAGES, acme):
        for method in ("get", "post"):
            response = getattr(client, method)(path + QUERY)
            if response.status_code != 405:
                answers[f"{method.upper()} {path} ({name})"] = response.status_code
        checked.append(name)

    assert {what: code for what, code in answers.items() if code != 404} == {}
    assert len(checked) > 40
    assert (Job.objects.count(), Trigger.objects.count()) == before


def test_every_api_route_answers_404_to_another_workspaces_ids(acme, bob):
    _, plaintext = create_token(acme["workspace"], "acme", actor=None)
    own = ApiClient(plaintext)  # the ids are real: their owner's token finds them
    found = {
        p: own.get(p.removeprefix("/api/v1")).status_code
        for _, p in foreign_paths(api_routes(), acme)
    }
    assert [p for p, code in found.items() if code == 404] == []

    _, plaintext = create_token(bob.workspace, "globex", actor=bob.user)
    api = ApiClient(plaintext)
    globex_flow = make_workflow(bob.workspace)
    # A body each route would accept, so what answers is the id, not the body.
    bodies = {
        "PUT /jobs/": {"workflow_id": str(globex_flow.pk), "args": {"k": "v"}},
        "PUT /workflows/": INVOICE_FLOW,
        "PATCH /workflows/": INVOICE_FLOW,
        "PATCH /silo/entries/": {"state": "registered"},
        "POST /workflows/": {"version": 1},
    }
    before = Job.objects.count(), Workflow.objects.count()

    answers = {}
    for path in dict(foreign_paths(api_routes(), acme)).values():
        for method in METHODS:
            answer = send(api, method, path, bodies)
            if answer.status_code != 405:
                answers[f"{method.upper()} {path}"] = answer.status_code, answer.json()

    # Creating with an id of one's own choosing (PUT) cannot be a 404: the id is
    # taken, and the answer says so and nothing more.
    creates = ("PUT /api/v1/jobs/", "PUT /api/v1/workflows/")
    taken = {what: a for what, a in answers.items() if what.startswith(creates)}
    assert {a[1]["message"] for a in taken.values()} == {
        "This job id is taken.",
        "This workflow id is taken.",
    }
    assert {a[0] for a in taken.values()} == {409}
    others = {what: a[0] for what, a in answers.items() if what not in taken}
    assert {what: code for what, code in others.items() if code != 404} == {}
    assert len(others) > 8
    assert (Job.objects.count(), Workflow.objects.count()) == before


def send(api, method, path, bodies):
    route = f"{method.upper()} {path.removeprefix('/api/v1')}"
    if route.endswith("/attachments"):
        upload = SimpleUploadedFile("note.txt", b"hello", content_type="text/plain")
        return api.client.post(path, {"file": upload})
    body = next((b for start, b in bodies.items() if route.startswith(start)), {})
    data = "" if method == "get" else json.dumps(body)
    return api.client.generic(method.upper(), path, data, "application/json")
