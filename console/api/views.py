"""The console's API page: the workspace's tokens (create, shown once; revoke) and a
link to the interactive docs. Every member sees the list; owners create and revoke."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from console.api import tokens as token_service
from console.api.errors import error_response
from console.api.models import ApiToken
from console.workspaces import Role, get_scoped_or_404, scoped, workspace_required


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. ERP integration", "autocomplete": "off"}
        ),
    )
    role = forms.ChoiceField(
        choices=ApiToken.Role.choices,
        initial=ApiToken.Role.EDITOR,
        required=False,
        label="Token role",
    )

    def clean_role(self):
        return self.cleaned_data["role"] or ApiToken.Role.EDITOR


def _page(request, *, form=None, new_token=None, status=200):
    context = {
        "tokens": scoped(request, ApiToken).select_related("created_by"),
        "form": form or TokenForm(),
        "new_token": new_token,
    }
    return render(request, "api/tokens.html", context, status=status)


@require_GET
@workspace_required
def tokens(request):
    return _page(request)


@require_POST
@workspace_required(role=Role.OWNER)
def create(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    token, plaintext = token_service.create_token(
        request.workspace,
        form.cleaned_data["name"],
        actor=request.user,
        role=form.cleaned_data["role"],
    )
    # Rendered, not redirected: the token exists only in this response.
    response = _page(request, new_token={"token": token, "plaintext": plaintext})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@workspace_required(role=Role.OWNER)
def revoke(request, token_id):
    token = get_scoped_or_404(request, ApiToken, pk=token_id)
    token_service.revoke_token(token)
    messages.success(request, f"Token “{token.name}” is revoked.")
    return redirect("api_tokens")


def unknown_endpoint(request):
    return error_response(404, "not_found", "There is no such API endpoint.")
