"""A job as JSON, in the shape of SPEC section 5 (API, command line, live updates)."""

from django.db.models import prefetch_related_objects


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def prefetch(jobs):
    """What job_json reads beyond the job, for many jobs in three queries (a list)."""
    prefetch_related_objects(list(jobs), "version", "intents__events")


def job_json(job, *, new=False):
    """``new``: the job was created just now in this thread, so it has no intents and
    its version is at hand: nothing to read."""
    if new:
        intents = []
    else:
        if "intents" not in getattr(job, "_prefetched_objects_cache", {}):
            prefetch([job])
        intents = job.intents.all()  # in seq order (Intent.Meta), as prefetched
    return {
        "id": str(job.id),
        "workflow_id": str(job.workflow_id),
        "workflow_version": job.version.number,
        "silo_entry_id": str(job.entry_id) if job.entry_id else None,
        "key": job.key,
        "args": job.args,
        "tags": job.tags,
        "status": job.status,
        "trigger": job.trigger,
        "created_at": _iso(job.created_at),
        "completed_at": _iso(job.completed_at),
        "intents": [
            {
                "step_id": intent.step_id,
                "name": intent.name,
                "provider": intent.provider,
                "status": intent.status,
                "next_attempt_at": _iso(intent.next_attempt_at),
                "events": [
                    {
                        "index": e.index,
                        "status": e.status,
                        "code": e.code,
                        "message": e.message,
                        "at": _iso(e.at),
                    }
                    for e in intent.events.all()
                ],
            }
            for intent in intents
        ],
        "faults": [
            {
                "provider": f["provider"],
                "code": f["code"],
                "message": f["message"],
                "step_id": f.get("step_id", ""),
            }
            for f in job.faults
        ],
    }
