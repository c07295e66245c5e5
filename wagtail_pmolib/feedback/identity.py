"""Recognising a visitor without storing who they are.

A visitor is recognised, in this order, by their account when signed in, by a
signed first-party cookie, and failing that by a keyed hash of IP address and
user agent. Only an HMAC of the chosen identity is stored (``Visitor.key``).

A visitor without the cookie gets one on their first submission whose value is
derived from that same IP/user-agent hash, so the vote they just made and the
votes they make later with the cookie are recognised as one visitor.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac

from ..conf import pmolib_settings

COOKIE_SALT = "wagtail_pmolib.visitor"


def _secret() -> bytes:
    return hashlib.sha256(("wagtail_pmolib.identity:" + settings.SECRET_KEY).encode()).digest()


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of ``value`` with a key derived from SECRET_KEY (hex)."""
    return hmac.new(_secret(), value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def client_ip(request) -> str:
    if pmolib_settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return request.META.get("REMOTE_ADDR", "")


@dataclass(frozen=True)
class Visitor:
    key: str  # what is stored: a keyed hash, 64 hex characters
    user_id: int | None = None
    # The cookie to set on the response, or None when the visitor has one (or an account).
    new_cookie: str | None = None


def visitor_for(request) -> Visitor:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Visitor(key=keyed_hash(f"user:{user.pk}"), user_id=user.pk)
    raw = request.COOKIES.get(pmolib_settings.VISITOR_COOKIE_NAME)
    if raw:
        try:
            token = signing.loads(
                raw, salt=COOKIE_SALT, max_age=pmolib_settings.VISITOR_COOKIE_MAX_AGE
            )
        except signing.BadSignature:
            token = None
        if isinstance(token, str) and token:
            return Visitor(key=keyed_hash(f"visitor:{token}"))
    # No account, no (valid) cookie: the keyed hash of address and user agent.
    network = salted_hmac(
        COOKIE_SALT,
        f"{client_ip(request)}\n{request.META.get('HTTP_USER_AGENT', '')}",
        algorithm="sha256",
    ).hexdigest()
    return Visitor(
        key=keyed_hash(f"visitor:{network}"),
        new_cookie=signing.dumps(network, salt=COOKIE_SALT, compress=True),
    )


def set_visitor_cookie(response, request, visitor: Visitor):
    """Give a new visitor the cookie (only ever on a feedback response)."""
    if visitor.new_cookie:
        response.set_cookie(
            pmolib_settings.VISITOR_COOKIE_NAME,
            visitor.new_cookie,
            max_age=pmolib_settings.VISITOR_COOKIE_MAX_AGE,
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
    return response


def is_bot(request) -> bool:
    agent = request.META.get("HTTP_USER_AGENT", "")
    return bool(agent) and bool(pmolib_settings.BOT_USER_AGENTS_RE.search(agent))
