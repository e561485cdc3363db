"""Reading workflows: the list, each workflow with its last run, in one query; and the
workflow a new job runs, through the shared cache.

The last run's time, status and id come from correlated subqueries on the job table's
``(workflow, -created_at, -id)`` index, so the list costs one query however many
workflows and jobs there are (no query per row).
"""

import logging

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.db.models.signals import post_delete
from django.dispatch import receiver

from console import cache as shared_cache
from jobs.models import Job
from workflows.models import Workflow

logger = logging.getLogger(__name__)
CACHED_S = 300


def with_last_run(workflows, *, archived=False):
    """Live (or, asked, archived) workflows by name, annotated with ``last_run_at``,
    ``last_run_status`` and ``last_run_id`` (None when never run)."""
    last = Job.objects.filter(workflow=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        workflows.filter(archived=archived)
        .defer("description")
        .annotate(
            last_run_at=Subquery(last.values("created_at")[:1]),
            last_run_status=Subquery(last.values("status")[:1]),
            last_run_id=Subquery(last.values("id")[:1]),
        )
        .order_by("name", "id")
    )


def for_new_job(workspace, workflow_id):
    """The workspace's workflow ``workflow_id`` as a job created now reads it (its
    current version, archived or not), or None.

    With Redis (``console.cache.is_shared``) it is read through the shared cache: the
    API reads it for every job it creates, and the query was a sixth of a request's
    CPU. Each change to a workflow moves its generation on, at once and again when the
    change commits (``changed``); a copy is used only while its generation is the
    current one, so a copy read just before a save never passes for the saved workflow,
    and a job created once a save has answered runs the saved version (SPEC S10).
    """
    keys = _keys(workflow_id)
    cached = shared_cache.get(*keys)
    generation = cached.get(keys[1], 0)
    copy = cached.get(keys[0])
    if copy is not None and copy[0] == generation and copy[1].workspace_id == workspace.pk:
        return copy[1]
    workflow = Workflow.objects.in_workspace(workspace).filter(pk=workflow_id).first()
    if workflow is not None:
        shared_cache.put(keys[0], (generation, workflow), CACHED_S)
    return workflow


def changed(workflow_id):
    """Every process's copy of the workflow is stale: now (a reader inside this
    transaction sees the change) and again once it commits (a copy another process
    read meanwhile, before the commit, carries the generation of now)."""
    if shared_cache.is_shared():
        _next_generation(workflow_id)
        transaction.on_commit(lambda: _next_generation(workflow_id))


def _keys(workflow_id):
    return (f"workflow:{workflow_id}", f"workflow:{workflow_id}:generation")


def _next_generation(workflow_id):
    try:
        shared_cache.count(_keys(workflow_id)[1], CACHED_S * 10)
    except Exception:  # the copies expire within CACHED_S
        logger.warning("could not mark workflow %s changed in the cache", workflow_id)


@receiver(post_delete, sender=Workflow)
def _deleted(sender, instance, **kwargs):
    changed(instance.pk)
