from django.urls import reverse

from tests.factories import PASSWORD


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


def _fail(client, username="alice", **extra):
    return client.post(reverse("login"), {"username": username, "password": "not it"}, **extra)


def test_failed_sign_ins_are_throttled_with_a_clear_message(client, alice):
    from console import login

    for _ in range(login.FAILURES_PER_ACCOUNT):
        assert _fail(client).status_code == 200

    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many failed sign-ins from here: wait 15 minutes" in response.content.decode()
    assert not response.context["user"].is_authenticated
    other_place = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="198.51.100.7"
    )
    assert other_place.status_code == 302  # a stranger elsewhere cannot lock alice out


def test_many_usernames_from_one_address_are_throttled_too(client, alice):
    from console import login

    for number in range(login.FAILURES_PER_ADDRESS):
        _fail(client, username=f"guess{number}")

    assert _fail(client, username="alice").status_code == 429


def test_a_successful_sign_in_clears_the_count(client, alice):
    from console import login

    for _ in range(login.FAILURES_PER_ACCOUNT - 1):
        _fail(client)
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    client.post(reverse("logout"))

    assert _fail(client).status_code == 200
