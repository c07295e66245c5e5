"""Headless previews: the tokens an editor's front end shows a draft with.

The flow is wagtail-headless-preview's: the editor picks the "Headless front end"
preview mode, Wagtail sends their browser to the front end at
``HEADLESS_PREVIEW_CLIENT_URL?content_type=wagtail_pmolib.sessionpage&token=…``,
and the front end asks the API for the draft with those two parameters
(``GET {api}/sessions/preview/?content_type=…&token=…``), as it would ask
wagtail-headless-preview's ``page_preview`` endpoint.

The token is signed with the site's ``SECRET_KEY`` (Django's ``TimestampSigner``
with a salt of our own) and names one page and one revision: it is the only key
to that draft, it cannot be made for another, and it expires
``PREVIEW_TOKEN_MAX_AGE`` seconds after the editor asked for it. Nothing is
stored: unlike wagtail-headless-preview (a ``PagePreview`` row per preview,
removed a day or two later), the token itself says what to show.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.core import signing

SALT = "wagtail_pmolib.headless_preview"
_IDENTIFIER = re.compile(r"^id=(\d{1,18});revision=(\d{1,18})$")


class InvalidToken(Exception):
    """The token was not made by this site, was altered, or names nothing."""


class ExpiredToken(InvalidToken):
    """The token was made by this site, longer ago than it may be used."""


def _signer():
    return signing.TimestampSigner(salt=SALT)


def make_token(page_id: int, revision_id: int) -> str:
    return _signer().sign(f"id={page_id};revision={revision_id}")


def read_token(token: str, max_age: int) -> tuple[int, int]:
    """``(page id, revision id)`` of a token made at most ``max_age`` seconds ago."""
    try:
        identifier = _signer().unsign(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ExpiredToken(str(exc)) from None
    except signing.BadSignature as exc:
        raise InvalidToken(str(exc)) from None
    found = _IDENTIFIER.match(identifier)
    if found is None:
        raise InvalidToken("The token names no revision of a page.")
    return int(found.group(1)), int(found.group(2))


def content_type_label(model) -> str:
    """``app_label.modelname``, as wagtail-headless-preview writes ``content_type``."""
    return f"{model._meta.app_label}.{model._meta.model_name}"


def client_url(base: str, model, token: str) -> str:
    separator = "&" if "?" in base else "?"
    query = urlencode({"content_type": content_type_label(model), "token": token})
    return f"{base}{separator}{query}"
