"""Making, renaming and deleting workspaces.

Deleting one takes everything in it (entries with their files, workflows, jobs,
tokens, secrets, settings, memberships and invitations), so the page first shows
``contents(workspace)``; and it is refused while a job of the workspace is queued,
running or waiting, since a worker would be acting on rows that vanish under it.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from console.api.models import ApiToken
from console.models import Invitation, Membership, Secret, Workspace
from jobs.models import ACTIVE, Batch, Job
from silo.models import Attachment, Entry
from workflows.models import Workflow

NAME_MAX = Workspace._meta.get_field("name").max_length


class WorkspaceError(Exception):
    pass


def _clean_name(name):
    name = " ".join((name or "").split())
    if not name:
        raise WorkspaceError("Give the workspace a name.")
    if len(name) > NAME_MAX:
        raise WorkspaceError(f"A workspace name has at most {NAME_MAX} characters.")
    return name


def _free_slug(name):
    base = slugify(name)[:100] or "workspace"
    slug, number = base, 1
    while Workspace.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


@transaction.atomic
def create_workspace(name, owner):
    """A new workspace with ``owner`` as its first owner."""
    name = _clean_name(name)
    workspace = Workspace.objects.create(name=name, slug=_free_slug(name))
    Membership.objects.create(user=owner, workspace=workspace, role=Membership.Role.OWNER)
    return workspace


def rename_workspace(workspace, name):
    workspace.name = _clean_name(name)
    workspace.save(update_fields=["name"])
    return workspace


def contents(workspace):
    """What goes with the workspace, as lines for the confirmation ("3 entries")."""
    counted = [
        ("entry", "entries", Entry.objects.in_workspace(workspace).count()),
        ("attachment", "attachments", Attachment.objects.in_workspace(workspace).count()),
        ("workflow", "workflows", Workflow.objects.in_workspace(workspace).count()),
        ("job", "jobs", Job.objects.in_workspace(workspace).count()),
        ("API token", "API tokens", ApiToken.objects.in_workspace(workspace).count()),
        ("secret", "secrets", Secret.objects.in_workspace(workspace).count()),
        ("member", "members", Membership.objects.filter(workspace=workspace).count()),
        (
            "open invitation",
            "open invitations",
            Invitation.objects.filter(workspace=workspace, accepted_at__isnull=True).count(),
        ),
    ]
    return [f"{n} {one if n == 1 else many}" for one, many, n in counted]


def active_jobs(workspace):
    return Job.objects.in_workspace(workspace).filter(status__in=ACTIVE).count()


@transaction.atomic
def delete_workspace(workspace):
    """Delete it and all it holds; its attachment files go once the rows are gone."""
    Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
    running = active_jobs(workspace)
    if running:
        raise WorkspaceError(
            f"{running} job{'s' if running != 1 else ''} of this workspace "
            f"{'are' if running != 1 else 'is'} still queued or running: cancel "
            "or wait for them, then delete."
        )
    files = [a.file for a in Attachment.objects.in_workspace(workspace) if a.file]
    # Jobs and batches protect the workflows they ran: they go first.
    Job.objects.in_workspace(workspace).delete()
    Batch.objects.in_workspace(workspace).delete()
    workspace.delete()
    transaction.on_commit(lambda: _delete_files(files))


def _delete_files(files):
    for file in files:
        file.delete(save=False)


@transaction.atomic
def create_owner(username, email, password, workspace_name):
    """A new user and a new workspace they own: the first owner of an install."""
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise WorkspaceError(f"A user named {username} already exists.")
    user = user_model.objects.create_user(username, email=email, password=password)
    return user, create_workspace(workspace_name, user)
