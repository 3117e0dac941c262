"""The server's one table of error codes and their messages, and the typed API errors.

Every `code` the API answers with, in a 4xx body or in a rejected mutation's
result, has its message here; tests import them instead of repeating them.
"""

from rest_framework import exceptions, status

MESSAGES = {
    "invalid_cursor": "The cursor was not issued by this server for this collection.",
    "invalid_limit": "limit must be a positive whole number.",
    "unknown_collection": "There is no sync collection with this name.",
    "not_authenticated": "Sign in: this needs a valid bearer token.",
    "invalid_token": "The token is unknown, expired or revoked. Sign in again.",
    "invalid_credentials": "Unknown username or wrong password.",
    "invalid_body": "The request body is not valid.",
    "too_many_mutations": "Too many mutations in one request (at most {limit}).",
    "payload_too_large": "The request body is too large (at most {limit} bytes).",
    "not_found": "Not found: it does not exist (any more) on the server.",
    "forbidden": "You may not do this, or change this record.",
    "invalid": "Some values are not valid.",
    "group_failed": "Not applied: another change of its group could not be applied, and a group is all or none.",
    "throttled": "Too many attempts: try again in {wait} seconds.",
    "method_not_allowed": "This method is not allowed here.",
    "not_acceptable": "No answer in a format the request accepts.",
    "unsupported_media_type": "Send the request body as JSON.",
    "no_snapshot": "No snapshot of this collection can be offered now: pull it from the beginning.",
    "range_not_satisfiable": "The range asks for bytes beyond the end of the file ({size} bytes).",
    "snapshot_part_not_found": "This snapshot part is not stored (any more): start from the current snapshot.",
}


class SyncAPIError(exceptions.APIException):
    """Base of the protocol's own errors: a status, a code and a message."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, detail=None, *, errors=None, **fmt):
        super().__init__(detail or MESSAGES[self.default_code].format(**fmt), self.default_code)
        self.errors = errors


class InvalidCursor(SyncAPIError):
    default_code = "invalid_cursor"


class InvalidLimit(SyncAPIError):
    default_code = "invalid_limit"


class UnknownCollection(SyncAPIError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "unknown_collection"


class InvalidBody(SyncAPIError):
    default_code = "invalid_body"


class TooManyMutations(SyncAPIError):
    default_code = "too_many_mutations"


class PayloadTooLarge(SyncAPIError):
    default_code = "payload_too_large"


class InvalidCredentials(SyncAPIError):
    default_code = "invalid_credentials"


class InvalidToken(exceptions.AuthenticationFailed):
    default_detail = MESSAGES["invalid_token"]
    default_code = "invalid_token"


class NoSnapshot(SyncAPIError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "no_snapshot"


class SnapshotPartNotFound(SyncAPIError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "snapshot_part_not_found"


class RangeNotSatisfiable(SyncAPIError):
    status_code = status.HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE
    default_code = "range_not_satisfiable"

    def __init__(self, *, size: int):
        super().__init__(size=size)
        self.headers = {"Content-Range": f"bytes */{size}"}
