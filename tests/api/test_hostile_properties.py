"""Property tests (issue 12): arbitrary JSON, with lone surrogates, NUL, deep nesting
and huge strings, thrown at every API route and console form. Nothing answers 5xx,
and every page and list touched afterwards still renders.

Examples accumulate in one test database per test, so later examples meet whatever
the earlier ones managed to store: that is the point (a page broken for good).
Few examples each, to stay fast; the exact requests of each finding are in
test_hostile_input.py.
"""

import json
import uuid
from urllib.parse import quote_plus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from jobs.models import Job
from silo.models import Entry
from silo.services import create_entry
from tests.api.conftest import INVOICE_FLOW
from tests.conftest import load_gobl
from workflows.models import Workflow
from workflows.services import create_workflow

FAST = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure is reproducible
    phases=[Phase.explicit, Phase.generate],  # no shrinking: these bodies are slow to shrink
    report_multiple_bugs=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

HOSTILE_STRINGS = [
    "\ud800",
    "a\udfffb",
    "\x00",
    "nul\x00inside",
    "x" * 200_000,
    "{{ 'a' * 10000000 }}",
    "\u202e\ufeff",
    "😀" * 1000,
    "../../etc/passwd",
    "<script>alert(1)</script>",
]
text = st.one_of(
    st.text(max_size=20),
    st.text(st.characters(categories=["Cs", "Cc"]), min_size=1, max_size=3),
    st.sampled_from(HOSTILE_STRINGS),
)


def _nested(depth, leaf):
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
json_values = st.one_of(
    st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3)
        ),
        max_leaves=8,
    ),
    st.builds(_nested, st.integers(60, 300), scalars),
)
# Documents that get past the schema check, so the hostile parts reach the stores.
INVOICE = load_gobl("es-invoice-es-es-freelance.json")
documents = st.one_of(
    json_values,
    st.builds(
        lambda name, extra: {
            **INVOICE,
            "doc": {**INVOICE["doc"], "supplier": {"name": name}, **extra},
        },
        text,
        st.dictionaries(text, json_values, max_size=2),
    ),
)


def dumps(value):
    """JSON text as a client sends it: a lone surrogate as its \\ud800 escape."""
    return json.dumps(value, ensure_ascii=True)


def form_body(fields):
    """A urlencoded form whose text may hold what UTF-8 cannot (surrogates)."""
    return "&".join(
        f"{quote_plus(name)}={quote_plus(value.encode('utf-8', 'surrogatepass'))}"
        for name, value in fields
    )


def query(fields):
    return "?" + form_body(fields)


@pytest.fixture
def world(alice, alice_client, invoice_doc):
    workflow = create_workflow(alice.workspace, INVOICE_FLOW)[0]
    entry = create_entry(alice.workspace, invoice_doc)[0]
    return {"workflow": workflow, "entry": entry, "client": alice_client}


def assert_everything_still_renders(api, client):
    """Every list and every page of what exists answers 200, in the API and console."""
    for path in ("/jobs", "/silo/entries", "/workflows"):
        assert api.get(path).status_code == 200, path
    pages = ["/silo/", "/jobs/", "/workflows/"]
    pages += [f"/silo/{pk}/" for pk in Entry.objects.values_list("pk", flat=True)[:20]]
    pages += [f"/jobs/{pk}/" for pk in Job.objects.values_list("pk", flat=True)[:20]]
    pages += [f"/workflows/{pk}/" for pk in Workflow.objects.values_list("pk", flat=True)[:20]]
    for page in pages:
        assert client.get(page).status_code == 200, page
    for job in Job.objects.all()[:20]:
        assert api.get(f"/jobs/{job.pk}").status_code == 200
    for entry in Entry.objects.all()[:20]:
        assert api.get(f"/silo/entries/{entry.pk}").status_code == 200


def no_server_error(response):
    assert response.status_code < 500, response.content[:300]
    return response


# --- the API ----------------------------------------------------------------------------


@FAST
@given(
    args=json_values,
    data=st.none() | documents,
    key=st.none() | text,
    tags=json_values,
    body=json_values,
)
def test_job_routes(alice_api, world, args, data, key, tags, body):
    workflow_id = str(world["workflow"].id)
    fields = {"workflow_id": workflow_id, "args": args, "key": key, "tags": tags}
    if data is not None:
        fields["data"] = data
    no_server_error(alice_api.post("/jobs", dumps(fields)))
    no_server_error(alice_api.put(f"/jobs/{uuid.uuid4()}", dumps(fields)))
    no_server_error(alice_api.post("/jobs", dumps(body)))
    no_server_error(alice_api.put(f"/jobs/{uuid.uuid4()}?wait=0", dumps(body)))
    for job in Job.objects.all()[:3]:
        no_server_error(alice_api.post(f"/jobs/{job.pk}/cancel"))
    assert_everything_still_renders(alice_api, world["client"])


@FAST
@given(doc=documents, meta=json_values, key=st.none() | text, state=json_values)
def test_silo_routes(alice_api, world, doc, meta, key, state):
    entry = world["entry"]
    no_server_error(alice_api.post("/silo/entries", dumps({"doc": doc, "key": key, "meta": meta})))
    no_server_error(alice_api.patch(f"/silo/entries/{entry.id}", dumps({"meta": meta})))
    no_server_error(alice_api.patch(f"/silo/entries/{entry.id}", dumps({"state": state})))
    name = key if isinstance(key, str) else "file.txt"
    upload = SimpleUploadedFile(name.encode("utf-8", "replace").decode()[:300] or "f", b"x")
    no_server_error(alice_api.upload(f"/silo/entries/{entry.id}/attachments", upload))
    assert_everything_still_renders(alice_api, world["client"])


@FAST
@given(name=text, config=json_values, document=json_values)
def test_workflow_routes(alice_api, world, name, config, document):
    shaped = {
        "name": name,
        "schema": "bill/invoice",
        "steps": [{"provider": "simulate.outcome", "config": config}],
    }
    workflow_id = uuid.uuid4()
    no_server_error(alice_api.put(f"/workflows/{workflow_id}", dumps(shaped)))
    no_server_error(alice_api.put(f"/workflows/{uuid.uuid4()}", dumps(document)))
    existing = world["workflow"].id
    no_server_error(alice_api.patch(f"/workflows/{existing}", dumps(shaped)))
    no_server_error(alice_api.patch(f"/workflows/{existing}", dumps(document)))
    no_server_error(alice_api.post(f"/workflows/{existing}/restore"))
    assert_everything_still_renders(alice_api, world["client"])


@FAST
@given(values=st.lists(text, min_size=5, max_size=5), limit=text)
def test_list_queries(alice_api, world, values, limit):
    cursor, q, schema, state, status = values
    for path, fields in (
        ("/jobs", [("cursor", cursor), ("status", status), ("limit", limit)]),
        ("/workflows", [("cursor", cursor), ("schema", schema)]),
        ("/silo/entries", [("cursor", cursor), ("q", q), ("schema", schema), ("state", state)]),
        ("/jobs/key/" + quote_plus(q.encode("utf-8", "surrogatepass")), []),
    ):
        no_server_error(alice_api.get(path + query(fields)))
    client = world["client"]
    for page, fields in (
        ("/silo/", [("cursor", cursor), ("q", q), ("schema", schema), ("state", state)]),
        ("/jobs/", [("cursor", cursor), ("status", status), ("q", q)]),
        ("/workflows/", [("q", q), ("schema", schema)]),
    ):
        expected = 400 if any("\x00" in value for _, value in fields) else 200  # NUL: refused
        assert client.get(page + query(fields)).status_code == expected


# --- the console's forms ----------------------------------------------------------------


@FAST
@given(doc=documents, key=text)
def test_console_upload(alice_api, world, doc, key):
    client = world["client"]
    upload = SimpleUploadedFile("d.json", dumps(doc).encode())
    # A multipart field is UTF-8: a surrogate cannot be sent in it (it is in the file).
    key = key.encode("utf-8", "replace").decode()
    no_server_error(client.post("/silo/upload/", {"file": upload, "key": key}))
    assert_everything_still_renders(alice_api, client)


@FAST
@given(document=json_values, raw=text)
def test_console_import_and_developer_mode(alice_api, world, document, raw):
    client = world["client"]
    workflow = world["workflow"]
    for body in (dumps(document), raw):
        fields = [("json", body)]
        for path in ("/workflows/import/", f"/workflows/{workflow.id}/developer/"):
            no_server_error(
                client.post(
                    path, form_body(fields), content_type="application/x-www-form-urlencoded"
                )
            )
    assert_everything_still_renders(alice_api, client)


@FAST
@given(meta=text, key=text, value=text, state=text)
def test_console_entry_edit_and_run(alice_api, world, meta, key, value, state):
    client = world["client"]
    entry, workflow = world["entry"], world["workflow"]
    entry.refresh_from_db()
    forms = (
        (f"/silo/{entry.id}/edit/", [("state", state), ("meta", meta), ("version", "1")]),
        (
            f"/silo/{entry.id}/edit/",
            [("state", "draft"), ("meta", f"{key}={value}"), ("version", str(entry.version))],
        ),
        (f"/workflows/{workflow.id}/run/start/", [("arg_key", key), ("arg_value", value)]),
    )
    for path, fields in forms:
        no_server_error(
            client.post(path, form_body(fields), content_type="application/x-www-form-urlencoded")
        )
    assert_everything_still_renders(alice_api, client)
