"""Signs a browser session out after a period without requests."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

LAST_SEEN_KEY = "otc_last_seen"
IDLE_SIGNED_OUT_KEY = "otc_idle_signed_out"
IDLE_SIGNED_OUT_MESSAGE = "You were signed out after a period of inactivity."


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not request.path.startswith("/api/"):
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if (
                last_seen is not None
                and now - int(last_seen) > settings.SESSION_IDLE_TIMEOUT_SECONDS
            ):
                logout(request)
                # This middleware runs before MessageMiddleware, so it cannot
                # add a message itself; the sign-in page shows it from here.
                request.session[IDLE_SIGNED_OUT_KEY] = True
            else:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)
