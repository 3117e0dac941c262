"""Login throttles, by client address and by username, counted where every server process sees them.

The counts live in the `throttle` cache (Redis or a database table: project/settings.py), not in
one process's memory, so a limit holds however many gunicorn workers and servers answer.
"""

import hashlib
import unicodedata
from collections.abc import Mapping

from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

# The CACHES alias that holds the counts.
CACHE_ALIAS = "throttle"


class _SharedRateThrottle(SimpleRateThrottle):
    """DRF's sliding-window throttle, counting in the shared `throttle` cache."""

    @property
    def cache(self):
        return caches[CACHE_ALIAS]


class LoginAddressThrottle(_SharedRateThrottle):
    """Login attempts per client address (REST_FRAMEWORK["NUM_PROXIES"] says which address that is)."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def username_key(username: str) -> str:
    """The identity of a username for counting: spelled as the login would be, case and width folded.

    Hashed, so the cache holds neither usernames nor keys of unbounded length.
    """
    folded = unicodedata.normalize("NFKC", username).strip().casefold()
    return hashlib.sha256(folded.encode()).hexdigest()


class LoginUsernameThrottle(_SharedRateThrottle):
    """Login attempts per username, from any address: guessing one account's password from many
    addresses meets this limit."""

    scope = "login_user"

    def get_cache_key(self, request, view):
        data = request.data
        username = data.get("username") if isinstance(data, Mapping) else None
        if not isinstance(username, str) or not username.strip():
            return None  # no account named: the address limit still counts the attempt
        return self.cache_format % {"scope": self.scope, "ident": username_key(username)}
