"""A live page is told where the change feed stood (``live_since``) as of BEFORE it
read what it shows: a change committed in between is then replayed to it, where read
after, it would fall between the two and the page would never hear of it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs import bulk
from jobs.services import create_job
from silo.services import create_entry
from tests.factories import load_gobl
from workflows.services import create_workflow

FLOW = {
    "name": "Register",
    "schema": "bill/invoice",
    "steps": [{"id": "s", "provider": "silo.state", "config": {"state": "registered"}}],
}


def first(queries, table):
    return next(i for i, query in enumerate(queries) if f'"{table}"' in query["sql"])


@pytest.mark.parametrize(
    ("page", "table"),
    [
        ("history", "jobs_job"),
        ("job", "jobs_job"),
        ("batch", "jobs_batch"),
        ("entry", "silo_entry"),
    ],
)
def test_the_feed_mark_is_read_before_the_data(alice_client, alice, page, table):
    workspace = alice.workspace
    entry, _ = create_entry(workspace, load_gobl("es-invoice-es-es-freelance.json"))
    workflow, _ = create_workflow(workspace, FLOW)
    job, _ = create_job(workspace, workflow, entry=entry)
    batch = bulk.start(workspace, workflow, {})
    url = {
        "history": "/jobs/",
        "job": f"/jobs/{job.pk}/",
        "batch": f"/jobs/bulk/{batch.pk}/",
        "entry": f"/silo/{entry.pk}/?tab=activity",
    }[page]

    with CaptureQueriesContext(connection) as captured:
        response = alice_client.get(url)

    assert response.status_code == 200
    assert first(captured.captured_queries, "jobs_change") < first(captured.captured_queries, table)
