"""Content-Security-Policy: one strict policy for every response, relaxed only on pages we do not write."""

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware, plus `CONTENT_SECURITY_POLICY_PATH_UPDATES`: {path prefix: directives to add}.

    The additions are those of django-csp's `@csp_update` decorator, applied
    by path so third-party views (the API docs page) need no wrapping. A view
    that sets its own update with the decorator keeps it.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.update is None:
            for prefix, update in getattr(settings, "CONTENT_SECURITY_POLICY_PATH_UPDATES", {}).items():
                if request.path_info.startswith(prefix):
                    parts.update = update
                    break
        return parts
