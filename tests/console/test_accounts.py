"""A person changes their password, signs out everywhere else, and resets a forgotten
password by email."""

import re

from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

NEW = "a much newer password"


def signed_in_elsewhere(user):
    other = Client()
    other.force_login(user)
    return other


def test_changing_the_password_keeps_this_session_and_ends_the_others(alice_client, alice):
    phone = signed_in_elsewhere(alice.user)

    response = alice_client.post(
        reverse("change_password"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )

    assert b"1 other session signed out" in response.content
    assert alice_client.get(reverse("silo:list")).status_code == 200
    assert phone.get(reverse("silo:list")).status_code == 302
    alice.user.refresh_from_db()
    assert alice.user.check_password(NEW)


def test_a_wrong_current_password_changes_nothing(alice_client, alice):
    response = alice_client.post(
        reverse("change_password"),
        {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW},
    )

    assert response.status_code == 400
    assert b"incorrect" in response.content
    alice.user.refresh_from_db()
    assert alice.user.check_password(PASSWORD)


def test_signing_out_of_other_sessions_ends_them_in_the_store(alice_client, alice, bob):
    phone = signed_in_elsewhere(alice.user)
    bobs = signed_in_elsewhere(bob.user)
    page = alice_client.get(reverse("account"))
    assert b"also signed in 1 other time" in page.content

    alice_client.post(reverse("sign_out_others"))

    assert phone.get(reverse("silo:list")).status_code == 302
    assert bobs.get(reverse("silo:list")).status_code == 200
    assert alice_client.get(reverse("silo:list")).status_code == 200
    assert Session.objects.count() == 2  # alice's own, and bob's


def test_a_forgotten_password_is_reset_through_the_emailed_link(client, alice):
    alice.user.email = "alice@example.com"
    alice.user.save()
    laptop = signed_in_elsewhere(alice.user)

    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    link = re.search(r"http://testserver(/account/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}, follow=True
    )

    assert b"Password set" in done.content
    alice.user.refresh_from_db()
    assert alice.user.check_password(NEW)
    assert client.get(link, follow=True).context["validlink"] is False
    assert laptop.get(reverse("silo:list")).status_code == 302
    assert (
        not Session.objects.filter(expire_date__isnull=False)
        .exclude(session_key=client.session.session_key)
        .exists()
    )


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, alice):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})

    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []
