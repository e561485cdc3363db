import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from console.models import Membership, Workspace
from silo.models import Entry


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def demo_setup():
    call_command("demo_setup", stdout=io.StringIO())


@pytest.mark.django_db
def test_demo_setup_makes_a_demo_user_in_two_workspaces(var_dir):
    demo_setup()

    password = (var_dir / "demo_password").read_text()
    user = authenticate(username="demo", password=password)
    assert user is not None
    assert sorted(user.workspaces.values_list("slug", flat=True)) == ["demo", "sandbox"]
    assert Entry.objects.filter(workspace__slug="demo").exists()


@pytest.mark.django_db
def test_demo_setup_can_run_again_without_changing_anything(var_dir):
    demo_setup()
    password = (var_dir / "demo_password").read_text()
    entries = Entry.objects.count()

    demo_setup()

    assert (var_dir / "demo_password").read_text() == password
    assert Workspace.objects.count() == 2
    assert Membership.objects.count() == 2
    assert Entry.objects.count() == entries
    assert authenticate(username="demo", password=password) is not None
