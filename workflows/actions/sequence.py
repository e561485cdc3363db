from pydantic import Field

from silo.models import Entry
from silo.sequences import assign_code
from silo.services import EntryConflict
from workflows.actions.base import Action, ActionConfig, Outcome
from workflows.actions.registry import register


class SequenceConfig(ActionConfig):
    series: str = Field(
        "invoices",
        min_length=1,
        max_length=100,
        description="Name of the workspace's numbered series; each name counts on its own",
    )
    prefix: str = Field(
        "",
        max_length=50,
        description='Text before the number; {year} is the current year: "INV-{year}-"',
    )
    padding: int = Field(4, ge=1, le=12, description="Digits, zero-padded: 4 gives 0042")
    yearly_reset: bool = Field(False, description="Start again at 1 every 1 January")


@register
class AssignSequence(Action):
    id = "sequence.assign"
    name = "Assign number"
    group = "Documents"
    description = (
        "Gives the document its code from a numbered series of the workspace: no gaps, no "
        "duplicates, even with many jobs at once. A document that has a code keeps it."
    )
    schemas = ("bill/invoice", "bill/payment", "bill/order", "bill/delivery")
    Config = SequenceConfig
    codes = ("assigned", "kept", "no_entry", "conflict")
    needs_entry = True

    def run(self, context):
        entry = context.entry
        if entry is None:
            return Outcome.ko("no_entry", "This job has no entry to number.")
        config = context.config
        for _ in range(5):
            try:
                code, assigned = assign_code(
                    entry,
                    config.series,
                    prefix=config.prefix,
                    padding=config.padding,
                    yearly_reset=config.yearly_reset,
                    job_id=context.job.id,
                )
            except EntryConflict:  # the number went back with the failed write
                entry = Entry.objects.get(pk=entry.pk)
                context.use_entry(entry)
                continue
            if not assigned:
                return Outcome.ok("kept", f"The document already has the code {code}")
            return Outcome.ok("assigned", f"Code {code} from {config.series}", document_code=code)
        return Outcome.ko("conflict", "The entry kept changing; no number was assigned.")
