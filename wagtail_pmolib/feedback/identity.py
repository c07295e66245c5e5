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
import ipaddress
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac

from ..conf import pmolib_settings

COOKIE_SALT = "wagtail_pmolib.visitor"

logger = logging.getLogger(__name__)


def _secret() -> bytes:
    return hashlib.sha256(("wagtail_pmolib.identity:" + settings.SECRET_KEY).encode()).digest()


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of ``value`` with a key derived from SECRET_KEY (hex)."""
    return hmac.new(_secret(), value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _address(text: str) -> str:
    """``text`` as an IP address ("203.0.113.9", "2001:db8::1"), or "" when it is
    not one. Takes the forms proxies write: "203.0.113.9:5431", "[2001:db8::1]:443"."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return ""


def client_ip(request) -> str:
    """The visitor's address: ``REMOTE_ADDR``, or with ``TRUST_X_FORWARDED_FOR`` the
    X-Forwarded-For entry ``TRUSTED_PROXY_HOPS`` places from the right.

    Each proxy appends the address it received the request from, so only the
    last entries are written by the site's own proxies; whatever is further left
    came with the request and anyone can forge it. When that entry is missing
    (fewer entries than trusted proxies) or not an address, ``REMOTE_ADDR``.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not pmolib_settings.TRUST_X_FORWARDED_FOR:
        if "HTTP_X_FORWARDED_FOR" in request.META:
            _warn_untrusted_proxy(remote)
        return remote
    entries = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    hops = pmolib_settings.TRUSTED_PROXY_HOPS
    if len(entries) < hops:
        return remote
    return _address(entries[-hops]) or remote


_warned = False


def _warn_untrusted_proxy(remote):
    """Once per process: X-Forwarded-For from a private address while it is not
    trusted most likely means a proxy in front of the site, whose address every
    visitor then shares, with its per-address limits."""
    global _warned
    try:
        private = ipaddress.ip_address(remote).is_private
    except ValueError:
        private = True  # no address at all: a proxy on a Unix socket
    if private and not _warned:
        _warned = True
        logger.warning(
            "Feedback: requests from %s carry X-Forwarded-For, but WAGTAIL_PMOLIB"
            "['TRUST_X_FORWARDED_FOR'] is off. Behind a proxy, every visitor has the "
            "proxy's address and shares one per-address limit: turn it on (and set "
            "TRUSTED_PROXY_HOPS) if the proxy sets the header.",
            remote,
        )


def address_key(address: str) -> str:
    """A keyed hash of the network ``address`` belongs to, for the per-address limits.

    An IPv4 address on its own, an IPv6 address with its /64 (one household or
    device usually has a whole /64, so counting single IPv6 addresses would
    give each of them thousands). "" when ``address`` is not an address (a
    server on a Unix socket gives none): no per-address limit then, rather than
    one shared by every visitor.
    """
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    prefix = 64 if parsed.version == 6 else 32
    network = ipaddress.ip_network(f"{parsed}/{prefix}", strict=False)
    return keyed_hash(f"address:{network}")


@dataclass(frozen=True)
class Visitor:
    key: str  # what is stored: a keyed hash, 64 hex characters
    user_id: int | None = None
    # The cookie to set on the response, or None when the visitor has one (or an account).
    new_cookie: str | None = None
    # ``address_key`` of the visitor's address, for the per-address limits (never stored).
    address: str = ""


def visitor_for(request) -> Visitor:
    ip = client_ip(request)
    address = address_key(ip)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Visitor(key=keyed_hash(f"user:{user.pk}"), user_id=user.pk, address=address)
    raw = request.COOKIES.get(pmolib_settings.VISITOR_COOKIE_NAME)
    if raw:
        try:
            token = signing.loads(
                raw, salt=COOKIE_SALT, max_age=pmolib_settings.VISITOR_COOKIE_MAX_AGE
            )
        except signing.BadSignature:
            token = None
        if isinstance(token, str) and token:
            return Visitor(key=keyed_hash(f"visitor:{token}"), address=address)
    # No account, no (valid) cookie: the keyed hash of address and user agent.
    network = salted_hmac(
        COOKIE_SALT,
        f"{ip}\n{request.META.get('HTTP_USER_AGENT', '')}",
        algorithm="sha256",
    ).hexdigest()
    return Visitor(
        key=keyed_hash(f"visitor:{network}"),
        new_cookie=signing.dumps(network, salt=COOKIE_SALT, compress=True),
        address=address,
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
