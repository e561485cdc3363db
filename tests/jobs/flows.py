"""Compact workflow builders for engine tests: ``ok("a")``, ``ko("b", code="x")``."""

from datetime import timedelta

from django.db.models import F

from jobs import engine
from jobs.models import Intent, Job, Status
from jobs.services import create_job
from workflows.services import create_workflow


def sim(step_id, status, code="", transient=0, next=(), retry=None, message=""):
    step = {
        "id": step_id,
        "provider": "simulate.outcome",
        "config": {
            "status": status,
            "code": code,
            "transient_failures": transient,
            "message": message,
        },
        "next": list(next),
    }
    if retry:
        step["retry"] = retry
    return step


def ok(step_id, **kw):
    return sim(step_id, "OK", **kw)


def ko(step_id, **kw):
    return sim(step_id, "KO", **kw)


def block(status, *steps, code=None, stop=False):
    data = {"status": status, "stop": stop, "steps": list(steps)}
    if code is not None:
        data["code"] = code
    return data


def run_flow(workspace, steps, rescue=(), *, args=None, entry=None, schema="bill/invoice"):
    workflow, _ = create_workflow(
        workspace, {"name": "t", "schema": schema, "steps": list(steps), "rescue": list(rescue)}
    )
    job, _ = create_job(workspace, workflow, entry=entry, args=args or {"k": "v"})
    return finish(job)


def finish(job):
    """Run the job to its end; its waits pass at once, as if the time had gone by."""

    def time_passes(seconds):
        Intent.objects.filter(job=job, status=Status.WAIT).update(
            started_at=F("started_at") - timedelta(seconds=seconds)
        )

    engine.run_in_process(job, sleep=time_passes)
    return Job.objects.get(pk=job.pk)


def executed(job):
    return [i.step_id for i in job.intents.order_by("seq")]
