"""``manage.py workflow validate|import|export|run``.

Exit codes: 0 valid / job OK, 1 job KO (or CANCEL), 2 invalid input.

``run`` needs nothing set up: on a fresh checkout, whose database is not migrated, it
runs on a scratch SQLite database of its own (migrated, then removed) and says so.
"""

import json
import sys
import tempfile
import uuid
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from console import storable
from console.models import Workspace
from jobs import engine
from jobs.models import Job, Status
from jobs.representation import job_json
from jobs.services import JobError, create_job
from silo.documents import DocumentError
from silo.services import create_entry
from workflows import definition, services, tree
from workflows.models import Workflow


class InvalidInput(CommandError):
    def __init__(self, message):
        super().__init__(message, returncode=2)


def _read_json(path):
    try:
        return storable.loads(Path(path).read_bytes())
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read: {error.strerror}") from None
    except storable.Unstorable as error:
        raise InvalidInput(f"{path}: cannot be stored: {error}") from None
    except ValueError as error:  # not JSON, not UTF-8, NaN or Infinity
        raise InvalidInput(f"{path}: not valid JSON: {error}") from None


def _parse(path):
    try:
        return definition.parse(_read_json(path))
    except definition.DefinitionError as error:
        lines = "\n".join(f"  {issue}" for issue in error.issues)
        raise InvalidInput(f"{path}: the workflow is not valid:\n{lines}") from None


class Command(BaseCommand):
    help = "Validate, import, export and run workflow JSON."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("validate", help="Check a workflow JSON file").add_argument("file")
        imp = sub.add_parser("import", help="Create a workflow in a workspace")
        imp.add_argument("file")
        imp.add_argument("--workspace", required=True, help="Workspace slug")
        sub.add_parser("export", help="Print a workflow's JSON").add_argument("id")
        run = sub.add_parser("run", help="Run a workflow in-process and print the job")
        run.add_argument("file")
        run.add_argument("--entry", help="A GOBL document file to run on")
        run.add_argument("--arg", action="append", default=[], metavar="KEY=VALUE")
        sub.add_parser("schema", help="Print the JSON Schema of the workflow format")

    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_validate(self, file, **_):
        parsed, warnings = _parse(file)
        for warning in warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(f"{file}: valid ({sum(1 for _ in tree.walk(parsed))} steps)")

    def do_import(self, file, workspace, **_):
        target = Workspace.objects.filter(slug=workspace).first()
        if target is None:
            raise InvalidInput(f"no workspace with the slug {workspace!r}")
        try:
            workflow, warnings = services.create_workflow(target, _read_json(file))
        except definition.DefinitionError as error:
            raise InvalidInput(
                "the workflow is not valid:\n" + "\n".join(f"  {issue}" for issue in error.issues)
            ) from None
        for warning in warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(str(workflow.id))

    def do_export(self, id, **_):
        try:
            workflow = Workflow.objects.get(pk=uuid.UUID(id))
        except (ValueError, Workflow.DoesNotExist):
            raise InvalidInput(f"no workflow with the id {id!r}") from None
        self.stdout.write(json.dumps(services.export(workflow), indent=2))

    def do_schema(self, **_):
        self.stdout.write(json.dumps(definition.json_schema(), indent=2))

    def do_run(self, file, entry, arg, **_):
        data = _read_json(file)
        _parse(file)
        args = {}
        for item in arg:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise InvalidInput(f"--arg {item!r}: expected KEY=VALUE")
            args[key] = value
        doc = _read_json(entry) if entry else None
        with tempfile.TemporaryDirectory(prefix="workflow-run-") as folder:
            if not _migrated():
                self.stderr.write(
                    "The project's database is not set up (manage.py migrate has not run): "
                    "running on a scratch database, removed afterwards."
                )
                _use_scratch_database(Path(folder) / "scratch.sqlite3")
            try:
                self._run_in_scratch_workspace(data, doc, args)
            finally:
                connections[DEFAULT_DB_ALIAS].close()

    def _run_in_scratch_workspace(self, data, doc, args):
        scratch = Workspace.objects.create(name="scratch", slug=f"scratch-{uuid.uuid4().hex}")
        try:
            job = self._run(scratch, data, doc, args)
        finally:
            with transaction.atomic():
                Job.objects.filter(workspace=scratch).delete()
                scratch.delete()
        self.stdout.write(json.dumps(job, indent=2))
        if job["status"] != Status.OK:
            sys.exit(1)

    def _run(self, workspace, data, doc, args):
        workflow, _ = services.create_workflow(workspace, data)
        try:
            silo_entry = create_entry(workspace, doc, source="command line")[0] if doc else None
            job, _ = create_job(
                workspace, workflow, entry=silo_entry, args=args, trigger="command line"
            )
        except (DocumentError, JobError) as error:
            raise InvalidInput(str(error)) from None
        engine.run_in_process(job)
        job.refresh_from_db()
        return job_json(job)


def _migrated():
    """Is every migration applied to the project's database?"""
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def _use_scratch_database(path):
    """Point the default database at a new SQLite file and migrate it."""
    connections[DEFAULT_DB_ALIAS].close()
    settings = connections.settings[DEFAULT_DB_ALIAS]
    connections.settings[DEFAULT_DB_ALIAS] = {
        **settings,
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "OPTIONS": {},
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
    }
    del connections[DEFAULT_DB_ALIAS]
    call_command("migrate", verbosity=0, interactive=False)
