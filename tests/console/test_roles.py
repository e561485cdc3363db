"""Every route of the console and of the API, walked with a viewer's, an editor's and
an owner's session (or token), each answer checked against one role table.

The table says, per route and method, the least role that may use it. A route the
table does not name fails the test: whoever adds a page decides who may use it.
"""

import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver

from console.api.models import ApiToken
from console.api.tokens import create_token
from console.models import Membership
from jobs.models import Job, Trigger
from tests.factories import PASSWORD, invoice, make_entry, make_job, make_workflow

V, E, O = "viewer", "editor", "owner"  # noqa: E741 - short, for the table
ANYONE = "anyone"  # no login needed
SIGNED_IN = "signed in"  # any user, whatever their role
RANK = {V: 0, E: 1, O: 2}

# route name -> {method: least role}
PAGES = {
    "home": {"GET": V},
    "health_live": {"GET": ANYONE},
    "health_ready": {"GET": ANYONE},
    "health_workers": {"GET": ANYONE},
    "login": {"GET": ANYONE},
    "logout": {"POST": SIGNED_IN},
    "switch_workspace": {"POST": SIGNED_IN},
    "silo:list": {"GET": V},
    "silo:upload": {"POST": E},
    "silo:entry": {"GET": V},
    "silo:edit": {"POST": E},
    "silo:run_panel": {"GET": E},
    "silo:restore_revision": {"POST": E},
    "silo:run_workflow": {"POST": E},
    "silo:attachment": {"GET": V},
    "jobs:history": {"GET": V},
    "jobs:history_rows": {"GET": V},
    "jobs:detail": {"GET": V},
    "jobs:timeline": {"GET": V},
    "jobs:row": {"GET": V},
    "jobs:cancel": {"POST": E},
    "jobs:rerun": {"POST": E},
    "jobs:notifications": {"GET": V},
    "jobs:notifications_seen": {"POST": V},
    "jobs:bell": {"GET": V},
    "jobs:triggers": {"GET": V, "POST": E},
    "jobs:trigger_toggle": {"POST": E},
    "jobs:trigger_delete": {"POST": E},
    "jobs:bulk": {"GET": E},
    "jobs:bulk_start": {"POST": E},
    "jobs:batch": {"GET": V},
    "jobs:batch_progress": {"GET": V},
    "workflows:list": {"GET": V},
    "workflows:create": {"GET": E, "POST": E},
    "workflows:import": {"GET": E, "POST": E},
    "workflows:duplicate": {"POST": E},
    "workflows:export": {"GET": V},
    "workflows:delete": {"GET": E, "POST": E},
    "workflows:unarchive": {"POST": E},
    "workflows:run_panel": {"GET": E},
    "workflows:run_start": {"POST": E},
    "workflows:developer": {"GET": E, "POST": E},
    "workflows:versions": {"GET": V},
    "workflows:restore": {"POST": E},
    "workflows:edit": {"GET": V},
    "workflows:edit_catalogue": {"GET": E},
    "workflows:edit_insert": {"POST": E},
    "workflows:edit_replace": {"POST": E},
    "workflows:edit_step": {"GET": E, "POST": E},
    "workflows:edit_do": {"POST": E},
    "workflows:edit_move": {"POST": E},
    "workflows:edit_block": {"GET": E, "POST": E},
    "workflows:edit_block_remove": {"POST": E},
    "workflows:edit_rescue": {"POST": E},
    "workflows:edit_details": {"GET": E, "POST": E},
    "workflows:edit_undo": {"POST": E},
    "workflows:edit_redo": {"POST": E},
    "workflows:edit_save": {"POST": E},
    "workflows:edit_rebase": {"POST": E},
    "workflows:edit_discard": {"POST": E},
    "workflows:catalogue": {"GET": V},
    "settings:page": {"GET": V},
    "settings:set_secret": {"POST": O},
    "settings:delete_secret": {"POST": O},
    "settings:outbound": {"POST": O},
    "settings:smtp": {"POST": O},
    "settings:test_email": {"POST": O},
    "settings:aeat": {"GET": O},
    "settings:aeat_issuer": {"POST": O},
    "settings:aeat_certificate": {"POST": O},
    "settings:aeat_remove_certificate": {"POST": O},
    "agencies:chains": {"GET": V},
    "agencies:chain": {"GET": V},
    "agencies:submission_xml": {"GET": V},
    "api_tokens": {"GET": V},
    "api_create_token": {"POST": O},
    "api_revoke_token": {"POST": O},
    "members:page": {"GET": V},
    "members:invite": {"POST": O},
    "members:leave": {"POST": V},
    "members:withdraw": {"POST": O},
    "members:role": {"POST": O},
    "members:remove": {"POST": O},
    "invitation": {"GET": ANYONE, "POST": ANYONE},
    "workspaces:create": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "workspaces:manage": {"GET": O},
    "workspaces:rename": {"POST": O},
    "workspaces:delete": {"POST": O},
    "first_run": {"GET": ANYONE, "POST": ANYONE},
    "account": {"GET": SIGNED_IN},
    "change_password": {"POST": SIGNED_IN},
    "sign_out_others": {"POST": SIGNED_IN},
    "password_reset": {"GET": ANYONE, "POST": ANYONE},
    "password_reset_done": {"GET": ANYONE},
    "password_reset_confirm": {"GET": ANYONE, "POST": ANYONE},
    "password_reset_complete": {"GET": ANYONE},
    "api:openapi-json": {"GET": SIGNED_IN},
    "api:openapi-view": {"GET": SIGNED_IN},
    "api:api-root": {},  # django-ninja's root: nothing is served there
}

# API operation name -> (method, least token role); a token is an editor or a viewer.
API = {
    "api:create_job": ("POST", E),
    "api:create_jobs": ("POST", E),
    "api:list_jobs": ("GET", V),
    "api:put_job": ("PUT", E),
    "api:get_job": ("GET", V),
    "api:get_job_by_key": ("GET", V),
    "api:cancel_job": ("POST", E),
    "api:get_workflow_schema": ("GET", V),
    "api:put_workflow": ("PUT", E),
    "api:patch_workflow": ("PATCH", E),
    "api:restore_workflow": ("POST", E),
    "api:get_workflow": ("GET", V),
    "api:list_workflows": ("GET", V),
    "api:create_entry": ("POST", E),
    "api:list_entries": ("GET", V),
    "api:get_entry": ("GET", V),
    "api:update_entry": ("PATCH", E),
    "api:upload_attachment": ("POST", E),
    "api:download_attachment": ("GET", V),
}
API_DOCUMENTS = {"api:openapi-json", "api:openapi-view", "api:api-root"}


def routes():
    """``(name, path template)`` for every named route of the URLconf."""

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                if namespace and pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}"
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                yield name, prefix + str(pattern.pattern)

    return list(walk(get_resolver().url_patterns, "/", None))


@pytest.fixture
def things(alice):
    """One of each thing a route names, in alice's workspace."""
    workspace = alice.workspace
    workflow = make_workflow(workspace, "Flow")
    entry = make_entry(workspace, invoice("R-1"))
    job = make_job(workspace, workflow, entry=entry)
    trigger = Trigger.objects.create(
        workspace=workspace, workflow=workflow, kind=Trigger.Kind.STATE, state="registered"
    )
    token, _ = create_token(workspace, "CI")
    return {
        "entry_id": entry.pk,
        "workflow_id": workflow.pk,
        "job_id": job.pk,
        "trigger_id": trigger.pk,
        "token_id": token.pk,
        "number": 1,
        "operation": "duplicate",
        "key": "no-such-key",
        "issuer": "B00000000",
        "submission_id": 1,
        "part": "request",
        "membership_id": Membership.objects.get(user=alice.user).pk,
    }


def url_for(template, things):
    def value(match):
        name = match.group(2)
        return str(things.get(name, uuid.uuid4()))

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, template)


def person(workspace, role):
    user = get_user_model().objects.create_user(f"{role}-person", password=PASSWORD)
    Membership.objects.create(user=user, workspace=workspace, role=role)
    return user


def expected_refusal(needed, role):
    if needed in (ANYONE, SIGNED_IN):
        return False
    return RANK[needed] > RANK[role]


@pytest.mark.parametrize("role", [V, E, O])
def test_every_page_answers_as_the_role_table_says(client, alice, things, role):
    user = person(alice.workspace, role)
    client.force_login(user)
    named = routes()
    unlisted = {name for name, _ in named if name not in PAGES and name not in API}
    assert not unlisted, f"routes missing from the role table: {sorted(unlisted)}"

    wrong = []
    for name, template in named:
        if name in API:
            continue
        url = url_for(template, things)
        for method, needed in PAGES[name].items():
            response = getattr(client, method.lower())(url)
            refused = response.status_code == 403
            broken = response.status_code >= 500 and name != "health_workers"  # 503: no worker
            if refused != expected_refusal(needed, role) or broken:
                wrong.append(f"{method} {url} ({name}): {response.status_code}")
            client.force_login(user)  # the walk also signs out, and leaves
            Membership.objects.get_or_create(
                user=user, workspace=alice.workspace, defaults={"role": role}
            )
    assert not wrong, f"as {role}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("role", [V, E])
def test_every_api_operation_answers_as_the_role_table_says(client, alice, things, role):
    _, plaintext = create_token(alice.workspace, f"{role} token", role=role)
    named = dict(routes())
    api_names = {name for name in named if name.startswith("api:")} - API_DOCUMENTS
    assert api_names == set(API), "API operations missing from (or stale in) the role table"

    wrong = []
    for name, (method, needed) in API.items():
        url = url_for(named[name], things)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
        if method == "GET":
            response = client.get(url, **auth)
        else:
            send = getattr(client, method.lower())
            response = send(url, data="{}", content_type="application/json", **auth)
        refused = response.status_code == 403
        if refused != expected_refusal(needed, role) or response.status_code >= 500:
            wrong.append(f"{method} {url} ({name}): {response.status_code} {response.content[:80]}")
        if refused:
            assert response.json()["code"] == "forbidden"
    assert not wrong, f"as a {role} token:\n" + "\n".join(wrong)


def test_a_viewer_changes_nothing_however_they_try(client, alice, things):
    """The walk above posts empty forms; here a viewer posts real ones."""
    client.force_login(person(alice.workspace, V))
    job = Job.objects.get()

    client.post(f"/jobs/{job.pk}/cancel/")
    client.post(f"/workflows/{things['workflow_id']}/delete/", {"confirm": "1"})
    client.post("/api/tokens/", {"name": "sneaky"})

    assert Job.objects.get().status == job.status
    assert Trigger.objects.count() == 1
    assert not ApiToken.objects.filter(name="sneaky").exists()
