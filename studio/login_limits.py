"""Limits on password sign-ins (the sign-in form and HTTP Basic on the API), per username and per
client address, so that nobody can guess passwords at speed. API tokens and endpoint keys are not
passwords and are not limited here.

Every attempt takes one from both counters before the password is checked (so concurrent guesses
count too); a successful sign-in gives its own one back, which leaves the failures of every other
attempt, and of other usernames from the same address, in place. Counters live in the database
(`studio.rate_limits`), shared by every process; the windows are STUDIO_LOGIN_USER_LIMIT and
STUDIO_LOGIN_ADDRESS_LIMIT.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from django.conf import settings

from studio import rate_limits

logger = logging.getLogger(__name__)


def client_address(request) -> str:
    """The address the request came from: behind a proxy (STUDIO_BEHIND_PROXY) the last entry of
    X-Forwarded-For, which the proxy itself appended; otherwise the socket's peer."""
    meta = request.META
    if getattr(settings, "STUDIO_BEHIND_PROXY", False):
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1][:60]
    return (meta.get("REMOTE_ADDR") or "unknown")[:60]


def _user_bucket(username: str) -> str:
    return "login-user:" + hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:40]


@dataclass
class LoginAttempt:
    """One password attempt: refused (`wait` seconds) or let through to the password check."""

    wait: int = 0
    taken: list[rate_limits.Taken] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return self.wait > 0

    def succeeded(self) -> None:
        """The password was right: this attempt is not a failure."""
        for taken in self.taken:
            rate_limits.give_back(taken)
        self.taken = []


def begin(request, username: str) -> LoginAttempt:
    """Count a password attempt for `username` from the request's address, or refuse it."""
    attempt = LoginAttempt()
    address = client_address(request)
    limits = (
        (_user_bucket(username), settings.STUDIO_LOGIN_USER_LIMIT),
        (f"login-address:{address}", settings.STUDIO_LOGIN_ADDRESS_LIMIT),
    )
    for bucket, (count, seconds) in limits:
        if count <= 0:
            continue
        taken = rate_limits.take(bucket, count, seconds)
        if not taken.allowed:
            attempt.succeeded()  # give back what the other counter took: this one never ran
            attempt.wait = taken.wait
            logger.warning(
                "sign-in of %r from %s refused for %d s: too many failed attempts (%s)",
                username[:150],
                address,
                taken.wait,
                "user" if bucket.startswith("login-user:") else "address",
            )
            return attempt
        attempt.taken.append(taken)
    return attempt


def wait_text(seconds: int) -> str:
    """`45 seconds`, `1 minute`, `14 minutes`: how long to wait, for people."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
