"""Flask-Limiter, without the before-request pass where it has nothing to check.

Flask-Limiter checks limits in two places: the decorator of a limited view checks that view's own limits, and a
before-request hook checks, on every request, the limits that apply beyond one view (default, application,
blueprint and meta limits, and the in-memory fallback while the storage is down). This application has only
limits on the views that need them (sign-in, interest registration), so that hook found nothing to check on
every page and fragment: it cost about 75 µs a request (a fifth of a public page's time in the app, measured
with ``bench.profile`` and in process). It is skipped while there is no such limit; configure one
(``RATELIMIT_DEFAULT``, ``RATELIMIT_APPLICATION``, a limit on a blueprint) and the pass runs again, as
tests/test_ratelimit.py checks.
"""

from __future__ import annotations

from flask_limiter import Limiter


class ViewLimiter(Limiter):
    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and not self.has_request_wide_limits():
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def has_request_wide_limits(self) -> bool:
        """Whether any limit applies beyond the views that declare their own (what the before-request pass checks)."""
        manager = self.limit_manager
        return bool(
            manager._default_limits
            or manager._application_limits
            or manager._blueprint_limits
            or self._meta_limits
            or self._in_memory_fallback  # applied to every request while the storage is down
        )
