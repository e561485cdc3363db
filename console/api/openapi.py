"""The API object: django-ninja with our auth, errors and JSON parser, and an OpenAPI
document that carries the workflow format's own JSON Schema."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from ninja import NinjaAPI
from ninja.parser import Parser

from console import storable
from console.api import errors, jobs, silo, tokens, workflows
from console.api.auth import TokenAuth
from console.api.errors import ApiError
from workflows import definition

DESCRIPTION = """\
The workflow console's HTTP API. Every request carries a workspace's API token as
`Authorization: Bearer <token>` (created on the console's API page) and sees only
that workspace. Errors are `{"code", "message", "fields"}` with the HTTP status.
"""


class StrictJSONParser(Parser):
    """Refuses what parses but cannot be stored or shown (``console.storable``): NaN
    and Infinity, NUL, lone surrogates, nesting deeper than ``storable.MAX_DEPTH``."""

    def parse_body(self, request):
        try:
            return storable.loads(request.body)
        except storable.Unstorable as error:
            where = f"The body's {error.path}" if error.path else "The body"
            raise ApiError(
                400,
                "bad_request",
                f"{where} {error.problem}.",
                {error.path or "body": error.problem},
            ) from None


def _signed_in_or_token(view):
    """The docs and the OpenAPI document: for a console user or a valid token."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer ") and tokens.authenticate(header[7:].strip()):
            return view(request, *args, **kwargs)
        return redirect_to_login(request.get_full_path())

    return wrapper


class ConsoleAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation):
        """``create_job`` rather than ``console_api_jobs_create``: generated clients
        name their functions after these."""
        return operation.view_func.__name__

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(_workflow_components())
        for operations in schema["paths"].values():
            for operation in operations.values():
                operation["responses"] = _merged_statuses(operation["responses"])
        if "SavedOut" in components:
            components["SavedOut"]["properties"]["workflow"] = workflows.DOCUMENT_REF
        return schema


def _merged_statuses(responses):
    """django-ninja keys statuses by int and ``openapi_extra`` by text: one key each,
    or the JSON document has duplicate keys (which Swagger UI refuses)."""
    merged = {}
    for status, response in responses.items():
        merged[str(status)] = {**merged.get(str(status), {}), **response}
    return merged


def _workflow_components():
    """The definition's JSON Schema, its sub-schemas renamed ``Workflow<Name>``."""
    document = definition.Workflow.model_json_schema(
        by_alias=True, ref_template="#/components/schemas/Workflow{model}"
    )
    components = {f"Workflow{name}": sub for name, sub in document.pop("$defs", {}).items()}
    document["title"] = "WorkflowDocument"
    components["WorkflowDocument"] = document
    return components


api = ConsoleAPI(
    title="Workflow Console API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=TokenAuth(),
    parser=StrictJSONParser(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs_decorator=_signed_in_or_token,
)
errors.install(api)
api.add_router("", jobs.router)
api.add_router("", workflows.router)
api.add_router("", silo.router)
