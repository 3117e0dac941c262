"""HTTP endpoints of sync protocol v1: thin views over selectors and services."""

import orjson
from django.contrib.auth import authenticate
from django.core.exceptions import RequestDataTooBig
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from syncapi import serializers as s
from syncapi.conditional import conditional_headers, not_modified, page_etag
from syncapi.conf import sync_settings
from syncapi.cursor import decode_cursor, encode_cursor
from syncapi.devices import UNKNOWN_DEVICE
from syncapi.encoding import compressed_response
from syncapi.errors import (
    MESSAGES,
    InvalidBody,
    InvalidCredentials,
    InvalidLimit,
    PayloadTooLarge,
    TooManyMutations,
)
from syncapi.history import HistoryForked, history_fork_close
from syncapi.page_format import UPSERTS_HEADER, page_response
from syncapi.push import Mutation, mutations_apply
from syncapi.push_envelope import envelope_read
from syncapi.registry import registry
from syncapi.selectors import changes_since, collection_get, collection_head, collections_changed, config_get
from syncapi.serialization import json_response
from syncapi.throttling import LoginAddressThrottle, LoginUsernameThrottle
from syncapi.tokens import token_create, token_revoke

_ERRORS = {code: OpenApiResponse(s.ErrorSerializer) for code in (400, 401, 404)}


def _user_payload(user) -> dict:
    return {"id": user.pk, "username": user.get_username(), "is_staff": user.is_staff}


class ConfigView(APIView):
    @extend_schema(responses={200: s.ConfigSerializer}, summary="Sync configuration")
    def get(self, request):
        return json_response(config_get())


def _parse_limit(raw: str | None) -> int | None:
    """The page size asked for, clamped (None: the configured one, read only if a page is read)."""
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise InvalidLimit()
    return min(int(raw), sync_settings.MAX_PAGE_SIZE)


class PullView(APIView):
    @extend_schema(
        parameters=[
            # The registered collections (the URLs are loaded after every app's sync.py registered).
            OpenApiParameter("collection", str, OpenApiParameter.PATH, enum=[c.name for c in registry.collections()]),
            OpenApiParameter("cursor", str, description="Opaque cursor from the previous page."),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 999_999_999},
                description="Page size; clamped to the server's maximum.",
            ),
            OpenApiParameter(
                UPSERTS_HEADER,
                int,
                OpenApiParameter.HEADER,
                response=[200],
                description="How many records `upserts` holds (so a client may store the page without decoding it).",
            ),
        ],
        responses={200: s.PullResponseSerializer, **_ERRORS},
        summary="Pull one page of changes of a collection",
    )
    def get(self, request, collection: str):
        target = collection_get(name=collection)
        if target.is_user_scoped and not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        limit = _parse_limit(request.query_params.get("limit"))
        raw_cursor = request.query_params.get("cursor")
        cursor = decode_cursor(raw_cursor, collection=target.name) if raw_cursor is not None else None
        owner = str(request.user.pk) if target.is_user_scoped else None
        head = collection_head(collection=target)
        unchanged = not_modified(request, target, page_etag(target, head, owner))
        if unchanged is not None:
            return unchanged
        try:
            page = changes_since(collection=target, cursor=cursor, limit=limit, user=request.user, head=head)
        except HistoryForked as fork:  # a backup was restored: every device downloads anew
            history_fork_close(epoch=fork.epoch, version=fork.version)
            page = changes_since(collection=target, cursor=cursor, limit=limit, user=request.user)
        # An unchanged cursor (nothing new) is the one the client sent: no need to sign it again.
        encoded = raw_cursor if page.cursor == cursor else encode_cursor(page.cursor)
        response = page_response(
            collection=page.collection, upserts=page.upserts, deletes=page.deletes,
            cursor=encoded, has_more=page.has_more, reset=page.reset,
        )  # fmt: skip
        conditional_headers(response, target, page_etag(target, page.head, owner))
        return compressed_response(request, response)


def _read_json_body(request):
    limit = sync_settings.MAX_PUSH_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise PayloadTooLarge(limit=limit)
    try:
        body = request.body
    except RequestDataTooBig as exc:
        raise PayloadTooLarge(limit=limit) from exc
    if len(body) > limit:
        raise PayloadTooLarge(limit=limit)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidBody("The request body is not valid JSON.") from exc


class ChangedView(APIView):
    """Which collections have changed since the client's cursors (an extension): how an open app stays fresh."""

    @extend_schema(
        request=s.ChangedRequestSerializer,
        responses={200: s.ChangedResponseSerializer, **_ERRORS},
        summary="Which collections a pull would bring anything of",
    )
    def post(self, request):
        form = s.ChangedRequestSerializer(data=_read_json_body(request))
        if not form.is_valid():
            raise InvalidBody(errors=form.errors)
        cursors = []
        for name, raw in form.validated_data["cursors"].items():
            target = collection_get(name=name)
            if target.is_user_scoped and not request.user.is_authenticated:
                raise exceptions.NotAuthenticated()
            cursors.append((target, decode_cursor(raw, collection=target.name)))
        return json_response({"changed": collections_changed(cursors=cursors, user=request.user)})


def _device_name(request) -> str:
    """The pushing device's human name for the history of its changes ("" when nothing names it)."""
    label = request.auth.label if request.auth is not None else ""
    return "" if label == UNKNOWN_DEVICE else label


class PushView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.PushRequestSerializer,
        responses={200: s.PushResponseSerializer, **_ERRORS},
        summary="Push local mutations",
    )
    def post(self, request):
        body = _read_json_body(request)
        limit = sync_settings.MAX_PUSH_MUTATIONS
        if isinstance(body, dict) and isinstance(body.get("mutations"), list) and len(body["mutations"]) > limit:
            raise TooManyMutations(limit=limit)
        read = envelope_read(body)
        if read is None:  # not plainly well formed: the serializer decides, and names what is wrong
            envelope = s.PushRequestSerializer(data=body)
            if not envelope.is_valid():
                raise InvalidBody(errors=envelope.errors)
            read = envelope.validated_data["client_id"], [Mutation(**m) for m in envelope.validated_data["mutations"]]
        client_id, mutations = read
        result = mutations_apply(user=request.user, client_id=client_id, mutations=mutations,
                                 device=_device_name(request))  # fmt: skip
        return json_response(result)


class LoginView(APIView):
    authentication_classes = []
    throttle_classes = [LoginAddressThrottle, LoginUsernameThrottle]

    @extend_schema(
        request=s.LoginSerializer,
        responses={200: s.LoginResponseSerializer, **_ERRORS, 429: OpenApiResponse(s.ErrorSerializer)},
    )
    def post(self, request):
        form = s.LoginSerializer(data=request.data)
        if not form.is_valid():
            raise InvalidBody(errors=form.errors)
        user = authenticate(
            request._request, username=form.validated_data["username"], password=form.validated_data["password"]
        )
        if user is None:
            raise InvalidCredentials()
        raw, token = token_create(
            user=user,
            device_name=form.validated_data["device_name"],
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        return json_response({"token": raw, "expires_at": token.expires_at, "user": _user_payload(user)})


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: None, 401: OpenApiResponse(s.ErrorSerializer)})
    def post(self, request):
        token_revoke(token=request.auth)
        return json_response({"revoked": True})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.UserSerializer, 401: OpenApiResponse(s.ErrorSerializer)})
    def get(self, request):
        return json_response(_user_payload(request.user))


def api_not_found(request, rest: str):
    """Unknown API paths answer in the protocol's error shape, not an HTML page."""
    return json_response({"code": "not_found", "detail": MESSAGES["not_found"]}, status=404)
