"""Which sessions match a visitor's words, as SQL the library's queries can use.

The search backend is reached through Wagtail's backend-neutral API. On
Wagtail's database backends (SQLite FTS5, PostgreSQL, MySQL) the matches are a
subquery (the results' ``get_queryset()``), so filters, facet counts and sorting
run in the database over every match. Other backends (Elasticsearch, OpenSearch)
are handled by ``remote.py``.

Members-only sessions: a session's own index entry holds its teaser only; its
full text is in the members' index (``models.members_text``). A caller who may
read members-only sessions (``access.members.may_read_gated``) matches a
session by its own entry, or by its members' text if ``readable_q`` admits the
caller (``match_q``). Anyone else's matches are the session index's alone: the
same SQL as if the members' index did not exist. On other backends
(``remote.py``) everyone matches the session index alone (teasers).

One backend-specific shortcut: on Wagtail's SQLite backend the neutral subquery
(``pk IN (… MATCH … AND content_type_id IN …)``) makes SQLite probe the FTS5
table once per indexed session, which takes 100–800 ms at 10,000 sessions; the
same match asked of the FTS5 table directly takes a few milliseconds
(``fts5_match``). It is used only when that backend and its FTS5 table are in
use; anything else takes the neutral path.
"""

from __future__ import annotations

from django.db import models
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Lower, Replace
from wagtail.models import Page

from ..conf import pmolib_settings
from .excerpts import stem
from .query import ParsedQuery

DATABASE = "database"  # Wagtail's database backends: matches as a subquery
SQLITE_FTS = "sqlite-fts"  # Wagtail's SQLite backend with its FTS5 table: queried directly
REMOTE = "remote"  # any other backend (Elasticsearch, OpenSearch): see remote.py


def get_backend():
    from wagtail.search.backends import get_search_backend

    return get_search_backend()


def backend_kind(backend=None) -> str:
    backend = backend or get_backend()
    module = type(backend).__module__
    if module.startswith("modelsearch.backends.database.sqlite"):
        from modelsearch.conf import get_app_config

        try:
            get_app_config().get_model("SQLiteFTSIndexEntry")
        except LookupError:  # SQLite without FTS5
            return DATABASE
        return SQLITE_FTS
    if module.startswith("modelsearch.backends.database"):
        return DATABASE
    return REMOTE


def reads_members_text(user, backend=None) -> bool:
    """Whether ``user``'s matches include the members' index (see the module)."""
    from ..access.members import may_read_gated

    return may_read_gated(user) and backend_kind(backend) != REMOTE


def backend_ranks(backend=None, user=None) -> bool:
    """Whether the search backend orders matches by relevance for the library
    (for ``user``'s search).

    ``SEARCH_RANKING = "auto"`` lets every backend rank except Wagtail's SQLite
    (FTS5) backend: it scores each match with a correlated subquery that runs
    the full-text match again, which takes seconds for a common word in a few
    thousand sessions (see the benchmarks). There the library ranks instead
    (``library_ranking``). Backends that are not the database always rank.

    A backend ranks the matches of one index at a time: a session matched only by
    its members' text has no score in the session index. So for a caller whose
    matches include the members' index (``reads_members_text``) the library
    ranks, whatever the setting.
    """
    kind = backend_kind(backend)
    if kind == REMOTE:
        return True
    if reads_members_text(user, backend):
        return False
    setting = pmolib_settings.SEARCH_RANKING
    if setting != "auto":
        return setting == "backend"
    return kind != SQLITE_FTS


def fts5_expression(query: ParsedQuery, operator="and", columns=("title", "body"), prefix=False):
    """An FTS5 ``MATCH`` expression for ``query``, as Wagtail's SQLite backend writes
    it: each word and phrase a quoted string (the words are letters and digits only,
    see ``query.py``), joined with AND or OR, limited to ``columns``. ``prefix``
    makes the last word a prefix (autocomplete)."""
    parts = [f'"{" ".join(phrase)}"' for phrase in query.phrases]
    parts += [f'"{word}"' for word in query.words]
    if prefix and parts:
        parts[-1] += "*"
    joiner = " AND " if operator == "and" else " OR "
    return "{{{}}} : ({})".format(" ".join(columns), joiner.join(parts))


def _fts5_subquery(model, expression):
    from modelsearch.conf import get_app_config
    from modelsearch.utils import get_descendants_content_types_pks

    config = get_app_config()
    entries = config.get_model("IndexEntry")._meta.db_table
    fts = config.get_model("SQLiteFTSIndexEntry")._meta.db_table
    types = ", ".join(str(int(pk)) for pk in get_descendants_content_types_pks(model)) or "NULL"
    # The entries of this model's content types whose row is in the FTS5 match:
    # SQLite reads the match once and the entries through their content-type index.
    return RawSQL(
        f'SELECT CAST("object_id" AS INTEGER) FROM "{entries}" '
        f'WHERE "content_type_id" IN ({types}) '
        f'AND "id" IN (SELECT "rowid" FROM "{fts}" WHERE "{fts}" MATCH %s)',
        [expression],
    )


def matches(model, query: ParsedQuery, operator="and", backend=None) -> RawSQL:
    """The ids of the ``model`` objects matching ``query``, as a subquery for
    ``pk__in`` (database backends only)."""
    backend = backend or get_backend()
    if backend_kind(backend) == SQLITE_FTS:
        return _fts5_subquery(model, fts5_expression(query, operator))
    results = backend.search(
        query.backend_query(operator), model.objects.all(), order_by_relevance=False
    )
    return RawSQL(*results.get_queryset().order_by().values("pk").query.sql_with_params())


def match_q(user, model, query: ParsedQuery, operator="and", backend=None) -> models.Q:
    """The ``model`` sessions ``user`` finds with ``query``, as a condition on
    sessions (database backends): those whose own entry matches, or, for a caller
    who may read members-only sessions, whose members' text matches and that
    ``readable_q`` admits. For anyone else exactly ``pk__in=matches(…)``."""
    from ..access.members import readable_q
    from ..models.members_text import SessionMembersText

    backend = backend or get_backend()
    if not reads_members_text(user, backend):
        return models.Q(pk__in=matches(model, query, operator, backend))
    from ..models.access import AccessLevel

    members = matching_q(SessionMembersText, query, operator, backend)
    # Only members-only sessions are matched by their members' text: a row left
    # for a session that is free now (a task lost or not run yet) is never read.
    gated = ~models.Q(access_effective=AccessLevel.FREE)
    return matching_q(model, query, operator, backend) | (members & gated & readable_q(user))


def matching_q(model, query: ParsedQuery, operator="and", backend=None) -> models.Q:
    """The sessions whose ``model`` object (keyed by the session's id) matches, as a
    condition on sessions, in the form that stays quick beside another index's:
    ``pk IN (…)`` on SQLite's FTS5 table (read once); on the other database
    backends a correlated ``EXISTS`` that reads each session's entry through the
    index entries' unique key. (PostgreSQL estimates one row for a full-text
    match, so ``pk IN (…)`` of one, in an ``OR`` with another, joined every index
    entry to every row of the model's table: seconds at a few thousand sessions.)"""
    backend = backend or get_backend()
    if backend_kind(backend) == SQLITE_FTS:
        return models.Q(pk__in=matches(model, query, operator, backend))
    results = backend.search(
        query.backend_query(operator), model.objects.all(), order_by_relevance=False
    )
    found = results.get_queryset().order_by().filter(pk=models.OuterRef("pk"))
    return models.Q(models.Exists(found))


def autocomplete_matches(model, query: ParsedQuery, backend=None):
    """The same for what a visitor is typing: the last word may be partly typed.
    The session index's autocomplete fields only (titles, speakers' names): never
    the members' index, whoever types."""
    backend = backend or get_backend()
    if backend_kind(backend) == SQLITE_FTS:
        return _fts5_subquery(model, fts5_expression(query, columns=("autocomplete",), prefix=True))
    results = backend.autocomplete(
        " ".join(query.terms), model.objects.all(), order_by_relevance=False
    )
    return results.get_queryset().order_by().values("pk")


def scored(queryset, query: ParsedQuery, operator="and", backend=None):
    """``queryset``'s matches with the backend's relevance as ``_pmolib_score``
    (database backends), through Wagtail's ``annotate_score``, and whether a higher
    score is better (PostgreSQL's ``ts_rank``) or a lower one (SQLite's ``bm25``):
    read from the order the backend gives its results."""
    backend = backend or get_backend()
    results = backend.search(query.backend_query(operator), queryset, order_by_relevance=True)
    found = results.annotate_score("_pmolib_score").get_queryset()
    first = found.query.order_by[0] if found.query.order_by else "-_pmolib_score"
    if isinstance(first, str):
        descending = first.startswith("-")
    else:
        descending = getattr(first, "descending", True)
    return found.order_by(), descending


def ranked(queryset, query: ParsedQuery, operator="and", backend=None):
    """``queryset``'s matches ordered by the backend's relevance (database backends):
    a queryset that more filters may be added to."""
    backend = backend or get_backend()
    return backend.search(
        query.backend_query(operator), queryset, order_by_relevance=True
    ).get_queryset()


# --- The library's own relevance ---------------------------------------------------------

# Characters that end a word before the next one (besides spaces) in titles and names.
_SEPARATORS = ("-", "(", '"', "/")


def words_text(field_name):
    """`` field`` lower-cased with a space before it and separators made spaces, so that
    "a word that starts with x" is ``contains(" x")``."""
    expression = Lower(field_name)
    for separator in _SEPARATORS:
        expression = Replace(expression, models.Value(separator), models.Value(" "))
    return Concat(models.Value(" "), expression, output_field=models.TextField())


def starts_a_word(field_name, term, *, stemmed=True):
    """A condition on ``words_text(…)`` aliased as ``field_name``: one of its words
    starts with ``term`` (its stem by default, as the excerpts mark words:
    "frameworks" finds "framework")."""
    term = term.casefold()
    return models.Q(**{f"{field_name}__contains": " " + (stem(term) if stemmed else term)})


def library_ranking(queryset, query: ParsedQuery, *, conferences=(), themes=(), speakers=None):
    """``queryset`` ordered by the library's relevance: how many of the words the
    title has (a word start, in any case), then how many the names shown with the
    session have (its speakers', its conference's and its theme's), then newest
    first. The names come from the facet statement: ``conferences`` as ``(path,
    title)`` and ``themes`` as ``(id, name)`` pairs, ``speakers`` as ``{id: name}``
    (those whose names have one of the words), so the database only compares ids
    for them. Computed in the database for every match; nothing is kept."""
    from ..models.sessions import SessionSpeaker
    from .excerpts import terms_pattern

    terms = query.terms
    queryset = queryset.alias(
        _pmolib_title_words=words_text("title"),
        _pmolib_parent=models.functions.Substr(
            "path", 1, models.functions.Length("path") - Page.steplen
        ),
    )
    title_score = names_score = models.Value(0)
    for term in terms:
        title_score = title_score + models.Case(
            models.When(starts_a_word("_pmolib_title_words", term), then=1),
            default=0,
            output_field=models.IntegerField(),
        )
        pattern = terms_pattern([term])
        conditions = []
        paths = [path for path, title in conferences if pattern.search(title)]
        if paths:
            conditions.append(models.Q(_pmolib_parent__in=paths))
        ids = [pk for pk, name in themes if pattern.search(name)]
        if ids:
            conditions.append(models.Q(theme_id__in=ids))
        ids = [pk for pk, name in (speakers or {}).items() if pattern.search(name)]
        if ids:
            conditions.append(
                models.Q(
                    models.Exists(
                        SessionSpeaker.objects.filter(
                            page_id=models.OuterRef("pk"), speaker_id__in=ids
                        )
                    )
                )
            )
        if conditions:
            named = conditions[0]
            for condition in conditions[1:]:
                named |= condition
            names_score = names_score + models.Case(
                models.When(named, then=1), default=0, output_field=models.IntegerField()
            )
    keys = []
    for name, score in (("_pmolib_title_score", title_score), ("_pmolib_names_score", names_score)):
        if not isinstance(score, models.Value):  # a constant would be a column number
            queryset = queryset.alias(**{name: score})
            keys.append(models.F(name).desc())
    return queryset.order_by(*keys, *NEWEST)


NEWEST = (
    models.F("starts_at").desc(nulls_last=True),
    models.F("first_published_at").desc(nulls_last=True),
    "path",
)
