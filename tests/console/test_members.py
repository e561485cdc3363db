"""Owners invite people by a signed link, change roles and remove members; a
workspace always keeps an owner."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from console import members
from console.models import Invitation, Membership
from tests.factories import PASSWORD


def join(user, workspace, role):
    return Membership.objects.create(user=user, workspace=workspace, role=role)


def invite_link(client, email="carol@example.com", role="editor"):
    response = client.post(reverse("members:invite"), {"email": email, "role": role})
    assert response.status_code == 200
    return re.search(r"http://testserver(/invitations/[^/]+/)", mail.outbox[-1].body).group(1)


def test_an_invitation_is_mailed_with_a_link_that_signs_up_the_colleague(alice_client, alice):
    path = invite_link(alice_client)

    assert mail.outbox[-1].to == ["carol@example.com"]
    assert "Acme" in mail.outbox[-1].subject
    alice_client.logout()
    page = alice_client.get(path)
    assert b"Create your account" in page.content
    response = alice_client.post(
        path, {"username": "carol", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.url == reverse("home")
    carol = get_user_model().objects.get(username="carol")
    assert carol.email == "carol@example.com"
    assert Membership.objects.get(user=carol).role == "editor"
    assert alice_client.get(reverse("silo:list")).context["current_workspace"] == alice.workspace


def test_a_link_works_once(alice_client, alice, bob):
    path = invite_link(alice_client)
    alice_client.force_login(bob.user)
    alice_client.post(path)

    again = alice_client.post(path)

    assert again.status_code == 410
    assert b"already been used" in again.content
    assert Membership.objects.filter(workspace=alice.workspace).count() == 2


def test_an_expired_or_forged_link_is_refused(alice_client, alice, monkeypatch):
    path = invite_link(alice_client)
    client = Client()
    forged = client.get(path[:-3] + "xx/")
    monkeypatch.setattr(members, "INVITATION_MAX_AGE", timedelta(seconds=-1))
    expired = client.get(path)

    assert (forged.status_code, expired.status_code) == (410, 410)
    assert b"not valid" in forged.content
    assert b"expired" in expired.content


def test_someone_with_an_account_signs_in_then_joins(alice_client, alice, bob):
    bob.user.email = "bob@example.com"
    bob.user.save()
    path = invite_link(alice_client, "bob@example.com", "viewer")
    client = Client()

    page = client.get(path)
    assert b"sign in to accept" in page.content
    client.post(reverse("login"), {"username": "bob", "password": PASSWORD, "next": path})
    client.post(path)

    assert Membership.objects.get(user=bob.user, workspace=alice.workspace).role == "viewer"


def test_without_a_mail_server_the_owner_gets_the_link_to_pass_on(alice_client, alice, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there

    response = alice_client.post(
        reverse("members:invite"), {"email": "dan@example.com", "role": "viewer"}
    )

    assert b"Not sent" in response.content
    link = re.search(rb'value="(http://testserver/invitations/[^"]+)"', response.content)
    assert link is not None
    assert response["Cache-Control"] == "no-store"
    assert Invitation.objects.get().email == "dan@example.com"


def test_the_members_list_shows_role_and_last_activity(alice_client, alice, bob):
    join(bob.user, alice.workspace, "viewer")

    response = alice_client.get(reverse("members:page"))

    rows = {m.user.username: m for m in response.context["members"]}
    assert rows["bob"].role == "viewer"
    assert rows["alice"].last_seen_at is not None  # she is looking at the page
    assert rows["bob"].last_seen_at is None
    assert b"never" in response.content


def test_an_owner_changes_a_role(alice_client, alice, bob):
    membership = join(bob.user, alice.workspace, "viewer")

    alice_client.post(reverse("members:role", args=[membership.pk]), {"role": "editor"})

    membership.refresh_from_db()
    assert membership.role == "editor"


def test_the_last_owner_cannot_step_down_or_be_removed(alice_client, alice):
    mine = Membership.objects.get(user=alice.user)

    demote = alice_client.post(
        reverse("members:role", args=[mine.pk]), {"role": "viewer"}, follow=True
    )
    leave = alice_client.post(reverse("members:remove", args=[mine.pk]), follow=True)

    assert b"only owner" in demote.content
    assert b"always keeps one" in leave.content
    assert Membership.objects.get(user=alice.user).role == "owner"


def test_with_a_second_owner_the_first_may_leave(alice_client, alice, bob):
    join(bob.user, alice.workspace, "owner")
    mine = Membership.objects.get(user=alice.user, workspace=alice.workspace)

    alice_client.post(reverse("members:remove", args=[mine.pk]))

    assert not Membership.objects.filter(user=alice.user, workspace=alice.workspace).exists()


def test_a_removed_member_loses_the_workspace_at_their_next_request(client, alice, bob):
    membership = join(bob.user, alice.workspace, "editor")
    client.force_login(bob.user)
    client.post(reverse("switch_workspace"), {"workspace": alice.workspace.pk})
    assert client.get(reverse("silo:list")).context["current_workspace"] == alice.workspace

    members.remove(membership)

    assert client.get(reverse("silo:list")).context["current_workspace"] == bob.workspace


def test_another_workspaces_member_or_invitation_is_a_404(alice_client, alice, bob):
    bobs = Membership.objects.get(user=bob.user)
    invitation = members.invite(bob.workspace, "x@example.com", "viewer", invited_by=bob.user)

    role = alice_client.post(reverse("members:role", args=[bobs.pk]), {"role": "viewer"})
    remove = alice_client.post(reverse("members:remove", args=[bobs.pk]))
    withdraw = alice_client.post(reverse("members:withdraw", args=[invitation.pk]))

    assert (role.status_code, remove.status_code, withdraw.status_code) == (404, 404, 404)
    assert Membership.objects.get(user=bob.user).role == "owner"


@pytest.mark.parametrize("email", ["", "not-an-address"])
def test_a_bad_address_is_refused_with_a_message(alice_client, alice, email):
    response = alice_client.post(reverse("members:invite"), {"email": email, "role": "editor"})

    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_an_owner_withdraws_an_invitation_and_its_link_dies(alice_client, alice):
    path = invite_link(alice_client)
    invitation = Invitation.objects.get()

    alice_client.post(reverse("members:withdraw", args=[invitation.pk]))

    assert Client().get(path).status_code == 410


def test_pending_invitations_hide_once_expired(alice, bob):
    invitation = members.invite(alice.workspace, "x@example.com", "viewer", invited_by=alice.user)
    assert list(members.pending_invitations(alice.workspace)) == [invitation]
    Invitation.objects.update(created_at=timezone.now() - timedelta(days=8))

    assert list(members.pending_invitations(alice.workspace)) == []


def test_a_viewer_leaves_on_their_own(client, alice, bob):
    join(bob.user, alice.workspace, "viewer")
    client.force_login(bob.user)
    client.post(reverse("switch_workspace"), {"workspace": alice.workspace.pk})
    assert b"Leave" in client.get(reverse("members:page")).content

    response = client.post(reverse("members:leave"), follow=True)

    assert b"You left Acme." in response.content
    assert not Membership.objects.filter(user=bob.user, workspace=alice.workspace).exists()


def test_the_last_owner_cannot_leave(alice_client, alice):
    response = alice_client.post(reverse("members:leave"), follow=True)

    assert b"always keeps one" in response.content
    assert Membership.objects.filter(user=alice.user, workspace=alice.workspace).exists()
