"""A library of N generated sessions for the search benchmarks, built fast.

``build_library(n)`` makes, below the site's root page::

    LibraryIndexPage "Search library (n sessions)"            depth 3
    └── 10 ConferencePages "PMO Conference 2015" … 2024      depth 4, 3 themes each
        └── n SessionPages, spread evenly over them           depth 5

with ~500 shared speakers (``build_speakers``, made once), 1–3 speakers a
session, a recording on ~70% of sessions, a handout (one of a few PDF
documents) on ~50%, and a rating summary on ~40%. Titles, abstracts, notes
and handout descriptions are sentences made from a PMO vocabulary with
``random.Random(seed)``: the same ``n`` and ``seed`` give the same content.

The library and its conferences are created as an editor would create them
(``add_child``, a published revision); the sessions are not: Wagtail's
``add_child`` (a tree lock, a save, signals and a revision each) takes
minutes for 10,000 pages. Their treebeard rows are computed here (``path``
with ``Page._get_path``, ``depth``, the parent's ``numchild``, ``url_path``)
and inserted in bulk: the ``wagtailcore_page`` rows with ``bulk_create``, the
``wagtail_pmolib_sessionpage`` rows (multi-table inheritance, which
``bulk_create`` refuses) with the same batched ``INSERT`` that ``bulk_create``
uses. What ``clean()`` would compute (``has_recording``, ``has_handouts``, the
heading anchors and table of contents) is computed here, the last with the
page's own ``update_table_of_contents()``. Then the search index entries are
made in bulk as ``update_index`` makes them (``SessionPage.get_indexed_objects()``
in chunks of 1,000, ``backend.add_bulk``), and ``check_library`` verifies the
tree (treebeard's invariants, Wagtail's own querysets, two session URLs served)
and the index.

Keep the vocabulary's frequencies in mind when changing it: the benchmark's
queries (``COMMON_QUERY``, ``TWO_WORD_QUERY``, ``RARE_QUERY``) must match
thousands, thousands and a few tens of 10,000 sessions, and some of 20.
"""

from __future__ import annotations

import datetime
import random
import time
import uuid
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.documents import get_document_model
from wagtail.models import Page, Site

from wagtail_pmolib.demo.pdf import build_pdf
from wagtail_pmolib.invalidation import invalidate_everything
from wagtail_pmolib.models import (
    ConferencePage,
    ConferenceTheme,
    LibraryIndexPage,
    RatingSummary,
    SessionPage,
    SessionSpeaker,
    Speaker,
)

# The words the benchmark searches for (see the module docstring).
COMMON_QUERY = "pmo"  # in nearly every session
TWO_WORD_QUERY = "pmo value"  # both words: about a third of the sessions
RARE_QUERY = "kanban"  # one session in RARE_EVERY
RARE_EVERY = 400  # sessions 7, 407, 807, …: 1 of 20, 25 of 10,000

CONFERENCE_YEARS = tuple(range(2015, 2025))
THEME_POOL = (
    "PMO Services",
    "PMO People",
    "PMO in Practice",
    "Portfolio Management",
    "Agile PMO",
    "PMO Tools and Data",
)
SPEAKER_COUNT = 500
DOCUMENT_COUNT = 12
BATCH = 1000

FIRST_NAMES = (  # noqa: SIM905 (a list of 40 names is easier to read this way)
    "Lindsay Eileen John Priya Marcus Ana Sofia Tom Grace Omar Hannah Kwame Mei Lucas "
    "Fatima Daniel Chloe Raj Elena Ben Aisha Peter Ingrid Jorge Nadia Sam Claire Yusuf "
    "Rachel Ivan Laura Kofi Emma Tariq Zoe Hugo Amara Felix Leah Mateo"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Scott Roden McIntyre Shah Webb Costa Murphy Okafor Chen Novak Patel Rossi Byrne "
    "Jensen Kowalski Dubois Haddad Silva Fischer Nakamura Walsh Adeyemi Larsen Moreau "
    "Petrov Lindqvist Garcia Khan Brennan Schmidt Oduya Tanaka Hughes Ferreira Bauer "
    "Ahmed Kelly Nilsson Romero Clarke"
).split()
ROLES = (
    "Head of PMO",
    "PMO Manager",
    "PMO Analyst",
    "Portfolio Office Lead",
    "Programme Director",
    "PMO Consultant",
    "Director",
    "Transformation Lead",
    "Project Controls Manager",
    "Delivery Lead",
)
ORGANISATIONS = (
    "PMO Learning",
    "PMO Flashmob",
    "Acme Insurance",
    "City Council",
    "Northwind Logistics",
    "Contoso Bank",
    "National Rail Services",
    "Fabrikam Energy",
    "NHS Trust",
    "Globex Telecom",
    "Initech",
    "Umbrella Pharma",
    "Wayne Engineering",
    "Stark Manufacturing",
    "Independent",
    "Ministry of Works",
    "Blue Sky Retail",
    "Helix Software",
    "Oceanic Airlines",
    "Vertex Consulting",
)

TOPICS = (
    "portfolio governance",
    "benefits realisation",
    "resource management",
    "stakeholder engagement",
    "project controls",
    "capacity planning",
    "strategic alignment",
    "agile delivery",
    "risk management",
    "change management",
    "reporting and data",
    "PMO maturity",
    "lessons learned",
    "project assurance",
    "hybrid working",
    "decision making",
    "business cases",
    "roadmaps",
    "prioritisation",
    "continuous improvement",
    "dashboards",
    "performance measures",
    "programme delivery",
    "the enterprise PMO",
    "PMO metrics",
    "digital transformation",
    "service design",
    "scheduling",
    "financial management",
    "estimating",
    "dependency management",
    "knowledge management",
    "PMO careers",
    "coaching",
    "facilitation",
    "automation",
    "AI in the PMO",
    "sponsorship",
    "planning",
    "quality management",
)
VERBS = (
    "Rethinking",
    "Scaling",
    "Building",
    "Fixing",
    "Measuring",
    "Simplifying",
    "Growing",
    "Leading",
    "Automating",
    "Reinventing",
    "Selling",
    "Starting",
)
ORG_KINDS = (
    "a global bank",
    "a city council",
    "a hospital trust",
    "a software company",
    "a rail operator",
    "an energy company",
    "a charity",
    "a government department",
    "a retailer",
    "a university",
)
GOALS = (
    "win the trust of senior management",
    "cut the time spent on reports",
    "make portfolio decisions faster",
    "help project managers deliver",
    "show the business what the PMO is for",
    "stop starting and start finishing",
    "plan with real capacity",
    "find the projects worth stopping",
)
VALUE_SENTENCES = (
    "How do you show the value of the PMO when nobody asks for it?",
    "We look at the value the PMO adds, and at the value it is thought to add.",
    "Value is not a report: it is a decision made better or sooner.",
    "The session ends with a simple way to measure PMO value every quarter.",
)
OTHER_SENTENCES = (
    "PMOs are often left just providing reports and data.",
    "Senior stakeholders rarely see what the PMO does until something goes wrong.",
    "There will be debate, laughter and serious learning.",
    "You will leave with three things to try on Monday morning.",
    "Bring your own examples: part of the session is a workshop.",
    "The team started with a spreadsheet and a lot of goodwill.",
    "Nothing here needs a new tool or a bigger budget.",
    "Expect honest stories, including what did not work.",
)
NOTE_HEADINGS = (
    "What we learned",
    "Key takeaways",
    "The framework",
    "Questions from the audience",
    "Getting started",
    "Further reading",
)


@dataclass
class SearchLibrary:
    n: int
    library: LibraryIndexPage
    conferences: list
    seconds: dict = field(default_factory=dict)  # phase → seconds
    index_queries: int = 0  # SQL queries made by the bulk indexing


def _sentence(rng, speaker_name, topic):
    kind = rng.randrange(5)
    if kind == 0:
        return (
            f"In this session, {speaker_name} shows how {rng.choice(ORG_KINDS)} used "
            f"{topic} to {rng.choice(GOALS)}."
        )
    if kind == 1:
        return (
            f"The PMO is asked to {rng.choice(GOALS)}, but {topic} is where it usually gets stuck."
        )
    if kind == 2:
        a, b = rng.sample(TOPICS, 2)
        return f"We look at {topic}, {a} and {b}, and what each means for a PMO."
    if kind == 3:
        return rng.choice(OTHER_SENTENCES)
    return f"{topic[0].upper()}{topic[1:]} is not an end in itself."


def _paragraphs(sentences, per=3):
    return "".join(
        "<p>" + " ".join(sentences[i : i + per]) + "</p>" for i in range(0, len(sentences), per)
    )


def _session_text(rng, i, speaker_name):
    """Title, abstract (HTML), notes (HTML) and a handout description for session ``i``."""
    topic, second = rng.sample(TOPICS, 2)
    verb = rng.choice(VERBS)
    shape = rng.randrange(4)
    if shape == 0:
        title = f"{verb} {topic}: lessons from {rng.choice(ORG_KINDS)}"
    elif shape == 1:
        title = f"{verb} the PMO with {topic} and {second}"
    elif shape == 2:
        title = f"From {topic} to {second}"
    else:
        title = f"{verb} {topic} in the PMO"
    sentences = [_sentence(rng, speaker_name, topic) for _ in range(rng.randint(4, 7))]
    if rng.random() < 0.38:
        sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(VALUE_SENTENCES))
    if i % RARE_EVERY == 7:
        sentences.append("We also show the kanban board the portfolio team uses every week.")
    abstract = _paragraphs(sentences)
    headings = rng.sample(NOTE_HEADINGS, 2)
    notes = (
        f"<h3>{headings[0]}</h3>"
        + _paragraphs([_sentence(rng, speaker_name, second) for _ in range(3)])
        + f"<h3>{headings[1]}</h3><ul>"
        + "".join(f"<li>{rng.choice(OTHER_SENTENCES)}</li>" for _ in range(3))
        + "</ul>"
    )
    description = f"Slides and a one-page guide to {topic}."
    return title, abstract, notes, description


def build_speakers(count=SPEAKER_COUNT, seed=1):
    """``count`` speakers with distinct names (no photos), bulk-created, and indexed."""
    rng = random.Random(seed)
    names = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(names)
    speakers = [
        Speaker(
            name=name,
            slug=f"bench-{slugify(name)}",
            role=rng.choice(ROLES),
            organisation=rng.choice(ORGANISATIONS),
            bio=f"{name} has worked in and around PMOs for {rng.randint(3, 25)} years.",
        )
        for name in names[:count]
    ]
    Speaker.objects.bulk_create(speakers, batch_size=BATCH)
    speakers = list(Speaker.objects.filter(slug__startswith="bench-").order_by("pk"))
    from wagtail.search.backends import get_search_backend

    get_search_backend().add_bulk(Speaker, speakers)  # as update_index would
    return speakers


def build_documents(count=DOCUMENT_COUNT, seed=2):
    """A few PDF handouts, saved as an editor's upload is (their text is extracted)."""
    rng = random.Random(seed)
    Document = get_document_model()
    documents = []
    for n in range(1, count + 1):
        topic = TOPICS[(n * 7) % len(TOPICS)]
        title = f"Guide to {topic} ({n})"
        lines = [rng.choice(OTHER_SENTENCES) for _ in range(6)] + [
            f"A checklist for {topic} in the PMO."
        ]
        document = Document(title=title)
        document.file.save(
            f"search-handout-{n:02d}.pdf", ContentFile(build_pdf(title, lines)), save=False
        )
        document.save()
        documents.append(document)
    return documents


def _add_conferences(library, rng):
    conferences = []
    for year in CONFERENCE_YEARS:
        conference = ConferencePage(
            title=f"PMO Conference {year}",
            slug=f"pmo-conference-{year}",
            start_date=datetime.date(year, 11, 2),
            end_date=datetime.date(year, 11, 3),
            city=rng.choice(("London", "Manchester", "Birmingham", "Leeds", "Bristol")),
        )
        for name in rng.sample(THEME_POOL, 3):
            conference.themes.add(ConferenceTheme(name=name))
        library.add_child(instance=conference)
        conference.save_revision().publish()
        conference.refresh_from_db()
        conferences.append(conference)
    return conferences


def _recording(n):
    return [
        {
            "type": "recording",
            "id": str(uuid.UUID(int=n, version=4)),
            "value": {
                "url": f"https://www.youtube.com/watch?v=pmo{n:07d}",
                "video": None,
                "captions": None,
                "poster": None,
                "status": "full",
                "available_from": None,
                "notice": "",
                "chapters": [],
            },
        }
    ]


def _handout_body(n, document, description):
    return [
        {
            "type": "heading",
            "id": str(uuid.UUID(int=2 * n, version=4)),
            "value": {"text": "Handout", "level": "h2", "anchor": ""},
        },
        {
            "type": "handout",
            "id": str(uuid.UUID(int=2 * n + 1, version=4)),
            "value": {
                "document": document.pk,
                "title": "",
                "description": description,
                "cover": None,
            },
        },
    ]


def _insert_sessions(sessions):
    """INSERT the sessions' own table rows (their ``wagtailcore_page`` rows exist):
    the batched INSERT ``bulk_create`` itself makes, which it refuses to make for a
    multi-table-inherited model."""
    fields = list(SessionPage._meta.local_concrete_fields)
    SessionPage._base_manager.all()._batched_insert(sessions, fields, batch_size=BATCH)


def build_library(n, speakers, documents, *, seed=1, slug=None, index=True):
    """The library of ``n`` sessions (see the module docstring); returns a ``SearchLibrary``."""
    rng = random.Random(seed)
    seconds = {}
    started = time.perf_counter()
    site = Site.objects.get(is_default_site=True)
    library = site.root_page.add_child(
        instance=LibraryIndexPage(
            title=f"Search library ({n:,} sessions)", slug=slug or f"search-library-{n}"
        )
    )
    library.save_revision().publish()
    conferences = _add_conferences(library, rng)
    seconds["library and conferences"] = time.perf_counter() - started

    started = time.perf_counter()
    content_type = ContentType.objects.get_for_model(SessionPage)
    themes = {
        conference.pk: list(ConferenceTheme.objects.filter(page=conference).order_by("pk"))
        for conference in conferences
    }
    published = timezone.now() - datetime.timedelta(days=30)
    pages, sessions, links, ratings = [], [], [], []
    per_conference = [0] * len(conferences)
    for i in range(n):
        c = i * len(conferences) // n
        conference = conferences[c]
        per_conference[c] += 1
        k = per_conference[c]
        chosen = rng.sample(speakers, rng.choice((1, 1, 1, 2, 2, 3)))
        title, abstract, notes, description = _session_text(rng, i, chosen[0].name)
        slug = f"{slugify(title)[:60].rstrip('-')}-{i + 1}"
        starts_at = timezone.make_aware(
            datetime.datetime(conference.start_date.year, 11, 2, 9, 0)
            + datetime.timedelta(days=(k - 1) % 2, minutes=15 * ((k - 1) // 2))
        )
        pages.append(
            Page(
                path=Page._get_path(conference.path, conference.depth + 1, k),
                depth=conference.depth + 1,
                numchild=0,
                translation_key=uuid.uuid4(),  # unique across libraries; not content
                locale_id=conference.locale_id,
                live=True,
                has_unpublished_changes=False,
                first_published_at=published,
                last_published_at=published,
                title=title,
                draft_title=title,
                slug=slug,
                content_type=content_type,
                url_path=f"{conference.url_path}{slug}/",
            )
        )
        has_recording = rng.random() < 0.7
        has_handouts = rng.random() < 0.5
        session = SessionPage(
            title=title,
            abstract=abstract,
            notes=notes,
            theme=rng.choice(themes[conference.pk]),
            starts_at=starts_at,
            duration_minutes=rng.choice((30, 45, 45, 60)),
            recording=_recording(i + 1) if has_recording else [],
            body=_handout_body(i + 1, rng.choice(documents), description) if has_handouts else [],
            has_recording=has_recording,
            has_handouts=has_handouts,
        )
        session.update_table_of_contents()  # anchors and TOC, as clean() makes them
        sessions.append(session)
        links.append(chosen)
        if rng.random() < 0.4:
            stars = [rng.randint(0, 30) for _ in range(5)]
            stars[rng.randrange(5)] += 1
            ratings.append((i, stars))
    seconds["generate content"] = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic():
        Page.objects.bulk_create(pages, batch_size=BATCH)
        if any(page.pk is None for page in pages):  # a database that returns no ids
            ids = dict(
                Page.objects.filter(path__in=[p.path for p in pages]).values_list("path", "pk")
            )
            for page in pages:
                page.pk = ids[page.path]
        for page, session in zip(pages, sessions, strict=True):
            session.page_ptr_id = session.id = page.pk
        _insert_sessions(sessions)
        for conference, count in zip(conferences, per_conference, strict=True):
            Page.objects.filter(pk=conference.pk).update(numchild=count)
        SessionSpeaker.objects.bulk_create(
            [
                SessionSpeaker(page_id=page.pk, speaker_id=speaker.pk, sort_order=order)
                for page, chosen in zip(pages, links, strict=True)
                for order, speaker in enumerate(chosen)
            ],
            batch_size=BATCH,
        )
        RatingSummary.objects.bulk_create(
            [
                RatingSummary(
                    page_id=pages[i].pk,
                    period=1,
                    count=sum(stars),
                    total=sum(n * s for n, s in enumerate(stars, 1)),
                    **{f"stars_{n}": s for n, s in enumerate(stars, 1)},
                )
                for i, stars in ratings
            ],
            batch_size=BATCH,
        )
    invalidate_everything()  # bulk inserts send no signals
    seconds["insert rows"] = time.perf_counter() - started

    built = SearchLibrary(n=n, library=library, conferences=conferences, seconds=seconds)
    if index:
        index_sessions(built)
    return built


def index_sessions(built: SearchLibrary):
    """The sessions' search index entries, made as ``update_index`` makes them
    (``get_indexed_objects()`` in chunks of 1,000 by pk, ``add_bulk``)."""
    from wagtail.search.backends import get_search_backend

    backend = get_search_backend()
    counter = _QueryCounter()
    started = time.perf_counter()
    # As update_index reads them, plus each speaker link's speaker (update_index
    # makes one query per link for it): the same entries, made faster.
    queryset = (
        SessionPage.get_indexed_objects()
        .descendant_of(built.library)
        .prefetch_related("session_speakers__speaker")
        .order_by("pk")
    )
    with connection.execute_wrapper(counter), transaction.atomic():
        last = 0
        while True:
            chunk = list(queryset.filter(pk__gt=last)[:BATCH])
            if not chunk:
                break
            backend.add_bulk(SessionPage, chunk)
            last = chunk[-1].pk
    built.seconds["search index"] = time.perf_counter() - started
    built.index_queries = counter.count


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def check_library(built: SearchLibrary, client=None):
    """Stop the run if the bulk-made tree or index is not what Wagtail would have made:
    treebeard's invariants for the new rows (what ``Page.find_problems()`` checks,
    restricted to this library: it takes seconds on the whole table), Wagtail's
    querysets, two session URLs served, and the search index's answer to a query."""
    from django.db.models import F
    from django.db.models.functions import Length
    from django.test import Client
    from wagtail.search.backends import get_search_backend

    library, n = built.library, built.n
    below = Page.objects.filter(path__startswith=library.path, depth__gt=library.depth)
    if below.annotate(length=Length("path")).exclude(length=F("depth") * Page.steplen).exists():
        raise SystemExit(f"search library of {n}: a path does not match its depth")
    paths = set(below.values_list("path", flat=True))
    if any(path[: -Page.steplen] not in paths | {library.path} for path in paths):
        raise SystemExit(f"search library of {n}: a page has no parent (orphan)")
    for page in [library, *built.conferences]:
        page.refresh_from_db()
        if page.get_children().count() != page.numchild:
            raise SystemExit(f"{page.title}: numchild {page.numchild} is wrong")
    found = SessionPage.objects.live().descendant_of(library).count()
    if found != n:
        raise SystemExit(f"search library of {n}: {found} live sessions below it")
    descendants = library.get_descendants().count()
    if descendants != n + len(built.conferences):
        raise SystemExit(f"search library of {n}: {descendants} descendants")
    client = client or Client()
    sessions = SessionPage.objects.descendant_of(library)
    for page in (sessions.order_by("path").first(), sessions.order_by("-path").first()):
        response = client.get(page.url)
        if response.status_code != 200 or page.title.encode() not in response.content:
            raise SystemExit(f"{page.url} answered {response.status_code}")
    matches = len(get_search_backend().search(RARE_QUERY, sessions))
    wanted = len(range(7, n, RARE_EVERY))
    if matches != wanted:
        raise SystemExit(f"search library of {n}: {RARE_QUERY!r} finds {matches}, not {wanted}")
