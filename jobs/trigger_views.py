"""Automatic runs: the page that lists a workspace's triggers and adds, pauses and
removes them (``jobs.triggers`` runs them)."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from console.workspaces import get_scoped_or_404, scoped, workspace_required
from jobs.models import Trigger
from silo.models import State
from workflows.models import Workflow

MAX_MINUTES = 7 * 24 * 60


class TriggerForm(forms.Form):
    workflow = forms.ModelChoiceField(queryset=Workflow.objects.none(), empty_label=None)
    kind = forms.ChoiceField(choices=Trigger.Kind.choices, label="Runs")
    state = forms.ChoiceField(
        required=False,
        choices=[("", "—")] + State.choices,
        label="State entered",
        help_text="For “when an entry enters a state”.",
    )
    every_minutes = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_MINUTES,
        label="Every (minutes)",
        help_text="For schedules, with the silo search below.",
    )
    q = forms.CharField(required=False, max_length=200, label="Entries matching (search)")
    filter_state = forms.ChoiceField(
        required=False, choices=[("", "Any state")] + State.choices, label="In state"
    )

    def __init__(self, *args, workflows, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workflow"].queryset = workflows.filter(archived=False).order_by("name")

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == Trigger.Kind.STATE and not data.get("state"):
            self.add_error("state", "Pick the state that starts the workflow.")
        if kind == Trigger.Kind.SCHEDULE and not data.get("every_minutes"):
            self.add_error("every_minutes", "Say how often the workflow runs.")
        return data

    def save(self, workspace, user):
        data = self.cleaned_data
        schedule = data["kind"] == Trigger.Kind.SCHEDULE
        return Trigger.objects.create(
            workspace=workspace,
            workflow=data["workflow"],
            kind=data["kind"],
            state=data["state"] if data["kind"] == Trigger.Kind.STATE else "",
            every_minutes=data["every_minutes"] if schedule else None,
            next_run_at=timezone.now() + timedelta(minutes=data["every_minutes"])
            if schedule
            else None,
            filters={"q": data["q"], "schema": "", "state": data["filter_state"]}
            if schedule
            else {},
            created_by=user,
        )


@require_http_methods(["GET", "POST"])
@workspace_required
def triggers(request):
    workflows = scoped(request, Workflow)
    form = TriggerForm(request.POST or None, workflows=workflows)
    if request.method == "POST" and form.is_valid():
        trigger = form.save(request.workspace, request.user)
        messages.success(request, f"{trigger.workflow.name} now runs by itself.")
        return redirect("jobs:triggers")
    listed = scoped(request, Trigger).select_related("workflow").order_by("created_at")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "jobs/triggers.html", {"form": form, "triggers": listed}, status=status)


@require_POST
@workspace_required
def trigger_toggle(request, trigger_id):
    trigger = get_scoped_or_404(request, Trigger, pk=trigger_id)
    trigger.enabled = not trigger.enabled
    if trigger.enabled and trigger.kind == Trigger.Kind.SCHEDULE:
        trigger.next_run_at = timezone.now() + timedelta(minutes=trigger.every_minutes)
    trigger.save(update_fields=["enabled", "next_run_at"])
    messages.success(request, "Resumed." if trigger.enabled else "Paused.")
    return redirect("jobs:triggers")


@require_POST
@workspace_required
def trigger_delete(request, trigger_id):
    get_scoped_or_404(request, Trigger, pk=trigger_id).delete()
    messages.success(request, "The automatic run is removed.")
    return redirect("jobs:triggers")
