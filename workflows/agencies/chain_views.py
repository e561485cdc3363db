"""The chain pages: an issuer's VERI*FACTU records in order with their state, and the
requests and answers exchanged with the AEAT. Everything is read through the
workspace (``get_scoped_or_404``): another workspace's issuer or submission is a 404."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from console.workspaces import get_scoped_or_404, workspace_required
from workflows.agencies import selectors
from workflows.agencies.models import Chain, Record, Submission

PAGE_SIZE = 100


@require_GET
@workspace_required
def chain_list(request):
    found = [
        (chain, selectors.state_counts(chain)) for chain in selectors.chains(request.workspace)
    ]
    return render(request, "agencies/chains.html", {"chains": found})


@require_GET
@workspace_required
def chain_detail(request, issuer):
    chain = get_scoped_or_404(request, Chain, issuer=issuer)
    state = request.GET.get("state", "")
    records = (
        Record.objects.filter(chain=chain).select_related("entry", "submission").order_by("-seq")
    )
    if state in selectors.STATE_ORDER:
        records = records.filter(state=state)
    else:
        state = ""
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    waiting = chain.next_send_at and chain.next_send_at > timezone.now()
    context = {
        "chain": chain,
        "next_send_at": chain.next_send_at if waiting else None,
        "page": page,
        "state": state,
        "counts": selectors.state_counts(chain),
        "submissions": Submission.objects.filter(chain=chain)[:10],
    }
    return render(request, "agencies/chain.html", context)


@require_GET
@workspace_required
def submission_xml(request, issuer, submission_id, part):
    if part not in ("request", "answer"):
        raise Http404("No such part of a submission.")
    submission = get_scoped_or_404(request, Submission, pk=submission_id, chain__issuer=issuer)
    content = bytes(submission.request if part == "request" else submission.answer)
    response = HttpResponse(content, content_type="application/xml")
    filename = f"verifactu-{issuer}-submission-{submission.pk}-{part}.xml"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
