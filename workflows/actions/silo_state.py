from silo.models import Entry, State
from silo.services import EntryConflict, update_entry
from workflows.actions.base import Action, ActionConfig, Outcome
from workflows.actions.registry import register


class StateConfig(ActionConfig):
    state: State


@register
class SetState(Action):
    id = "silo.state"
    name = "Set state"
    group = "Documents"
    description = "Sets the entry's state (draft, processing, registered, sent, ...)."
    Config = StateConfig
    codes = ("no_entry",)
    needs_entry = True

    def run(self, context):
        entry = context.entry
        if entry is None:
            return Outcome.ko("no_entry", "This job has no entry to set the state of.")
        state = context.config.state.value
        for _ in range(5):  # a blind set: on a concurrent edit, re-read and set again
            try:
                update_entry(entry, state=state, job_id=context.job.id)
                return Outcome.ok(message=f"State set to {state}", state=state)
            except EntryConflict:
                entry = Entry.objects.get(pk=entry.pk)
                context.use_entry(entry)
        return Outcome.ko("conflict", "The entry kept changing; the state was not set.")
