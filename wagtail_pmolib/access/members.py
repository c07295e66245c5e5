"""Members-only sessions: who may read a session's gated parts (its recording,
handouts and notes), the one rule every surface asks (L3: no HTTP answers here).

A session's level that applies (``models.access``; stored on its row) is

- *free*: everyone reads it in full;
- *members*: signed-in users in one of the groups named in ``MEMBER_GROUPS``
  (every signed-in user when it names none);
- *chosen groups*: signed-in users in one of the groups chosen on the page whose
  level applies (the session, its conference or its library).

Superusers read everything, and so does an editor's preview. Anyone else gets
the teaser: title, conference, speakers, date, abstract and (unless
``TEASER_TABLE_OF_CONTENTS`` is off) the table of contents' headings. Wagtail's
own page privacy (passwords, logins, groups) applies on top, decided first.

The forms:

- ``can_read_full(user, session)``: one session (the groups' query only for a
  *chosen groups* session);
- ``readable_q(user)``: the same as a condition on sessions, for querysets (no
  extra query; an API search filters its sessions with it, and the library's
  search the matches of the members' index with it: ``search.matching``);
- ``access_for(request, session)``: the request's answer, with the sign-in and
  join addresses a teaser offers, remembered on the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db import models
from django.shortcuts import resolve_url

from ..conf import pmolib_settings
from ..models.access import AccessLevel, group_models


def is_member(user) -> bool:
    """Whether ``user`` counts as a member (one query for ``MEMBER_GROUPS``,
    remembered on the user object)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    names = pmolib_settings.MEMBER_GROUPS
    if not names:
        return True
    known = getattr(user, "_pmolib_is_member", None)
    if known is None:
        known = user.groups.filter(name__in=names).exists()
        user._pmolib_is_member = known
    return known


def _in_chosen_groups_q(user, prefix="") -> models.Q:
    """Sessions whose *chosen groups* (on the page whose level applies) include
    one of ``user``'s groups: a subquery per page type with the setting."""
    conditions = [
        models.Q(
            models.Exists(
                through.objects.filter(
                    **{
                        f"{column}_id": models.OuterRef(f"{prefix}access_source_id"),
                        "group__user__pk": user.pk,
                    }
                )
            )
        )
        for through, column in group_models()
    ]
    if not conditions:
        return models.Q(pk__in=[])
    condition = conditions[0]
    for other in conditions[1:]:
        condition |= other
    return condition


def readable_q(user, prefix="") -> models.Q:
    """Sessions (reached through ``prefix``) whose gated parts ``user`` may read,
    as a condition (``None``: an anonymous caller)."""
    free = models.Q(**{f"{prefix}access_effective": AccessLevel.FREE})
    if user is None or not user.is_authenticated or not user.is_active:
        return free
    if user.is_superuser:
        return models.Q()
    condition = free
    if is_member(user):
        condition |= models.Q(**{f"{prefix}access_effective": AccessLevel.MEMBERS})
    groups = models.Q(**{f"{prefix}access_effective": AccessLevel.GROUPS})
    return condition | (groups & _in_chosen_groups_q(user, prefix))


def may_read_gated(user) -> bool:
    """Whether ``readable_q(user)`` may admit a members-only session: signed-in
    active users (a member, a chosen group's, a superuser). Asks nothing of the
    database; an anonymous caller reads free sessions only."""
    return user is not None and user.is_authenticated and user.is_active


def can_read_full(user, session) -> bool:
    """Whether ``user`` may read ``session``'s gated parts (as the session's row
    says; a page type without levels is free)."""
    level = getattr(session, "access_effective", AccessLevel.FREE)
    if level == AccessLevel.FREE:
        return True
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if level == AccessLevel.MEMBERS:
        return is_member(user)
    if session.access_source_id is None:
        return False
    return any(
        through.objects.filter(
            **{f"{column}_id": session.access_source_id, "group__user__pk": user.pk}
        ).exists()
        for through, column in group_models()
    )


@dataclass(frozen=True)
class Access:
    """One request's answer for one session."""

    full: bool  # the gated parts are shown
    level: str  # what applies: free, members or groups
    sign_in_url: str  # returns to the session once signed in ("" when signed in)
    join_url: str
    show_toc: bool  # the teaser's table of contents (always True with ``full``)
    # Embargoed recordings play before their date (``RECORDING_EMBARGO = "non-members"``
    # and the caller is a member).
    early_recordings: bool = False

    @property
    def gated(self) -> bool:
        return self.level != AccessLevel.FREE

    @property
    def outcome(self) -> str:
        """What a cache key holds: what this caller is shown."""
        if self.full:
            return "full-early" if self.early_recordings else "full"
        return (
            "teaser" + ("-toc" if self.show_toc else "") + ("-sign-in" if self.sign_in_url else "")
        )

    def as_dict(self) -> dict:
        return {
            "level": self.level,
            "full": self.full,
            "sign_in_url": self.sign_in_url or None,
            "join_url": self.join_url or None,
        }


def sign_in_url(next_url: str) -> str:
    """``SIGN_IN_URL`` (else ``LOGIN_URL``) with ``next`` set to ``next_url``."""
    base = resolve_url(pmolib_settings.SIGN_IN_URL or settings.LOGIN_URL)
    if not next_url:
        return base
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}{urlencode({'next': next_url})}"


def access_for(request, session) -> Access:
    """``request``'s caller's ``Access`` to ``session`` (remembered on the
    request). A preview (an editor's) shows everything."""
    known = request.__dict__.setdefault("_pmolib_access", {}) if request is not None else {}
    key = getattr(session, "pk", None)
    if key in known:
        return known[key]
    level = getattr(session, "access_effective", AccessLevel.FREE)
    user = getattr(request, "user", None)
    full = bool(getattr(request, "is_preview", False)) or can_read_full(user, session)
    signed_in = user is not None and user.is_authenticated
    next_url = ""
    if request is not None and not full and not signed_in:
        next_url = session.get_url(request) or ""
    access = Access(
        full=full,
        level=level,
        sign_in_url="" if full or signed_in else sign_in_url(next_url),
        join_url="" if full else pmolib_settings.JOIN_URL,
        show_toc=full or pmolib_settings.TEASER_TABLE_OF_CONTENTS,
        early_recordings=full and sees_embargoed_recordings(user),
    )
    if key is not None:
        known[key] = access
    return access


def sees_embargoed_recordings(user) -> bool:
    """Whether recordings "embargoed until a date" play for ``user`` before it:
    for members when ``RECORDING_EMBARGO`` is ``"non-members"``; for no one
    otherwise. Decided per request, so no task lifts an embargo."""
    return pmolib_settings.RECORDING_EMBARGO == "non-members" and is_member(user)


def may_give_feedback(request, page) -> bool:
    """Whether the caller may rate and comment on ``page``: everyone on a free
    page; on a gated one, per ``GATED_FEEDBACK`` (``"readers"``: those with
    access, the default; ``"everyone"``)."""
    if getattr(page, "access_effective", AccessLevel.FREE) == AccessLevel.FREE:
        return True
    if pmolib_settings.GATED_FEEDBACK == "everyone":
        return True
    return access_for(request, page).full


__all__ = [
    "Access",
    "access_for",
    "can_read_full",
    "is_member",
    "may_give_feedback",
    "may_read_gated",
    "readable_q",
    "sees_embargoed_recordings",
    "sign_in_url",
]
