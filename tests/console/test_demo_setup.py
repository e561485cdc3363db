import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from console.models import Membership, Workspace
from jobs.models import Job, Status, Trigger
from silo.models import Entry
from workflows.models import Workflow


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


@pytest.mark.django_db
def test_the_demo_shows_ready_made_workflows_and_past_jobs_of_every_kind(var_dir):
    demo_setup()

    demo = Workspace.objects.get(slug="demo")
    names = set(Workflow.objects.in_workspace(demo).values_list("name", flat=True))
    assert {"Issue and send invoice", "Check tax IDs, then register"} <= names
    jobs = Job.objects.in_workspace(demo)
    statuses = set(jobs.values_list("status", flat=True))
    assert {Status.OK, Status.KO, Status.WAIT, Status.CANCEL} <= statuses
    triggers = set(jobs.values_list("trigger", flat=True))
    assert {"console", "api", "command line", "bulk run by demo"} <= triggers
    assert "automatic: entered state registered" in triggers
    # A KO an exception handled (the job went on, OK), one that ran the error flow,
    # and a step that needed more than one attempt.
    handled = jobs.filter(status=Status.OK, intents__code="missing_tax_id").first()
    assert handled.entry.state in ("registered", "sent")
    rescued = jobs.filter(status=Status.KO, workflow__name="Check tax IDs, then register").get()
    assert rescued.intents.filter(step_id="error").exists()
    assert rescued.entry.state == "error"
    assert jobs.filter(intents__events__index=3, intents__step_id="flaky").exists()
    assert Trigger.objects.in_workspace(demo).filter(state="registered").exists()
    assert not Job.objects.exclude(workspace=demo).exists()


@pytest.mark.django_db
def test_demo_setup_twice_leaves_the_same_workflows_and_jobs(var_dir):
    demo_setup()
    workflows = sorted(Workflow.objects.values_list("id", "current_version"))
    jobs = sorted(Job.objects.values_list("id", "status"))
    triggers = Trigger.objects.count()

    demo_setup()

    assert sorted(Workflow.objects.values_list("id", "current_version")) == workflows
    assert sorted(Job.objects.values_list("id", "status")) == jobs
    assert Trigger.objects.count() == triggers
