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
    assert run("import", write(tmp_path, ok_flow()), "--workspace", alice.workspace.slug) == 0
    workflow_id = capsys.readouterr().out.strip()
    assert Workflow.objects.get(pk=workflow_id).workspace == alice.workspace
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


def test_run_works_on_a_fresh_checkout_whose_database_is_not_migrated(tmp_path):
    """A new checkout has an empty database: the command runs on a scratch one, says so,
    and leaves the project's database as it found it."""
    import os
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    empty = tmp_path / "never-migrated.sqlite3"
    env = {
        **os.environ,
        "SQLITE_PATH": str(empty),
        "CONSOLE_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "console.settings",
    }
    env.pop("DATABASE_URL", None)
    flow = {**ok_flow(), "steps": ok_flow()["steps"][:1]}  # no entry to set the state of
    command = [sys.executable, "manage.py", "workflow", "run", write(tmp_path, flow)]
    finished = subprocess.run(
        [*command, "--arg", "k=v"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )

    assert finished.returncode == 0, finished.stderr
    assert "running on a scratch database" in finished.stderr
    assert json.loads(finished.stdout)["status"] == "OK"
    tables = sqlite3.connect(empty).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == []
