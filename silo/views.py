"""The silo's screens: the entries list with upload, and the entry page with its tabs.

Every query starts from ``scoped(request, ...)`` or ``get_scoped_or_404(...)``, so an
id from another workspace is a 404 on every URL here.
"""

import json
import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from console.workspaces import Role, get_scoped_or_404, scoped, workspace_required
from jobs import live
from jobs import selectors as job_selectors
from jobs.models import Job
from jobs.services import JobError, create_job
from silo import rendering, revisions, selectors, services
from silo.forms import EntryEditForm, EntryFilterForm, UploadForm
from silo.models import Activity, Attachment, Entry
from workflows.agencies import selectors as agency_selectors
from workflows.models import Workflow

TABS = (
    ("document", "Document"),
    ("json", "JSON"),
    ("attachments", "Attachments"),
    ("activity", "Activity"),
    ("revisions", "Revisions"),
)

# Only these are shown inside the page; anything else is always a download, so an
# uploaded HTML or SVG file can never run in the console's origin.
INLINE_MIME_TYPES = {"application/pdf"}

ACTIVITY_SHOWN = 200


@require_GET
@workspace_required
def entry_list(request):
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "silo/_table.html", _list_context(request))
    return render(request, "silo/list.html", _list_context(request, upload_form=UploadForm()))


@require_POST
@workspace_required
def upload(request):
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        context = _list_context(request, upload_form=form)
        return render(request, "silo/list.html", context, status=form.error_status)
    try:
        entry, created = services.create_entry(
            request.workspace,
            form.cleaned_data["doc"],
            key=form.cleaned_data["key"] or None,
            actor=request.user,
            source="upload",
        )
    except services.KeyConflict as conflict:
        form.add_error("key", str(conflict))
        context = _list_context(request, upload_form=form)
        return render(request, "silo/list.html", context, status=409)
    if created:
        messages.success(request, f"Uploaded {entry.title} ({entry.schema}).")
    else:
        messages.info(
            request,
            f"An entry with the key {entry.key!r} already existed; nothing new was stored.",
        )
    return redirect("silo:entry", entry_id=entry.pk)


def _list_context(request, **extra):
    filter_form = EntryFilterForm(request.GET)
    filters = filter_form.filters()
    entries = selectors.search_entries(
        scoped(request, Entry), query=filters["q"], schema=filters["schema"], state=filters["state"]
    )
    page = selectors.newest_first(entries, cursor=filter_form.cursor_value())
    return {
        "filter_form": filter_form,
        "filtered": any(filters.values()),
        "paged": bool(filter_form.cursor_value()),
        "page": page,
        "newest_url": _list_url(filters),
        "next_url": _list_url(filters, cursor=page.next_cursor) if page.next_cursor else None,
        **extra,
    }


def _list_url(filters, **more):
    query = urlencode({name: value for name, value in {**filters, **more}.items() if value})
    return f"{reverse('silo:list')}?{query}" if query else reverse("silo:list")


@require_GET
@workspace_required
def entry_detail(request, entry_id):
    since = live.last_change_id(request.workspace.pk)  # before the data it covers
    entry = get_scoped_or_404(request, Entry, pk=entry_id)
    return _render_entry(request, entry, EntryEditForm.for_entry(entry), live_since=since)


@require_POST
@workspace_required
def entry_edit(request, entry_id):
    since = live.last_change_id(request.workspace.pk)  # before the data it covers
    entry = get_scoped_or_404(request, Entry, pk=entry_id)
    form = EntryEditForm(request.POST)
    if not form.is_valid():
        return _render_entry(request, entry, form, live_since=since, status=400)
    changes = form.changes(entry)
    if not changes:
        messages.info(request, "Nothing changed.")
        return redirect("silo:entry", entry_id=entry.pk)
    try:
        services.update_entry(
            entry,
            expected_version=form.cleaned_data["version"],
            actor=request.user,
            **changes,
        )
    except services.EntryConflict as conflict:
        # Show the entry as it is now, so the user redoes the change knowingly.
        fresh = conflict.entry
        return _render_entry(
            request,
            fresh,
            EntryEditForm.for_entry(fresh),
            live_since=since,
            conflict=str(conflict),
            status=409,
        )
    messages.success(request, "Saved.")
    return redirect("silo:entry", entry_id=entry.pk)


def _render_entry(request, entry, edit_form, *, live_since, conflict=None, status=200):
    """The entry page; ``live_since`` is the feed's mark, read before the entry."""
    tab = request.GET.get("tab", "document")
    if tab not in dict(TABS):
        tab = "document"
    context = {
        "entry": entry,
        "tab": tab,
        "tabs": TABS,
        "edit_form": edit_form,
        "conflict": conflict,
        "live_since": live_since,
        "registrations": agency_selectors.entry_registrations(entry),
    }
    if tab == "document":
        context["view"] = rendering.document_view(entry)
    elif tab == "json":
        context["pretty_json"] = json.dumps(entry.doc, indent=2, ensure_ascii=False)
    elif tab == "attachments":
        attachments = list(scoped(request, Attachment).filter(entry=entry))
        pdfs = [a for a in attachments if a.is_pdf]
        wanted = request.GET.get("preview")
        context["attachments"] = attachments
        context["preview"] = next(
            (a for a in pdfs if str(a.pk) == wanted), pdfs[0] if pdfs else None
        )
    elif tab == "activity":
        activity = scoped(request, Activity).filter(entry=entry).select_related("actor")
        context["activity"] = activity[:ACTIVITY_SHOWN]
        context["entry_jobs"] = job_selectors.entry_jobs(scoped(request, Job), entry)
    elif tab == "revisions":
        context.update(revisions.tab_context(request, entry))
    return render(request, "silo/entry.html", context, status=status)


@require_GET
@workspace_required(role=Role.EDITOR)
def run_panel(request, entry_id):
    """The Run Workflow panel: search and pick a workflow of the entry's schema."""
    entry = get_scoped_or_404(request, Entry, pk=entry_id)
    return _render_run_panel(request, entry)


@require_POST
@workspace_required
def run_workflow(request, entry_id):
    """Start the picked workflow on the entry; the panel then links to the new job.

    The panel is an htmx fragment, so a refusal is shown in it with a 200 (htmx does
    not swap error responses in).
    """
    entry = get_scoped_or_404(request, Entry, pk=entry_id)
    workflow = _picked_workflow(request)
    if workflow is None:
        return _render_run_panel(request, entry, error="Pick a workflow to run.")
    try:
        job, _ = create_job(
            request.workspace, workflow, entry=entry, trigger="console", actor=request.user
        )
    except JobError as error:
        return _render_run_panel(request, entry, error=str(error))
    return _render_run_panel(request, entry, job=job)


def _picked_workflow(request):
    try:
        workflow_id = uuid.UUID(request.POST.get("workflow", ""))
    except ValueError:
        return None
    return scoped(request, Workflow).filter(pk=workflow_id).first()


def _render_run_panel(request, entry, **extra):
    query = request.GET.get("q", "")[:200]
    workflows = job_selectors.runnable_workflows(scoped(request, Workflow), entry, query)
    context = {"entry": entry, "workflows": workflows, "query": query, **extra}
    return render(request, "silo/_run_panel.html", context)


@require_GET
@workspace_required
def attachment_download(request, entry_id, attachment_id):
    attachment = get_scoped_or_404(request, Attachment, pk=attachment_id, entry_id=entry_id)
    inline = request.GET.get("inline") == "1" and attachment.mime in INLINE_MIME_TYPES
    try:
        content = attachment.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404("The attachment's file is missing from storage.") from missing
    return FileResponse(
        content,
        as_attachment=not inline,
        filename=attachment.name,
        content_type=attachment.mime,
    )
