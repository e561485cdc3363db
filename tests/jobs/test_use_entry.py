"""An action that gives its job an entry (an import) keeps it across a wait, on both
commit paths (the ORM one on SQLite, the one-statement one on PostgreSQL)."""

from jobs.models import Job
from silo.services import create_entry
from tests.factories import load_gobl
from tests.jobs.flows import finish, ok
from workflows.actions.base import Action, Outcome
from workflows.services import create_workflow


class Adopt(Action):
    """Stores the job's args['doc'] GOBL example as an entry and makes it the job's."""

    id = "test.adopt"
    name = "Adopt a document"

    def run(self, context):
        entry, _ = create_entry(context.workspace, load_gobl(context.args["doc"]))
        context.use_entry(entry)
        return Outcome.ok()


def test_an_entry_an_action_adopts_stays_the_jobs(alice, action_registry):
    action_registry.register(Adopt)
    from jobs.services import create_job

    workflow, _ = create_workflow(
        alice.workspace,
        {
            "name": "import",
            "schema": "bill/invoice",
            "steps": [
                {"id": "adopt", "provider": "test.adopt"},
                {"id": "wait", "provider": "delay.wait", "config": {"seconds": 60}},
                ok("after"),
            ],
        },
    )
    job, _ = create_job(alice.workspace, workflow, args={"doc": "es-invoice-es-es-freelance.json"})
    job = finish(job)
    stored = Job.objects.get(pk=job.pk)
    assert stored.status == "OK"
    assert stored.entry is not None
    assert stored.entry.schema == "bill/invoice"
