"""Issue 12, finding 8, through the real server (Daphne): a multipart body Twisted
cannot parse reaches the application, which answers in the API's error shape instead
of Twisted's bare, empty 400, with a token or without one."""

import httpx
import pytest

from console.api.tokens import create_token
from silo.services import create_entry

pytestmark = pytest.mark.browser  # it needs the live server of tests/browser


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=x", "multipart/form-data"])
def test_a_malformed_multipart_body_gets_the_documented_error_shape(
    server_url, alice, invoice_doc, content_type
):
    _, token = create_token(alice.workspace, "t", actor=alice.user)
    entry, _ = create_entry(alice.workspace, invoice_doc)
    url = f"{server_url}/api/v1/silo/entries/{entry.id}/attachments"

    signed = httpx.post(
        url,
        content=b"garbage--\xff",
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    anonymous = httpx.post(url, content=b"garbage--\xff", headers={"Content-Type": content_type})

    assert signed.status_code in (400, 422)
    assert set(signed.json()) == {"code", "message", "fields"}
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthorized"
