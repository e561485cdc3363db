"""API tokens: created on the console's API page (shown once, stored hashed), listed
with their last use, revoked with a POST; a revoked or unknown token gets 401."""

import hashlib
import re

import pytest
from django.test import Client

from console.api.models import ApiToken
from console.api.tokens import create_token
from tests.api.client import ApiClient


def _created_token(response):
    match = re.search(r'value="(wfc_[^"]+)"', response.content.decode())
    assert match, "the new token is shown on the page"
    return match.group(1)


def test_a_new_token_is_shown_once_and_stored_hashed(alice_client, alice):
    response = alice_client.post("/api/tokens/", {"name": "ERP"})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    plaintext = _created_token(response)
    token = ApiToken.objects.get(workspace=alice.workspace)
    assert token.name == "ERP"
    assert token.sha256 == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in {token.prefix, token.sha256, token.name}
    assert plaintext.startswith(token.prefix)

    page = alice_client.get("/api/").content.decode()
    assert plaintext not in page
    assert token.prefix in page
    assert "never" in page


def test_the_page_shows_when_a_token_was_last_used(alice_client, alice_api):
    assert alice_api.get("/jobs").status_code == 200

    token = ApiToken.objects.get()
    assert token.last_used_at is not None
    page = alice_client.get("/api/").content.decode()
    assert token.last_used_at.strftime("%Y-%m-%d %H:%M") in page


def test_the_page_links_to_the_interactive_docs(alice_client):
    page = alice_client.get("/api/").content.decode()
    assert 'href="/api/v1/docs"' in page

    docs = alice_client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html  # served by us: no CDN offline
    assert "cdn" not in html.lower()
    assert alice_client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


def test_a_revoked_token_gets_401(alice_client, alice):
    token, plaintext = create_token(alice.workspace, "old")
    api = ApiClient(plaintext)
    assert api.get("/jobs").status_code == 200

    response = alice_client.post(f"/api/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    answer = api.get("/jobs")
    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthorized"
    assert answer["WWW-Authenticate"] == "Bearer"
    assert "Revoked" in alice_client.get("/api/").content.decode()


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer nonsense", "Bearer wfc_not-a-token", "Basic abc"]
)
def test_requests_without_a_valid_token_get_401(db, header):
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    response = client.get("/api/v1/jobs")
    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthorized",
        "message": "Send a valid API token as 'Authorization: Bearer <token>'.",
        "fields": {},
    }


def test_a_console_session_is_not_an_api_credential(alice_client):
    assert alice_client.get("/api/v1/jobs").status_code == 401


def test_bob_cannot_revoke_alices_token(alice, bob):
    token, _ = create_token(alice.workspace, "alice's")
    client = Client()
    client.force_login(bob.user)

    assert client.post(f"/api/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_bob_does_not_see_alices_tokens(alice, bob):
    create_token(alice.workspace, "alice-secret-integration")
    client = Client()
    client.force_login(bob.user)
    assert "alice-secret-integration" not in client.get("/api/").content.decode()


def test_revoking_needs_a_csrf_token(alice):
    token, _ = create_token(alice.workspace, "kept")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)

    assert client.post(f"/api/tokens/{token.pk}/revoke/").status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_needs_a_name(alice_client):
    response = alice_client.post("/api/tokens/", {"name": ""})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_the_api_page_needs_a_login(client, db):
    response = client.get("/api/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_token_names_are_escaped(alice_client, alice):
    create_token(alice.workspace, "<script>alert(1)</script>")
    page = alice_client.get("/api/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_a_deleted_token_gets_401_even_just_after_it_was_used(alice):
    token, plaintext = create_token(alice.workspace, "short-lived")
    api = ApiClient(plaintext)
    assert api.get("/jobs").status_code == 200  # with Redis, now in the shared cache

    ApiToken.objects.filter(pk=token.pk).delete()

    assert api.get("/jobs").status_code == 401
