"""The Demo workspace's workflows and past jobs, so a first run shows the product.

``demo_setup`` calls ``install(workspace)`` after loading the GOBL examples. It
installs every ready-made workflow (``workflows/starters``, the empty ones
aside) and then tells each *story* of ``STORIES``: a few jobs run by the engine, here
and now, exactly as a worker would run them, so History, the job pages, the entries'
activity, the failed-jobs bell and Automatic runs show true results.

Idempotent: a workflow is installed once (by name), and a story is told once (its
first job carries the key ``demo:<story>``). Adding a story is a function plus a line
in ``STORIES``; adding a ready-made workflow is a file in ``workflows/starters``.
"""

from jobs import bulk, engine
from jobs.models import Job, Status, Trigger
from jobs.services import create_job
from silo import documents
from silo.models import Entry
from workflows import starters
from workflows.actions.tax_id import party_tax_id, validator
from workflows.models import Workflow
from workflows.services import create_workflow


def install(workspace):
    """Install the ready-made workflows and tell the stories not told yet.

    Returns ``(workflows installed, stories told)``."""
    installed = install_workflows(workspace)
    cast = Cast(workspace)
    told = 0
    for story in STORIES:
        if cast.told(story):
            continue
        story(cast)
        told += 1
    return installed, told


def install_workflows(workspace):
    installed = 0
    for template in starters.all_starters().values():
        if not template["steps"]:  # the empty starting points are for "+ Create workflow"
            continue
        if Workflow.objects.in_workspace(workspace).filter(name=template["name"]).exists():
            continue
        create_workflow(workspace, template)
        installed += 1
    return installed


class Cast:
    """What the stories play with: the workspace's ready-made workflows, documents not
    used by another story yet, and jobs run to their end (or to their first wait)."""

    def __init__(self, workspace):
        self.workspace = workspace
        self.used = set(
            Job.objects.in_workspace(workspace)
            .exclude(entry=None)
            .values_list("entry_id", flat=True)
        )

    def told(self, story):
        return Job.objects.in_workspace(self.workspace).filter(key=_key(story)).exists()

    def workflow(self, template_slug):
        name = starters.get(template_slug)["name"]
        return Workflow.objects.in_workspace(self.workspace).get(name=name)

    def invoices(self, count, *, supplier, customer):
        """``count`` unused invoices whose supplier's and customer's tax IDs are
        ``"valid"``, ``"invalid"`` or ``"missing"``, in a stable order."""
        found = []
        invoices = Entry.objects.in_workspace(self.workspace).filter(
            schema="bill/invoice", state="draft"
        )
        for entry in invoices.order_by("key"):
            doc = documents.body(entry.doc)
            if entry.pk in self.used:
                continue
            if (_tax_id(doc, "supplier"), _tax_id(doc, "customer")) == (supplier, customer):
                found.append(entry)
                self.used.add(entry.pk)
                if len(found) == count:
                    return found
        raise LookupError(f"fewer than {count} demo invoices with {supplier}/{customer} tax IDs")

    def parties(self, count):
        parties = Entry.objects.in_workspace(self.workspace).filter(
            schema="org/party", state="draft"
        )
        found = [p for p in parties.order_by("key") if p.pk not in self.used][:count]
        self.used.update(p.pk for p in found)
        return found

    def job(self, story, workflow, *, first=False, **fields):
        """Queue a job; the story's first job carries its mark ``demo:<story>``."""
        key = _key(story) if first else None
        job, _ = create_job(self.workspace, workflow, key=key, tags=["demo"], **fields)
        return job

    def run(self, job):
        """Run the job to its end, sleeping through its (short) retry back-offs."""
        return engine.run_in_process(job)

    def run_until_waiting(self, job):
        """Run the job until it ends or parks on a wait it would sleep through."""

        def leave(seconds):
            raise _Waiting

        try:
            return engine.run_in_process(job, sleep=leave)
        except _Waiting:
            return job

    def run_queued(self):
        """Run every job of the workspace still queued (the ones triggers started)."""
        queued = Job.objects.in_workspace(self.workspace).filter(status=Status.QUEUED)
        for job in queued.order_by("created_at", "id"):
            self.run(job)


class _Waiting(Exception):
    pass


def _key(story):
    return f"demo:{story.__name__}"


def _tax_id(doc, party):
    country, code = party_tax_id(doc, "bill/invoice", party)
    if not code:
        return "missing"
    module = validator(country)
    if module is None:
        return "unsupported"
    return "valid" if module.is_valid(code) else "invalid"


# --- Stories ---------------------------------------------------------------------------
# Each one runs its jobs; its first job is created with ``first=True`` (the mark).


def issued_and_sent(cast):
    """Three invoices run from their pages: OK, each one ends sent."""
    workflow = cast.workflow("issue-and-send")
    for number, entry in enumerate(cast.invoices(3, supplier="valid", customer="valid")):
        cast.run(
            cast.job(issued_and_sent, workflow, first=number == 0, entry=entry, trigger="console")
        )


def tax_ids_checked(cast):
    """Valid IDs (OK); a simplified invoice whose missing customer ID an exception
    accepts (OK); an invalid supplier ID that runs the error flow (KO, entry in error)."""
    workflow = cast.workflow("check-tax-ids")
    valid = cast.invoices(1, supplier="valid", customer="valid")
    simplified = cast.invoices(1, supplier="valid", customer="missing")
    invalid = cast.invoices(1, supplier="invalid", customer="valid")
    for number, entry in enumerate([*valid, *simplified, *invalid]):
        cast.run(
            cast.job(tax_ids_checked, workflow, first=number == 0, entry=entry, trigger="console")
        )


def retries_rehearsed(cast):
    """Started through the API: a step retried twice, a refusal handled by an
    exception, and a failure that runs the error flow (KO)."""
    workflow = cast.workflow("rehearse-errors")
    cast.run(
        cast.job(retries_rehearsed, workflow, first=True, args={"order": "PO-1001"}, trigger="api")
    )


def party_waiting(cast):
    """A party in its cooling-off minute: the job waits, freeing its worker (it ends
    a minute after the workers start)."""
    workflow = cast.workflow("register-party")
    (party,) = cast.parties(1)
    cast.run_until_waiting(
        cast.job(party_waiting, workflow, first=True, entry=party, trigger="console")
    )


def cancelled_while_waiting(cast):
    """Started from the command line, cancelled by an operator while it waited."""
    workflow = cast.workflow("register-party")
    (party,) = cast.parties(1)
    job = cast.run_until_waiting(
        cast.job(cancelled_while_waiting, workflow, first=True, entry=party, trigger="command line")
    )
    engine.cancel(job)


def registered_then_sent(cast):
    """An automatic run: when an invoice enters "registered", it is issued and sent.
    The trigger stays on, so the operator sees it fire again."""
    sending = cast.workflow("issue-and-send")
    Trigger.objects.get_or_create(
        workspace=cast.workspace,
        workflow=sending,
        kind=Trigger.Kind.STATE,
        state="registered",
    )
    checking = cast.workflow("check-tax-ids")
    (entry,) = cast.invoices(1, supplier="valid", customer="valid")
    cast.run(cast.job(registered_then_sent, checking, first=True, entry=entry, trigger="console"))
    cast.run_queued()


def bulk_checked(cast):
    """A bulk run of the tax ID check over one supplier's draft invoices, as started
    from the silo list searched by that supplier's name (the trigger then sends them)."""
    workflow = cast.workflow("check-tax-ids")
    query = _supplier_of_a_few(cast.workspace, workflow)
    first = Entry.objects.in_workspace(cast.workspace).filter(key=query[1]).get()
    cast.run(cast.job(bulk_checked, workflow, first=True, entry=first, trigger="console"))
    batch = bulk.start(cast.workspace, workflow, query[0], trigger="bulk run by demo")
    for job in Job.objects.filter(batch=batch).order_by("created_at", "id"):
        cast.used.add(job.entry_id)
        cast.run(job)
    cast.run_queued()


def _supplier_of_a_few(workspace, workflow, most=6):
    """A silo filter (a supplier's name, drafts) matching 3 to ``most`` invoices, and the
    key of one of them to run first."""
    drafts = Entry.objects.in_workspace(workspace).filter(schema="bill/invoice", state="draft")
    names = sorted(set(drafts.exclude(supplier_name="").values_list("supplier_name", flat=True)))
    for name in names:
        filters = {"q": name.lower(), "state": "draft"}
        matching = list(bulk.matching_entries(workspace, workflow, filters).order_by("key"))
        if 3 <= len(matching) <= most:
            return filters, matching[0].key
    raise LookupError("no supplier with a few draft invoices for the demo's bulk run")


STORIES = [
    issued_and_sent,
    tax_ids_checked,
    retries_rehearsed,
    party_waiting,
    cancelled_while_waiting,
    registered_then_sent,
    bulk_checked,
]
