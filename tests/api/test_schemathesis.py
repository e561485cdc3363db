"""Schemathesis over the OpenAPI document the app serves: generated requests for
every operation, sent to the app in-process (WSGI), must never get a 5xx, and every
answer must match the document (status, content type, body schema, headers).

The document is taken from the API object at collection time (schemathesis' lazy
fixture loader does not work with pytest 9); the first test checks that it is the
very document ``/api/v1/openapi.json`` serves.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from console.api.openapi import api
from silo.services import create_entry
from tests.factories import INVOICE_FLOW
from workflows.services import create_workflow

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()

# Left out: "a schema-valid request must be accepted" (a well-formed body may still
# name a workflow this workspace lacks, a 422) and "any schema-violating request must
# be refused" (unknown query parameters are ignored, as most HTTP APIs do). Every
# other check runs: no 5xx, documented statuses, content types, headers and bodies.
LENIENT = [positive_data_acceptance, negative_data_rejection]


def test_the_tested_document_is_the_served_one(alice_api):
    document = alice_api.get("/openapi.json")
    served = document.json()
    assert served == json.loads(json.dumps(api.get_openapi_schema()))
    json.loads(document.content, object_pairs_hook=_refuse_duplicate_keys)
    assert len(served["paths"]) >= 10


def _refuse_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate keys in {keys}"  # Swagger UI refuses them
    return dict(pairs)


@pytest.fixture
def in_test_transaction():
    """The app runs in this thread inside the test's transaction: like Django's test
    client, keep its request signals from closing that connection (PostgreSQL)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def known_things(alice, invoice_doc, settings, in_test_transaction):
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    create_workflow(alice.workspace, INVOICE_FLOW)
    create_entry(alice.workspace, invoice_doc, key="known")


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, alice_api, known_things):
    if case.query and isinstance(case.query.get("wait"), int):
        case.query["wait"] = 0  # ?wait is tested with a worker; here it would only sleep
    case.call_and_validate(
        headers={"Authorization": f"Bearer {alice_api.plaintext}"}, excluded_checks=LENIENT
    )
