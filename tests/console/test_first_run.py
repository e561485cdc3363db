"""A fresh install: the first owner is made by ``createowner`` or by the first-run page,
which opens only from the machine itself or with the token from the server's log."""

import io
import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from console.models import Membership

FORM = {
    "username": "olga",
    "email": "olga@example.com",
    "password1": "a long enough password",
    "password2": "a long enough password",
    "workspace": "Olga's team",
}


@pytest.fixture(autouse=True)
def var_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.mark.django_db
def test_with_no_user_the_console_opens_on_the_first_run_page(client):
    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0] == reverse("first_run")
    assert b"Create owner and workspace" in response.content


@pytest.mark.django_db
def test_the_first_run_page_makes_the_owner_and_signs_them_in(client):
    response = client.post(reverse("first_run"), FORM, follow=True)

    assert response.context["current_workspace"].name == "Olga's team"
    assert Membership.objects.get().role == "owner"
    assert client.get(reverse("first_run")).status_code == 404  # once only


@pytest.mark.django_db
def test_from_another_machine_the_page_needs_the_token_from_the_log(client, caplog):
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    with caplog.at_level(logging.WARNING, logger="console.first_run"):
        locked = client.get(reverse("first_run"), **remote)
    token = re.search(r"token=(\S+)", caplog.text).group(1)

    refused = client.post(reverse("first_run"), {**FORM, "token": "guess"}, **remote)
    allowed = client.post(reverse("first_run"), {**FORM, "token": token}, **remote)

    assert (locked.status_code, refused.status_code, allowed.status_code) == (403, 403, 302)
    assert get_user_model().objects.get().username == "olga"


@pytest.mark.django_db
def test_a_proxied_request_is_not_from_this_machine(client):
    response = client.get(reverse("first_run"), HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert response.status_code == 403


def test_once_a_user_exists_the_page_is_gone(client, alice):
    assert client.get(reverse("first_run")).status_code == 404
    assert client.get(reverse("login")).status_code == 200


@pytest.mark.django_db
def test_createowner_makes_a_user_and_their_workspace(monkeypatch):
    monkeypatch.setenv("CONSOLE_OWNER_PASSWORD", "a long enough password")
    out = io.StringIO()

    call_command("createowner", username="olga", workspace="Ops", stdout=out)

    olga = get_user_model().objects.get(username="olga")
    assert olga.check_password("a long enough password")
    assert Membership.objects.get(user=olga).workspace.name == "Ops"
    assert "olga owns the new workspace Ops" in out.getvalue()


def test_createowner_refuses_a_taken_name_and_a_short_password(monkeypatch, alice):
    monkeypatch.setenv("CONSOLE_OWNER_PASSWORD", "a long enough password")
    with pytest.raises(CommandError, match="already exists"):
        call_command("createowner", username="alice", workspace="Ops")
    monkeypatch.setenv("CONSOLE_OWNER_PASSWORD", "short")
    with pytest.raises(CommandError, match="too short"):
        call_command("createowner", username="olga", workspace="Ops")
    assert Membership.objects.count() == 1
