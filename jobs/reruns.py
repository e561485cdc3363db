"""Rerunning a job: from the start, or from the step that failed, on the job's pinned
version or the workflow's latest one. A rerun is a new job; the old one is unchanged."""

from django.db import transaction

from jobs import position
from jobs.models import Job, Status
from jobs.services import JobError, create_job
from workflows import definition


def failed_step(job):
    """The id of the step whose unhandled KO ended the job (its first fault), or None."""
    if job.status != Status.KO:
        return None
    return next((fault["step_id"] for fault in job.faults if fault.get("step_id")), None)


def rerun(job, version, *, actor=None, from_failed_step=False):
    """Queue the rerun; raises JobError when it cannot start (say, the failed step is
    not in the chosen version)."""
    start = None
    label = f"rerun of {str(job.pk)[:8]} on version {version.number}"
    if from_failed_step:
        step_id = failed_step(job)
        if step_id is None:
            raise JobError("Only a failed job can be rerun from its failed step.")
        workflow = definition.Workflow.model_validate(version.definition)
        try:
            # Where the engine would be when about to run that step.
            start = position.locate(workflow, step_id)
        except ValueError:
            raise JobError(f"Version {version.number} has no step {step_id!r}.") from None
        label = f"rerun of {str(job.pk)[:8]} from step {step_id} on version {version.number}"
    with transaction.atomic():  # the workers see the job only with its position set
        rerun_job, _ = create_job(
            job.workspace,
            job.workflow,
            entry=job.entry,
            args=job.args,
            tags=job.tags,
            trigger=label[:200],
            actor=actor,
            version=version,
        )
        if start is not None:
            Job.objects.filter(pk=rerun_job.pk).update(position=start)
            rerun_job.position = start
    return rerun_job
