"""Every API error is ``{"code", "message", "fields"}`` with its HTTP status (SPEC 5).

Views raise ``ApiError``; the handlers below also turn django-ninja's own errors
(authentication, validation, unreadable bodies) and Django's (404, body too large)
into that shape, and a bug into a logged, bare 500 that reveals nothing.
"""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

logger = logging.getLogger(__name__)


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, str] = {}


class ApiError(Exception):
    def __init__(self, status, code, message, fields=None, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}


def not_found(what="object"):
    return ApiError(404, "not_found", f"No such {what} in this workspace.")


def invalid(message, fields=None):
    return ApiError(422, "invalid", message, fields)


def error_response(status, code, message, fields=None, headers=None):
    body = {"code": code, "message": message, "fields": fields or {}}
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# The error statuses every authenticated operation may answer, for the OpenAPI document.
COMMON = {400: ErrorOut, 401: ErrorOut, 413: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def responses(ok, *extra_statuses):
    """``response=`` for an operation: its success schema(s) plus the error statuses."""
    ok = ok if isinstance(ok, dict) else {200: ok}
    return {**ok, **COMMON, **dict.fromkeys(extra_statuses, ErrorOut)}


def _path(loc):
    """``("body", "payload", "args", "x")`` -> ``"args.x"``; list indexes as ``[n]``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "form", "file"):
        parts = parts[1:]
        if len(parts) > 1 and parts[0] in ("payload", "filters", "upload"):
            parts = parts[1:]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


def install(api):
    def on_api_error(request, exc):
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    def on_validation(request, exc):
        fields = {}
        for error in exc.errors:
            fields.setdefault(_path(error.get("loc", ())), error.get("msg", "invalid value"))
        return error_response(422, "invalid", "The request is not valid.", fields)

    def on_authentication(request, exc):
        response = error_response(
            401,
            "unauthorized",
            "Send a valid API token as 'Authorization: Bearer <token>'.",
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    def on_http_error(request, exc):
        if isinstance(exc.__cause__, RequestDataTooBig):  # a body without Content-Length
            return on_too_big(request, exc.__cause__)
        if isinstance(exc.__cause__, ApiError):  # raised while reading the body
            return on_api_error(request, exc.__cause__)
        if isinstance(exc.__cause__, MultiPartParserError):
            return on_unreadable_form(request, exc.__cause__)
        status = exc.status_code
        codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
        message = str(exc)
        if status == 400 and "parse" in message.lower():
            message = "The request body is not valid JSON."
        return error_response(status, codes.get(status, "error"), message)

    def on_not_found(request, exc):
        return error_response(404, "not_found", "Not found in this workspace.")

    def on_unreadable_form(request, exc):
        return error_response(400, "bad_request", f"The multipart body cannot be read: {exc}")

    def on_too_big(request, exc):
        return error_response(413, "too_large", "The request body is too large.")

    def on_bug(request, exc):
        logger.exception("API error on %s %s", request.method, request.path)
        return error_response(500, "server_error", "Something went wrong on our side.")

    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(RequestDataTooBig, on_too_big)
    api.add_exception_handler(MultiPartParserError, on_unreadable_form)
    api.add_exception_handler(Exception, on_bug)
