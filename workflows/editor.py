"""The canvas editor: one page, and htmx endpoints that each apply one edit to the draft.

Every edit view reads the user's draft (``workflows.drafts``), applies one operation
of ``workflows.editing`` to it, stores the result as one undoable edit and answers with
the canvas, plus the toolbar and sometimes the sidebar swapped out of band. A form
names the step it acts on by address and by id, so a canvas that went stale (another
tab, an undo elsewhere) gets a refreshed canvas and a notice instead of a wrong edit.
Every lookup goes through ``get_scoped_or_404``: another workspace's workflow is a 404.
"""

from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console.workspaces import Role, get_scoped_or_404, workspace_required
from workflows import canvas, config_form, drafts, editing, paste, tree
from workflows.actions import registry
from workflows.definition import GOTO, DefinitionError
from workflows.editing import EditError
from workflows.models import Workflow
from workflows.services import VersionConflict
from workflows.tree import Address, AddressError


def _context(request, workflow, data, draft, **extra):
    by_step, general = editing.issues(data)
    names = canvas.step_names(data)
    can_undo = bool(draft and draft.undo_depth)
    can_redo = bool(draft and draft.redo_depth)
    rescue = data.get("rescue") or []
    return {
        "workflow": workflow,
        "urls": _urls(workflow),
        "data": data,
        **canvas.step_cards(data, by_step, names),
        "rescue_on": bool(rescue) or extra.pop("rescue_open", False),
        "general_issues": general,
        "invalid_count": sum(len(v) for v in by_step.values()) + len(general),
        "legacy_jumps": editing.legacy_jumps(data),
        "has_draft": draft is not None,
        "stale_base": draft is not None and draft.base_version != workflow.current_version,
        "can_undo": can_undo,
        "can_redo": can_redo,
        **extra,
    }


def _urls(workflow):
    """The URLs every card uses, reversed once per response rather than once per card."""
    kwargs = {"workflow_id": workflow.pk}
    urls = {
        name: reverse(f"workflows:edit_{name}", kwargs=kwargs)
        for name in ("catalogue", "step", "block", "block_remove")
    }
    for operation in STEP_OPERATIONS:
        urls[operation] = reverse("workflows:edit_do", kwargs={**kwargs, "operation": operation})
    return urls


# --- Shared plumbing ------------------------------------------------------------------


def _workflow(request, workflow_id):
    return get_scoped_or_404(request, Workflow, pk=workflow_id)


def _state(workflow, user):
    draft = drafts.get(workflow, user)
    data = draft.data if draft is not None else drafts.current_definition(workflow)
    return draft, data


def _update(request, workflow, data, draft, *, sidebar=None, **extra):
    """The canvas, with the toolbar (and the sidebar, if given) swapped out of band."""
    context = _context(request, workflow, data, draft, sidebar=sidebar, **extra)
    if sidebar is not None:
        context.update(sidebar)
    return render(request, "workflows/_canvas_update.html", context)


def _apply(request, workflow, change, *, sidebar=None, **extra):
    """Apply ``change(data) -> data`` to the draft as one edit and answer with the canvas."""
    draft, data = _state(workflow, request.user)
    try:
        _check_step(data, request.POST)
        changed = change(data)
    except (EditError, AddressError) as error:
        return _update(request, workflow, data, draft, alert=_alert(error))
    stored = drafts.store(workflow, request.user, changed)
    if callable(sidebar):
        sidebar = sidebar(changed)
    return _update(request, workflow, changed, stored, sidebar=sidebar, **extra)


def _check_step(data, params):
    """The step named by ``address`` must still be the one with ``step_id``."""
    if "step_id" not in params:
        return
    address = Address.parse(params.get("address"))
    if address.is_block:
        address = address[:-2]
    if tree.step_at(data, address).get("id") != params["step_id"]:
        raise EditError("The workflow changed since this page was drawn; here it is again.")


def _address(params, name="address"):
    try:
        return Address.parse(params.get(name))
    except AddressError:
        return None


def _alert(error):
    if isinstance(error, AddressError):
        return f"{error}: reload the editor"
    return str(error)


def _catalogue(workflow, data, *, list_address="", index=0, replace=None):
    actions = [a for a in registry.all_actions() if a.supports(workflow.schema) and a.id != GOTO]
    groups = {}
    for action in actions:
        groups.setdefault(action.group, []).append(action)
    replacing = None
    if replace is not None:
        replacing = tree.step_at(data, replace)
    return {
        "sidebar_template": "workflows/_catalogue_sidebar.html",
        "groups": [(g, canvas.icon(g), items) for g, items in groups.items()],
        "list_address": list_address,
        "index": index,
        "replace_address": str(replace) if replace else "",
        "replacing": replacing,
    }


def _config_sidebar(data, address, **extra):
    step = tree.step_at(data, address)
    action = registry.get(step.get("provider", ""))
    by_step, _ = editing.issues(data)
    issues = by_step.get(address, [])
    form_fields = config_form.fields(action, step.get("config") or {}, issues) if action else []
    return {
        "sidebar_template": "workflows/_config_form.html",
        "selected": str(address),
        "form_step": step,
        "form_action": action,
        "form_fields": form_fields,
        "config_errors": config_form.config_errors(issues, form_fields),
        "step_issues": [i for i in issues if not i.path.startswith(("config", "retry"))],
        "retry_issues": [i for i in issues if i.path.startswith("retry")],
        "form_has_errors": bool(issues),
        **extra,
    }


def _details_sidebar():
    return {"sidebar_template": "workflows/_canvas_details.html"}


# --- The page -------------------------------------------------------------------------


@require_GET
@workspace_required
def edit(request, workflow_id):
    workflow = _workflow(request, workflow_id)
    draft, data = _state(workflow, request.user)
    context = _context(request, workflow, data, draft, **_details_sidebar())
    return render(request, "workflows/editor.html", context)


@require_GET
@workspace_required(role=Role.EDITOR)
def catalogue(request, workflow_id):
    workflow = _workflow(request, workflow_id)
    draft, data = _state(workflow, request.user)
    replace = _address(request.GET) if request.GET.get("mode") == "replace" else None
    list_address = _address(request.GET, "list")
    try:
        if replace is not None:
            tree.step_at(data, replace)
            sidebar = _catalogue(workflow, data, replace=replace)
        elif list_address is not None and list_address.is_list:
            index = int(request.GET.get("index") or 0)
            sidebar = _catalogue(workflow, data, list_address=str(list_address), index=index)
        else:
            return HttpResponseBadRequest("Say where the step goes.")
    except (EditError, ValueError) as error:
        return _update(request, workflow, data, draft, alert=_alert(error))
    return render(request, "workflows/_canvas_sidebar.html", {**sidebar, "workflow": workflow})


@require_POST
@workspace_required
def insert(request, workflow_id):
    workflow = _workflow(request, workflow_id)
    list_address = _address(request.POST, "list")
    if list_address is None or not list_address.is_list:
        return HttpResponseBadRequest("Say where the step goes.")
    try:
        index = int(request.POST.get("index", ""))
    except ValueError:
        return HttpResponseBadRequest("Say where the step goes.")
    provider = request.POST.get("provider", "")
    where = {}

    def change(data):
        changed, where["address"] = editing.insert(data, list_address, index, provider)
        return changed

    return _apply(
        request,
        workflow,
        change,
        sidebar=lambda changed: _config_sidebar(changed, where["address"]),
        rescue_open=list_address == ("rescue",),
    )


@require_POST
@workspace_required
def replace(request, workflow_id):
    workflow = _workflow(request, workflow_id)
    address = _address(request.POST)
    if address is None or not address.is_step:
        return HttpResponseBadRequest("Say which step to replace.")
    provider = request.POST.get("provider", "")
    return _apply(
        request,
        workflow,
        lambda data: editing.replace(data, address, provider),
        sidebar=lambda changed: _config_sidebar(changed, address),
    )


@require_http_methods(["GET", "POST"])
@workspace_required(role=Role.EDITOR)
def step_form(request, workflow_id):
    """GET: the step's config form in the sidebar. POST: apply it (errors stay beside
    their fields; what was typed is stored in the draft either way)."""
    workflow = _workflow(request, workflow_id)
    params = request.POST if request.method == "POST" else request.GET
    address = _address(params)
    if address is None or not address.is_step:
        return HttpResponseBadRequest("Say which step.")
    if request.method == "GET":
        draft, data = _state(workflow, request.user)
        try:
            sidebar = _config_sidebar(data, address)
        except AddressError as error:
            return _update(request, workflow, data, draft, alert=_alert(error))
        return render(request, "workflows/_canvas_sidebar.html", {**sidebar, "workflow": workflow})

    def change(data):
        step = tree.step_at(data, address)
        action = registry.get(step.get("provider", ""))
        config = step.get("config") or {}
        if action is not None:
            config = config_form.read(action, config, request.POST)
        return editing.update_step(
            data,
            address,
            name=request.POST.get("name", ""),
            notes=request.POST.get("notes", ""),
            config=config,
            retry=config_form.read_retry(request.POST, step.get("retry")),
        )

    return _apply(
        request,
        workflow,
        change,
        sidebar=lambda changed: _config_sidebar(changed, address, applied=True),
    )


STEP_OPERATIONS = {
    "duplicate": lambda data, address: editing.duplicate(data, address)[0],
    "up": lambda data, address: editing.move(data, address, -1)[0],
    "down": lambda data, address: editing.move(data, address, +1)[0],
    "delete": editing.delete,
}


@require_POST
@workspace_required
def step_operation(request, workflow_id, operation):
    workflow = _workflow(request, workflow_id)
    address = _address(request.POST)
    if operation not in STEP_OPERATIONS or address is None or not address.is_step:
        return HttpResponseBadRequest("Unknown operation or step.")
    operate = STEP_OPERATIONS[operation]
    return _apply(
        request, workflow, lambda data: operate(data, address), sidebar=_details_sidebar()
    )


@require_POST
@workspace_required
def move(request, workflow_id):
    """Drag and drop: put the step at ``index`` of the list ``to`` (any depth)."""
    workflow = _workflow(request, workflow_id)
    address = _address(request.POST)
    target = _address(request.POST, "to")
    try:
        index = int(request.POST.get("index", ""))
    except ValueError:
        index = None
    if address is None or target is None or index is None or not target.is_list:
        return HttpResponseBadRequest("Say which step goes where.")
    return _apply(request, workflow, lambda data: editing.move_to(data, address, target, index)[0])


@require_http_methods(["GET", "POST"])
@workspace_required(role=Role.EDITOR)
def block_form(request, workflow_id):
    """The condition/exception popover. ``address`` is a step (adding a block) or a
    block (editing it); ``kind`` is condition or exception for a new one."""
    workflow = _workflow(request, workflow_id)
    params = request.POST if request.method == "POST" else request.GET
    address = _address(params)
    if address is None or not (address.is_step or address.is_block):
        return HttpResponseBadRequest("Say which step or block.")
    adding = address.is_step
    if request.method == "GET":
        draft, data = _state(workflow, request.user)
        try:
            step = tree.step_at(data, address if adding else address[:-2])
            block = {} if adding else tree.block_at(data, address)
        except AddressError as error:
            return _update(request, workflow, data, draft, alert=_alert(error))
        exception = (params.get("kind") == "exception") if adding else block.get("status") == "KO"
        action = registry.get(step.get("provider", ""))
        context = {
            "workflow": workflow,
            "address": str(address),
            "step": step,
            "block": block or {"status": "KO" if exception else "OK", "stop": False},
            "adding": adding,
            "exception": exception,
            "codes": [(c, action.code_descriptions.get(c, "")) for c in action.codes]
            if action
            else [],
            "slot": "popover-" + (address if adding else address[:-2]).slug,
        }
        return render(request, "workflows/_block_form.html", context)

    status = params.get("status", "")
    code = params.get("code", "")
    stop = "stop" in params
    if adding:
        return _apply(
            request,
            workflow,
            lambda data: editing.add_block(data, address, status=status, code=code, stop=stop)[0],
        )
    return _apply(
        request,
        workflow,
        lambda data: editing.edit_block(data, address, status=status, code=code, stop=stop),
    )


@require_POST
@workspace_required
def remove_block(request, workflow_id):
    workflow = _workflow(request, workflow_id)
    address = _address(request.POST)
    if address is None or not address.is_block:
        return HttpResponseBadRequest("Say which block.")
    return _apply(request, workflow, lambda data: editing.remove_block(data, address))


@require_POST
@workspace_required
def rescue(request, workflow_id):
    """Handle Errors. On with no rescue step yet only opens the flow (empty = off in the
    JSON) and the catalogue for its first step; off removes the rescue steps."""
    workflow = _workflow(request, workflow_id)
    if request.POST.get("on"):
        draft, data = _state(workflow, request.user)
        if data.get("rescue"):
            return _update(request, workflow, data, draft)
        sidebar = _catalogue(workflow, data, list_address="rescue", index=0)
        return _update(request, workflow, data, draft, sidebar=sidebar, rescue_open=True)
    return _apply(request, workflow, lambda data: editing.set_rescue(data, False))


@require_http_methods(["GET", "POST"])
@workspace_required(role=Role.EDITOR)
def details(request, workflow_id):
    """Name and description in the sidebar; the schema is shown, fixed once saved."""
    workflow = _workflow(request, workflow_id)
    if request.method == "GET":
        draft, data = _state(workflow, request.user)
        context = {**_details_sidebar(), "workflow": workflow, "data": data}
        return render(request, "workflows/_canvas_sidebar.html", context)
    name = request.POST.get("name", "")
    description = request.POST.get("description", "")
    return _apply(
        request,
        workflow,
        lambda data: editing.set_details(data, name=name, description=description),
        sidebar=_details_sidebar(),
    )


@require_POST
@workspace_required
def undo(request, workflow_id):
    workflow = _workflow(request, workflow_id)
    data = drafts.undo(workflow, request.user)
    return _update(
        request, workflow, data, drafts.get(workflow, request.user), sidebar=_details_sidebar()
    )


@require_POST
@workspace_required
def redo(request, workflow_id):
    workflow = _workflow(request, workflow_id)
    data = drafts.redo(workflow, request.user)
    return _update(
        request, workflow, data, drafts.get(workflow, request.user), sidebar=_details_sidebar()
    )


@require_POST
@workspace_required
def save(request, workflow_id):
    workflow = _workflow(request, workflow_id)
    try:
        version = drafts.publish(
            workflow, request.user, secrets=paste.secret_names(request.workspace)
        )
    except VersionConflict as error:
        draft, data = _state(workflow, request.user)
        return _update(request, workflow, data, draft, conflict=str(error))
    except DefinitionError as error:
        draft, data = _state(workflow, request.user)
        return _update(request, workflow, data, draft, save_issues=error.issues)
    workflow.refresh_from_db()
    draft, data = _state(workflow, request.user)
    return _update(
        request,
        workflow,
        data,
        draft,
        saved=version.number,
        save_warnings=version.warnings,
        sidebar=_details_sidebar(),
    )


@require_POST
@workspace_required
def rebase(request, workflow_id):
    """After a conflict: keep my draft, now based on the newest version, so the next Save
    replaces theirs knowingly (their version stays in the history)."""
    workflow = _workflow(request, workflow_id)
    drafts.rebase(workflow, request.user)
    return save(request, workflow_id)


@require_POST
@workspace_required
def discard(request, workflow_id):
    workflow = _workflow(request, workflow_id)
    drafts.discard(workflow, request.user)
    workflow.refresh_from_db()
    draft, data = _state(workflow, request.user)
    return _update(request, workflow, data, draft, sidebar=_details_sidebar(), discarded=True)
