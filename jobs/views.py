"""History and the job page: watching, cancelling and rerunning jobs.

Every query starts from ``scoped(request, ...)``, so another workspace's job ids are a
404 on every URL here. A job's timeline refreshes itself (``hx-get``) when the job
changes (pushed over the page's WebSocket, see ``jobs.live``) and History's rows
and first page refresh themselves the same way.
"""

import uuid
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from console.workspaces import get_scoped_or_404, scoped, workspace_required
from jobs import engine, live, reruns, selectors
from jobs.models import Job, Status
from jobs.services import JobError
from silo.models import Entry
from workflows.models import Workflow

RERUN_CHOICES = ("pinned", "latest")


class HistoryFilterForm(forms.Form):
    """History's filters; an invalid value is ignored, not an error."""

    q = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "aria-label": "Search documents",
                "placeholder": "Invoice code, party or tax ID",
                "autocomplete": "off",
            }
        ),
    )
    status = forms.ChoiceField(
        required=False,
        choices=[("", "All statuses"), *Status.choices],
        widget=forms.Select(attrs={"aria-label": "Status"}),
    )
    workflow = forms.ModelChoiceField(
        required=False,
        queryset=Workflow.objects.none(),
        empty_label="All workflows",
        widget=forms.Select(attrs={"aria-label": "Workflow"}),
    )
    entry = forms.UUIDField(
        required=False,
        widget=forms.TextInput(
            attrs={"aria-label": "Entry id", "placeholder": "Entry id", "autocomplete": "off"}
        ),
    )
    since = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date", "aria-label": "From"})
    )
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date", "aria-label": "To"})
    )
    cursor = forms.CharField(required=False, max_length=200)

    FILTERS = ("q", "status", "workflow", "entry", "since", "until")

    def __init__(self, data, *, workflows):
        super().__init__(data)
        self.fields["workflow"].queryset = workflows.order_by("name")

    def filters(self):
        self.is_valid()
        return {name: self.cleaned_data.get(name) for name in self.FILTERS}

    def query(self):
        """The valid filters as they appear in a URL."""
        return {name: self.data[name] for name, value in self.filters().items() if value}

    def cursor_value(self):
        self.is_valid()
        return self.cleaned_data.get("cursor") or ""


@require_GET
@workspace_required
def history(request):
    # Where the feed is, read before the data: a change committed in between is then
    # replayed to the page, not lost (a harmless repeat at worst). The same below.
    since = live.last_change_id(request.workspace.pk)
    form = HistoryFilterForm(request.GET, workflows=scoped(request, Workflow))
    page = selectors.newest_first(
        selectors.filter_history(
            scoped(request, Job), entries=scoped(request, Entry), **form.filters()
        ),
        cursor=form.cursor_value(),
    )
    query, paged = form.query(), bool(form.cursor_value())
    context = {
        "filter_form": form,
        "page": page,
        "filtered": bool(query),
        "paged": paged,
        "live_url": None if paged else _history_url(query),
        "live_rows_url": None if paged else _history_url(query, view="jobs:history_rows"),
        "newest_url": _history_url(query),
        "next_url": _history_url(query, cursor=page.next_cursor) if page.next_cursor else None,
        "live_since": since,
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "jobs/_history.html", context)
    return render(request, "jobs/history.html", context)


def _history_url(query, view="jobs:history", **more):
    params = urlencode({**query, **more})
    return f"{reverse(view)}?{params}" if params else reverse(view)


@require_GET
@workspace_required
def history_rows(request):
    """The rows of jobs History was just told of (``?jobs=<id>,...``), those matching
    its filters, newest first: live.js puts them on top of the first page. One or two
    rows to render instead of the whole page, so a new job shows at once."""
    form = HistoryFilterForm(request.GET, workflows=scoped(request, Workflow))
    ids = _job_ids(request.GET.get("jobs", ""))
    jobs = selectors.filter_history(
        scoped(request, Job), entries=scoped(request, Entry), **form.filters()
    ).filter(pk__in=ids)
    page = selectors.newest_first(jobs, size=len(ids) or 1)
    return render(request, "jobs/_history_rows.html", {"page": page})


def _job_ids(text, most=selectors.PAGE_SIZE):
    ids = []
    for part in text.split(",")[:most]:
        try:
            ids.append(uuid.UUID(part.strip()))
        except ValueError:
            continue
    return ids


@require_GET
@workspace_required
def detail(request, job_id):
    since = live.last_change_id(request.workspace.pk)  # before the job: see history()
    job = _job(request, job_id)
    context = _job_context(job, live_since=since)
    return render(request, "jobs/detail.html", context)


@require_GET
@workspace_required
def timeline(request, job_id):
    """The live part of the job page, which polls this while the job is active."""
    job = get_scoped_or_404(request, Job, pk=job_id)
    return render(request, "jobs/_timeline.html", _job_context(job))


@require_GET
@workspace_required
def row(request, job_id):
    """One History row, which refreshes itself when its job changes."""
    page = selectors.newest_first(scoped(request, Job).filter(pk=job_id), size=1)
    if not page.rows:
        raise Http404("No such job.")
    return render(request, "jobs/_history_row.html", {"row": page.rows[0]})


@require_POST
@workspace_required
def cancel(request, job_id):
    job = get_scoped_or_404(request, Job, pk=job_id)
    if engine.cancel(job):
        messages.success(request, "The job is cancelled: no further step will start.")
    else:
        messages.info(request, "The job had already ended; there was nothing to cancel.")
    return redirect("jobs:detail", job_id=job.pk)


@require_POST
@workspace_required
def rerun(request, job_id):
    """Run the job again from the start (or its failed step), on its pinned version or
    the latest one."""
    job = _job(request, job_id)
    choice = request.POST.get("version")
    if choice not in RERUN_CHOICES:
        messages.error(request, "Choose to rerun on the pinned version or the latest one.")
        return redirect("jobs:detail", job_id=job.pk)
    version = job.version if choice == "pinned" else job.workflow.current()
    from_failed_step = request.POST.get("start") == "failed"
    try:
        rerun_job = reruns.rerun(
            job, version, actor=request.user, from_failed_step=from_failed_step
        )
    except JobError as error:
        messages.error(request, f"The job cannot be rerun: {error}")
        return redirect("jobs:detail", job_id=job.pk)
    step = f" from step {reruns.failed_step(job)}" if from_failed_step else ""
    messages.success(request, f"Rerunning {short_id(job)}{step} on version {version.number}.")
    return redirect("jobs:detail", job_id=rerun_job.pk)


def short_id(job):
    return str(job.pk)[:8]


def _job(request, job_id):
    jobs = scoped(request, Job).select_related("workflow", "version", "entry", "created_by")
    return get_object_or_404(jobs, pk=job_id)


def _job_context(job, **extra):
    return {
        **extra,
        "job": job,
        "short_id": short_id(job),
        "steps": selectors.timeline(job),
        "failed_step": reruns.failed_step(job),
        "duration": selectors.job_duration(job),
    }
