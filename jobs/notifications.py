"""Failed jobs as notifications: each member sees the workspace's KO jobs that ended
since they last marked them seen, counted in the bell of the top bar.

Reads walk the partial ``job_ko`` index (workspace, completed_at) of KO jobs, and the
count stops at ``COUNT_LIMIT`` ("99+"), so the bell costs two small queries per page
however many jobs failed.
"""

from django.utils import timezone

from jobs.models import Job, NotificationsSeen, Status

COUNT_LIMIT = 100
SHOWN = 50


def seen_at(workspace, user):
    mark = NotificationsSeen.objects.filter(workspace=workspace, user=user).first()
    return mark.seen_at if mark else None


def _failures(workspace, since):
    jobs = Job.objects.in_workspace(workspace).filter(status=Status.KO)
    if since is not None:
        jobs = jobs.filter(completed_at__gt=since)
    return jobs


def unread_count(workspace, user):
    """How many KO jobs the member has not seen, up to ``COUNT_LIMIT``."""
    since = seen_at(workspace, user)
    return len(_failures(workspace, since).order_by().values_list("pk", flat=True)[:COUNT_LIMIT])


def count_label(count):
    return f"{COUNT_LIMIT - 1}+" if count >= COUNT_LIMIT else str(count)


def recent_failures(workspace, user, size=SHOWN):
    """The newest KO jobs, each marked ``unread`` or not for this member."""
    since = seen_at(workspace, user)
    jobs = list(
        _failures(workspace, None)
        .select_related("workflow", "entry")
        .defer("entry__doc", "entry__meta", "entry__search_text", "position")
        .order_by("-completed_at")[:size]
    )
    for job in jobs:
        job.unread = since is None or (job.completed_at and job.completed_at > since)
    return jobs


def mark_seen(workspace, user, until=None):
    """Everything that failed up to ``until`` (default now) counts as seen."""
    NotificationsSeen.objects.update_or_create(
        workspace=workspace, user=user, defaults={"seen_at": until or timezone.now()}
    )
