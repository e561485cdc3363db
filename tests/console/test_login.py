from django.urls import reverse

from tests.conftest import PASSWORD


def test_login_page_shows_the_form(client, alice):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_logging_in_lands_on_the_silo(client, alice):
    response = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("silo:list")
    assert response.context["user"].username == "alice"


def test_logging_in_returns_to_the_page_asked_for(client, alice):
    response = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD, "next": "/silo/?q=acme"}
    )

    assert response.url == "/silo/?q=acme"


def test_a_wrong_password_is_refused_with_a_message(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "not it"})

    assert response.status_code == 200
    assert b"didn't match" in response.content
    assert not response.context["user"].is_authenticated


def test_logging_out_ends_the_session(alice_client):
    response = alice_client.post(reverse("logout"))

    assert response.url == reverse("login")
    assert alice_client.get(reverse("silo:list")).status_code == 302
