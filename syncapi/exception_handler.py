"""The DRF exception handler: every API error has one shape.

Every 4xx body is `{"code": ..., "detail": ...}` plus optional `errors`
(PROTOCOL.md).
"""

import math

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from syncapi.errors import MESSAGES


def _code_of(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "invalid"
    if isinstance(exc, exceptions.ParseError):
        return "invalid_body"
    if isinstance(exc, exceptions.NotAuthenticated):
        return "not_authenticated"
    if isinstance(exc, exceptions.PermissionDenied):
        return "forbidden"
    if isinstance(exc, exceptions.NotFound):
        return "not_found"
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def exception_handler(exc, context):
    """DRF exception handler: `{code, detail, errors?}` for every API error."""
    if isinstance(exc, exceptions.NotAuthenticated):
        exc = exceptions.NotAuthenticated(MESSAGES["not_authenticated"])
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(MESSAGES["not_found"])
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(MESSAGES["forbidden"])
    elif isinstance(exc, exceptions.Throttled):  # keeps its `wait` for Retry-After
        exc.detail = exceptions.ErrorDetail(MESSAGES["throttled"].format(wait=math.ceil(exc.wait or 0)), "throttled")
    elif isinstance(exc, exceptions.MethodNotAllowed | exceptions.NotAcceptable | exceptions.UnsupportedMediaType):
        exc.detail = exceptions.ErrorDetail(MESSAGES[exc.default_code], exc.default_code)
    if not isinstance(exc, exceptions.APIException):
        return None

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    headers.update(getattr(exc, "headers", None) or {})

    code = _code_of(exc)
    if isinstance(exc, exceptions.ValidationError):
        body = {"code": code, "detail": MESSAGES["invalid"], "errors": exc.detail}
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        body = {"code": code, "detail": str(detail)}
        if getattr(exc, "errors", None):
            body["errors"] = exc.errors
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)
