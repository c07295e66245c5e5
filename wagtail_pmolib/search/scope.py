"""The sessions a visitor may see in a library, decided per request in the database.

Nothing here is kept between requests: a ``LibraryScope`` is made for one
request with one query (the view restrictions below the library), and every
listing, search, facet count and suggestion of that request filters the
sessions through it in SQL. A session is in the scope when it is live, below
the library and not under a view restriction (password, login, groups) the
visitor has not passed. Restrictions on the library itself and above it were
checked by Wagtail before the library page was served.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.models.functions import Concat, Substr
from django.utils.text import slugify
from wagtail.models import Page, PageViewRestriction

from .sql import union_rows


def theme_key(name: str) -> str:
    """Themes are offered by name across editions ("PMO Services" in 2021 and 2022
    is one choice); the URL holds this key."""
    return slugify(name, allow_unicode=True)[:80] or "-"


@dataclass(frozen=True)
class Conference:
    id: int
    path: str
    title: str


@dataclass
class KnownValues:
    """Filter values from an address that name something the visitor may see: a
    conference, theme or speaker with at least one session in the visitor's scope."""

    conferences: dict[int, Conference] = field(default_factory=dict)
    themes: dict[str, str] = field(default_factory=dict)  # key → name
    theme_ids: dict[str, list[int]] = field(default_factory=dict)  # key → ConferenceTheme ids
    speakers: dict[int, str] = field(default_factory=dict)  # id → name
    # Whether a session the visitor may see has all of the words (None: not asked).
    all_words: bool | None = None


def _collapse(paths) -> tuple[str, ...]:
    """The paths, without those below another one of them (shorter first)."""
    kept: list[str] = []
    for path in sorted(set(paths), key=lambda p: (len(p), p)):
        if not any(path.startswith(other) for other in kept):
            kept.append(path)
    return tuple(kept)


@dataclass(frozen=True)
class LibraryScope:
    index_page: Page
    session_model: type
    # Paths of the pages whose view restriction the visitor has not passed: their
    # subtrees are hidden. Nested ones are left out (their ancestor hides them).
    hidden: tuple[str, ...] = ()
    # Whether the visitor sees what anyone sees: the library is under no view
    # restriction and the visitor passed none below it (the search log counts only
    # such searches towards the popular searches offered to visitors).
    public: bool = False
    # The visitor (``None``: anonymous): what of a members-only session they may
    # read (``access.members``) decides its excerpt and its lock.
    user: object = None

    def exclude_hidden(self, queryset, prefix=""):
        """``queryset`` without the hidden subtrees. One ``NOT IN`` per path length:
        the database compares a prefix of each path with a list, whatever the number
        of restrictions, instead of one ``LIKE`` per restriction."""
        by_length: dict[int, list[str]] = {}
        for path in self.hidden:
            by_length.setdefault(len(path), []).append(path)
        for length, paths in sorted(by_length.items()):
            name = f"_pmolib_prefix_{length}"
            queryset = queryset.alias(**{name: Substr(f"{prefix}path", 1, length)}).exclude(
                **{f"{name}__in": paths}
            )
        return queryset

    def hidden_q(self, prefix="") -> models.Q:
        """The same as a ``Q`` of ``startswith`` lookups on ``path``: what a search
        backend that is not the database (Elasticsearch, OpenSearch) can apply, as
        ``path`` is one of Wagtail's ``FilterField``s."""
        q = models.Q()
        for path in self.hidden:
            q &= ~models.Q(**{f"{prefix}path__startswith": path})
        return q

    def allows(self, path: str) -> bool:
        return not any(path.startswith(hidden) for hidden in self.hidden)

    def live_sessions(self):
        """Every live session below the library, visible or not (for the search
        backend, which is then asked to leave out the hidden ones)."""
        return self.session_model.objects.live().descendant_of(self.index_page)

    def sessions(self):
        """The live sessions below the library that the visitor may see."""
        return self.exclude_hidden(self.live_sessions())

    def known_values(self, conferences=(), themes=(), speakers=(), all_words_of=None):
        """Which of these conference ids, theme keys and speaker ids the visitor may
        see, with their names (one query; none without values). With values and a
        query ``all_words_of``, also whether one of the visitor's sessions has all of
        its words (``KnownValues.all_words``; where the library ranks), in the same
        query."""
        from ..models.pages import ConferenceTheme
        from ..models.sessions import SessionSpeaker
        from ..models.speakers import Speaker
        from . import matching

        known = KnownValues()
        if not (conferences or themes or speakers):
            return known
        visible = self.sessions()
        arms = []
        # A conference is checked by a correlated EXISTS that stops at its first visible
        # child, found through the path index (an uncorrelated IN of every visible
        # session's parent read them all: 6 ms of 7 at 10,000 sessions on PostgreSQL).
        # A theme: a correlated EXISTS on the sessions' theme foreign key. Speakers: an
        # IN that the planner turns into a semi-join from the few speakers asked about.
        if conferences:
            # Below the conference: after its path, before its path and "~" (which
            # sorts after every step character).
            children = visible.filter(
                path__gt=models.OuterRef("path"),
                path__lt=Concat(models.OuterRef("path"), models.Value("~")),
                depth=models.OuterRef("depth") + 1,
            )
            arms.append(
                Page.objects.filter(pk__in=conferences)
                .filter(models.Exists(children))
                .order_by()
                .values_list(models.Value(0), "pk", "path", "title")
            )
        if themes:
            arms.append(
                ConferenceTheme.objects.filter(
                    page__path__startswith=self.index_page.path,
                    page__depth__gt=self.index_page.depth,
                )
                .filter(models.Exists(visible.filter(theme_id=models.OuterRef("pk"))))
                .order_by()
                .values_list(models.Value(1), "pk", models.Value(""), "name")
            )
        if speakers:
            linked = SessionSpeaker.objects.filter(page_id__in=visible.values("pk"))
            arms.append(
                Speaker.objects.filter(pk__in=speakers)
                .filter(pk__in=linked.values("speaker_id"))
                .order_by()
                .values_list(models.Value(2), "pk", models.Value(""), "name")
            )
        # Only where the library ranks: where the backend does, the results page comes
        # with the facet counts, and asking again costs less than the match here.
        if all_words_of is not None and not matching.backend_ranks(user=self.user):
            match_all = matching.match_q(self.user, self.session_model, all_words_of, "and")
            known.all_words = False
            arms.append(
                visible.filter(match_all)
                .order_by()
                .values_list(models.Value(3), "pk", models.Value(""), models.Value(""))[:1]
            )
        wanted_themes = set(themes)
        for _position, arm, pk, path, name in union_rows(arms):
            if arm == 0:
                known.conferences[pk] = Conference(pk, path, name)
            elif arm == 1:
                key = theme_key(name)
                if key in wanted_themes:
                    known.themes.setdefault(key, name)
                    known.theme_ids.setdefault(key, []).append(pk)
            elif arm == 2:
                known.speakers[pk] = name
            else:
                known.all_words = True
        return known


def _group_ids(user) -> models.Expression:
    """Per restriction: whether the user is in one of its groups (Wagtail's rule)."""
    if user is None or not user.is_authenticated:
        return models.Value(False)
    if user.is_superuser:
        return models.Value(True)
    through = PageViewRestriction.groups.through
    return models.Exists(
        through.objects.filter(
            pageviewrestriction_id=models.OuterRef("pk"), group__user__pk=user.pk
        )
    )


def scope_for(index_page, request, session_model=None) -> LibraryScope:
    """``request``'s visitor's scope of ``index_page``: one query reads the view
    restrictions below the library, each decided as Wagtail's
    ``PageViewRestriction.accept_request`` decides it (``request`` may be ``None``:
    an anonymous visitor). Only ``request.user`` and ``request.session`` are read.
    The same query reads the restrictions on the library and above it (Wagtail
    checked them before serving the library) for ``LibraryScope.public``."""
    if session_model is None:
        session_model = index_page.get_session_model()
    user = getattr(request, "user", None)
    steplen = Page.steplen
    above = [index_page.path[:end] for end in range(steplen, len(index_page.path) + 1, steplen)]
    rows = (
        PageViewRestriction.objects.filter(
            models.Q(page__path__startswith=index_page.path, page__depth__gt=index_page.depth)
            | models.Q(page__path__in=above)
        )
        .annotate(in_group=_group_ids(user))
        .values_list("pk", "restriction_type", "page__path", "in_group")
    )
    hidden = []
    public = True
    passed_passwords = None
    for pk, kind, path, in_group in rows:
        if kind == PageViewRestriction.NONE:
            continue
        if len(path) <= len(index_page.path):  # the library or above it
            public = False
            continue
        if kind == PageViewRestriction.PASSWORD:
            if passed_passwords is None:
                session = getattr(request, "session", None)
                key = PageViewRestriction.passed_view_restrictions_session_key
                passed_passwords = set(session.get(key, [])) if session is not None else set()
            accepted = pk in passed_passwords
        elif kind == PageViewRestriction.LOGIN:
            accepted = user is not None and user.is_authenticated
        else:  # groups
            accepted = bool(in_group)
        if accepted:
            public = False
        else:
            hidden.append(path)
    return LibraryScope(index_page, session_model, _collapse(hidden), public=public, user=user)
