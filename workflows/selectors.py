"""Reading the workflows list: each workflow with its last run, in one query.

The last run's time, status and id come from correlated subqueries on the job table's
``(workflow, -created_at, -id)`` index, so the list costs one query however many
workflows and jobs there are (no query per row).
"""

from django.db.models import OuterRef, Subquery

from jobs.models import Job


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
