"""``manage.py workflow ...``: what a developer sees, and the exit codes."""

import json

import pytest
from django.core.management import CommandError, call_command

from tests.factories import GOBL_DIR
from workflows import starters
from workflows.models import Workflow


def run(*args):
    """The exit code ``manage.py workflow ...`` would give; errors go to stderr as there."""
    import sys

    try:
        call_command("workflow", *args)
    except SystemExit as exit:
        return exit.code
    except CommandError as error:
        sys.stderr.write(f"CommandError: {error}\n")
        return error.returncode
    return 0


def write(tmp_path, data, name="wf.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def ok_flow(**extra):
    return {
        "name": "CLI",
        "schema": "bill/invoice",
        "steps": [
            {"id": "a", "provider": "simulate.outcome", "config": {"status": "OK"}},
            {"id": "s", "provider": "silo.state", "config": {"state": "sent"}},
        ],
        **extra,
    }


@pytest.mark.django_db
def test_validate(tmp_path, capsys):
    assert run("validate", write(tmp_path, ok_flow())) == 0
    assert "valid (2 steps)" in capsys.readouterr().out


@pytest.mark.django_db
def test_validate_reports_paths_and_exits_2(tmp_path, capsys):
    bad = ok_flow(steps=[{"id": "a", "provider": "nope"}])
    assert run("validate", write(tmp_path, bad)) == 2
    assert "steps[0].provider: unknown provider 'nope'" in capsys.readouterr().err


@pytest.mark.django_db
def test_malformed_json_exits_2(tmp_path, capsys):
    assert run("validate", write(tmp_path, "{not json")) == 2
    assert "not valid JSON" in capsys.readouterr().err


@pytest.mark.django_db
def test_run_prints_the_job_and_exits_0_on_ok(tmp_path, capsys):
    entry = str(GOBL_DIR / "es-invoice-es-es-freelance.json")
    assert run("run", write(tmp_path, ok_flow()), "--entry", entry) == 0
    job = json.loads(capsys.readouterr().out)
    assert job["status"] == "OK"
    assert [i["step_id"] for i in job["intents"]] == ["a", "s"]
    assert job["intents"][1]["events"][0]["message"] == "State set to sent"


@pytest.mark.django_db
def test_run_exits_1_on_ko(tmp_path, capsys):
    flow = ok_flow(
        steps=[
            {"id": "k", "provider": "simulate.outcome", "config": {"status": "KO", "code": "E9"}}
        ]
    )
    assert run("run", write(tmp_path, flow), "--arg", "who=me") == 1
    job = json.loads(capsys.readouterr().out)
    assert job["status"] == "KO" and job["faults"][0]["code"] == "E9"
    assert job["args"] == {"who": "me"}


@pytest.mark.django_db
def test_run_without_entry_or_args_exits_2(tmp_path, capsys):
    assert run("run", write(tmp_path, ok_flow())) == 2
    assert "at least one argument" in capsys.readouterr().err


@pytest.mark.django_db
def test_import_then_export(tmp_path, capsys, alice):
    assert run("import", write(tmp_path, ok_flow()), "--workspace", alice[1].slug) == 0
    workflow_id = capsys.readouterr().out.strip()
    assert Workflow.objects.get(pk=workflow_id).workspace == alice[1]
    assert run("export", workflow_id) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["id"] == workflow_id and exported["version"] == 1
    assert exported["steps"][1]["name"] == "Set state"


@pytest.mark.django_db
def test_import_into_an_unknown_workspace_exits_2(tmp_path, capsys):
    assert run("import", write(tmp_path, ok_flow()), "--workspace", "nowhere") == 2


@pytest.mark.parametrize("slug", list(starters.all_starters()))
@pytest.mark.django_db
def test_every_template_is_valid(slug, tmp_path):
    assert run("validate", write(tmp_path, starters.get(slug))) == 0
