from django.shortcuts import render

from console.workspaces import scoped, workspace_required
from silo.models import Entry


@workspace_required
def entry_list(request):
    entries = scoped(request, Entry).order_by("-created_at", "-id")[:50]
    return render(request, "silo/list.html", {"entries": entries})
