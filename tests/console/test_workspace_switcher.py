from django.urls import reverse

from console.models import Membership, Workspace
from console.workspaces import SESSION_KEY


def join(user, name):
    workspace = Workspace.objects.create(name=name)
    Membership.objects.create(user=user, workspace=workspace)
    return workspace


def test_the_switcher_lists_only_my_workspaces(alice_client, alice, bob):
    join(alice.user, "Beta")

    response = alice_client.get(reverse("silo:list"))

    names = [workspace.name for workspace in response.context["my_workspaces"]]
    assert names == ["Acme", "Beta"]
    assert response.context["current_workspace"] == alice.workspace


def test_switching_changes_the_current_workspace(alice_client, alice):
    beta = join(alice.user, "Beta")

    response = alice_client.post(reverse("switch_workspace"), {"workspace": beta.pk})

    assert response.url == "/"
    assert alice_client.session[SESSION_KEY] == str(beta.pk)
    page = alice_client.get(reverse("silo:list"))
    assert page.context["current_workspace"] == beta
    assert f'<option value="{beta.pk}" selected>Beta</option>'.encode() in page.content


def test_switching_returns_to_a_page_on_this_site_only(alice_client, alice):
    beta = join(alice.user, "Beta")
    switch = reverse("switch_workspace")

    stay = alice_client.post(switch, {"workspace": beta.pk, "next": "/silo/"})
    leave = alice_client.post(switch, {"workspace": beta.pk, "next": "https://evil.example/"})

    assert stay.url == "/silo/"
    assert leave.url == "/"


def test_switching_to_a_workspace_i_am_not_in_is_404(alice_client, alice, bob):
    response = alice_client.post(reverse("switch_workspace"), {"workspace": bob.workspace.pk})

    assert response.status_code == 404
    assert alice_client.get(reverse("silo:list")).context["current_workspace"] == alice.workspace


def test_switching_needs_a_post(alice_client, alice):
    assert alice_client.get(reverse("switch_workspace")).status_code == 405


def test_losing_a_membership_falls_back_to_another_workspace(alice_client, alice):
    beta = join(alice.user, "Beta")
    alice_client.post(reverse("switch_workspace"), {"workspace": beta.pk})

    Membership.objects.filter(workspace=beta).delete()

    response = alice_client.get(reverse("silo:list"))
    assert response.context["current_workspace"] == alice.workspace


def test_a_user_without_a_workspace_is_told_so(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("newcomer"))

    response = client.get(reverse("silo:list"))

    assert response.status_code == 403
    assert b"not a member of any workspace" in response.content
