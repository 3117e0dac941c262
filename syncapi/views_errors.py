"""Unknown API paths answer in the protocol's error shape, not an HTML page."""

from syncapi.errors import MESSAGES
from syncapi.serialization import json_response


def api_not_found(request, rest: str):
    return json_response({"code": "not_found", "detail": MESSAGES["not_found"]}, status=404)
