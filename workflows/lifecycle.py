"""Changing workflows as wholes, from the list: duplicate, and delete or archive.

A workflow that has run keeps its jobs' history, so it is archived (hidden from the
list and from run pickers, refused for new jobs) rather than destroyed.
"""

from django.db import transaction
from django.db.models import ProtectedError

from workflows import services
from workflows.models import Workflow

COPY_PREFIX = "Copy of "


def duplicate(workflow, *, actor=None, secrets=None):
    """A new workflow (version 1) with the current version's definition; returns it."""
    data = services.export(workflow)
    data["name"] = (COPY_PREFIX + data["name"])[:200]
    copy, _ = services.create_workflow(workflow.workspace, data, actor=actor, secrets=secrets)
    return copy


def remove(workflow):
    """Delete the workflow, or archive it if any job ran it. Returns "deleted" or "archived"."""
    with transaction.atomic():
        locked = Workflow.objects.select_for_update().get(pk=workflow.pk)
        if not locked.jobs.exists():
            try:
                with transaction.atomic():
                    locked.delete()
                return "deleted"
            except ProtectedError:  # a job was created since we looked
                pass
        Workflow.objects.filter(pk=workflow.pk).update(archived=True)
    workflow.archived = True
    return "archived"


def unarchive(workflow):
    Workflow.objects.filter(pk=workflow.pk).update(archived=False)
    workflow.archived = False
