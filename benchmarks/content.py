"""The pages the benchmarks request, built the way an editor's publishing would build them.

Tree (every benchmarked page sits at depth 5, so routing costs the same)::

    Root                                   depth 1
    └── site root page                     depth 2
        ├── LibraryIndexPage "PMO Library"                       depth 3
        │   └── ConferencePage "PMO Conference 2021"             depth 4
        │       ├── SessionPage  seed session                     depth 5
        │       ├── SessionPage  1 handout / 20 handouts (groups) depth 5
        │       ├── SessionPage  20 handout blocks                depth 5
        │       └── SessionPage  1 speaker / 6 speakers           depth 5
        └── Page "Plain library"                                  depth 3
            └── Page "Plain conference 2021"                      depth 4
                ├── PlainSessionPage  the seed's content, plain  depth 5
                └── Page  bare reference (wagtailcore/page.html)  depth 5

``build()`` returns the benchmarked pages as ``BenchPage`` records, in the order
the report lists them.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from wagtail_pmolib.demo.pdf import build_pdf
from wagtail_pmolib.models import (
    ConferencePage,
    ConferenceTheme,
    LibraryIndexPage,
    SessionPage,
    SessionSpeaker,
    Speaker,
)

from .plainpage.models import PlainSessionPage

SEED_TITLE = "Step up – Powering up the PMO Service by Overcoming Hierarchical Barriers"

SEED_ABSTRACT = (
    "<p>PMOs are often left in a value quandary. Needed by senior management to help better "
    "decision making, but left just to provide no more than reports and data. Needed by project "
    "managers for resource and support, but treated as just a lowly ‘extra pair of hands’. As "
    "the PMO we are there to make a real difference, but how can we if our stakeholders don’t "
    "give us that opportunity? And the big question for us to own… do we bring that upon "
    "ourselves by the way we behave? And do we collude with the hierarchical behaviour of our "
    "more senior stakeholders?</p>"
    "<p>At this conference keynote, we will unpick this problem, looking at how different PMO "
    "conversations can build stronger engagement and more valued relationships. Ultimately, to "
    "step up to the next level, we need the business to want our PMO services.</p>"
    "<p>At this session, we won’t just talk about PMO relationships, you will watch them in "
    "action, in a scenario played out by professional actors, with audience interaction from "
    "where you sit. There will be debate, laughter, and serious learning. No one will be bored, "
    "we promise.</p>"
)

SEED_NOTICE = (
    "The original recording from the conference cannot be used due to performance rights, "
    "in this article, you’ll find a shortened version."
)

SEED_VIDEO_URL = "https://www.youtube.com/watch?v=pmo2021stepup"

SEED_CHAPTERS = [
    {"time": "0:00", "title": "Introduction"},
    {"time": "4:30", "title": "The SORE framework"},
    {"time": "12:15", "title": "The scenario, played out"},
]

SEED_NOTES = (
    "<h3>The SORE framework</h3>"
    "<p>In this session, we are introduced to a framework that can help us have better "
    "conversations with our stakeholders. In the video is an example of a conversation between "
    "a PM and a project sponsor and how that conversation could be better using the SORE "
    "framework.</p>"
    "<h4>Situation and objectives</h4>"
    "<p>Start from what the sponsor needs to decide, not from the report the PMO has made.</p>"
    "<h4>Risks and expectations</h4>"
    "<p>Say what happens if nothing changes, and what the PMO will do next.</p>"
    "<h3>Negotiation</h3>"
    "<p>What’s interesting about this session is how much negotiation features in those "
    "conversations – if the PMO is going to step up, this is certainly one skill area we could "
    "look at improving on.</p>"
    "<h4>Practising it</h4>"
    "<ul><li>Prepare the conversation.</li><li>Ask before telling.</li>"
    "<li>Agree the next step.</li></ul>"
)

SPEAKERS = [
    ("Lindsay Scott", "Director", "PMO Learning"),
    ("Eileen Roden", "Head of PMO", "PMO Flashmob"),
    ("John McIntyre", "Portfolio Office Lead", "Acme Insurance"),
    ("Priya Shah", "PMO Consultant", "Independent"),
    ("Marcus Webb", "Programme Director", "City Council"),
    ("Ana Costa", "PMO Analyst", "Northwind Logistics"),
]

PHOTO_COLOURS = ["teal", "orange", "purple", "olive", "navy", "maroon"]


@dataclass
class BenchPage:
    key: str
    label: str
    page: Page
    # (substring, how many times it must appear; None: at least once): a request
    # that does not render the content it should aborts the run.
    expect: list[tuple[str, int | None]] = field(default_factory=list)
    url: str = ""
    # Measure the path where the rendered article is not in the fragment cache:
    # run.py bumps the library version (outside the timed region) before each request.
    miss: bool = False
    # Filled in by run.py.
    bytes: int = 0
    queries: int = 0
    queries_stable: bool = True
    sql: list[str] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    def __post_init__(self):
        self.url = self.url or self.page.get_url()


def make_document(title, filename):
    Document = get_document_model()
    document = Document(title=title)
    pdf = build_pdf(title=title, lines=[title, "A handout from PMO Conference 2021."])
    document.file.save(filename, ContentFile(pdf), save=False)
    document.save()
    return document


def make_image(title, colour, size=(240, 240)):
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, "PNG")
    Image = get_image_model()
    image = Image(title=title)
    filename = title.lower().replace(" ", "-") + ".png"
    # The ContentFile needs a name: without one Django's ImageField sees no file
    # and leaves width and height empty (NOT NULL in Wagtail's image table).
    image.file.save(filename, ContentFile(buffer.getvalue(), name=filename), save=False)
    image.save()
    return image


def make_speakers():
    speakers = []
    for (name, role, organisation), colour in zip(SPEAKERS, PHOTO_COLOURS, strict=True):
        photo = make_image(f"Photo of {name}", colour)
        speakers.append(
            Speaker.objects.create(
                name=name,
                role=role,
                organisation=organisation,
                bio=f"{name} works as {role} at {organisation}.",
                photo=photo,
            )
        )
    return speakers


def recording():
    return [
        (
            "recording",
            {
                "url": SEED_VIDEO_URL,
                "status": "shortened",
                "notice": SEED_NOTICE,
                "chapters": SEED_CHAPTERS,
            },
        )
    ]


def handout_value(document, cover=None, description="You can download the handout here"):
    return {"document": document, "title": "", "description": description, "cover": cover}


def seed_body(document):
    return [
        ("heading", {"text": "Handout – The SORE Framework", "level": "h2", "anchor": ""}),
        ("handout", handout_value(document)),
    ]


def handout_group_body(documents, covers):
    return [
        (
            "handouts",
            {
                "heading": "Handouts",
                "anchor": "",
                "description": "Everything from the session to take away.",
                "handouts": [
                    handout_value(document, cover, description=f"Handout {n} of the session.")
                    for n, (document, cover) in enumerate(zip(documents, covers, strict=True), 1)
                ],
            },
        )
    ]


def handout_blocks_body(documents):
    return [
        ("heading", {"text": "Handouts", "level": "h2", "anchor": ""}),
        *(("handout", handout_value(document)) for document in documents),
    ]


def add_session(conference, *, title, slug, speakers, body, starts_at, theme):
    page = SessionPage(
        title=title,
        slug=slug,
        abstract=SEED_ABSTRACT,
        recording=recording(),
        body=body,
        notes=SEED_NOTES,
        starts_at=starts_at,
        duration_minutes=45,
        theme=theme,
    )
    for speaker in speakers:
        page.session_speakers.add(SessionSpeaker(speaker=speaker))
    conference.add_child(instance=page)  # Page.save() cleans: anchors and TOC are made here
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def session_expectations(handouts, speakers):
    return [
        (SEED_NOTICE, 1),
        ("data-pmolib-recording", 1),
        ("The SORE framework", None),
        ('class="pmolib-handout"', handouts),
        ('class="pmolib-speaker"', speakers),
        ('class="pmolib-speaker__photo"', speakers),
        ('id="session-notes"', 1),
        ("pmolib-toc", None),
    ]


def build():
    """Create the content; return the benchmarked pages."""
    site = Site.objects.get(is_default_site=True)
    root = site.root_page

    speakers = make_speakers()
    seed_document = make_document("The SORE Framework", "sore-framework.pdf")
    documents = [seed_document] + [
        make_document(f"Handout {n}", f"handout-{n:02d}.pdf") for n in range(2, 21)
    ]
    covers = [make_image(f"Cover {n}", PHOTO_COLOURS[n % 6], size=(120, 160)) for n in range(1, 21)]

    # --- the library: our page types -------------------------------------
    library = root.add_child(instance=LibraryIndexPage(title="PMO Library", slug="library"))
    conference = ConferencePage(
        title="PMO Conference 2021",
        slug="pmo-conference-2021",
        start_date=datetime.date(2021, 11, 2),
        end_date=datetime.date(2021, 11, 3),
        city="London",
    )
    for name in ("PMO Services", "PMO People", "PMO in Practice"):
        conference.themes.add(ConferenceTheme(name=name))
    library.add_child(instance=conference)
    conference.save_revision().publish()
    theme = conference.themes.get(name="PMO People")

    start = timezone.make_aware(datetime.datetime(2021, 11, 2, 9, 30))
    slot = datetime.timedelta(hours=1)

    def session(n, **kwargs):
        return add_session(conference, starts_at=start + n * slot, theme=theme, **kwargs)

    seed = session(
        1, title=SEED_TITLE, slug="step-up", speakers=speakers[:1], body=seed_body(seed_document)
    )
    handouts_1 = session(
        2,
        title="One handout (a handout group of 1, with cover)",
        slug="handouts-group-1",
        speakers=speakers[:1],
        body=handout_group_body(documents[:1], covers[:1]),
    )
    handouts_20 = session(
        3,
        title="Twenty handouts (a handout group of 20, with covers)",
        slug="handouts-group-20",
        speakers=speakers[:1],
        body=handout_group_body(documents, covers),
    )
    handout_blocks_20 = session(
        4,
        title="Twenty handout blocks",
        slug="handout-blocks-20",
        speakers=speakers[:1],
        body=handout_blocks_body(documents),
    )
    speakers_1 = session(
        5,
        title="One speaker",
        slug="speakers-1",
        speakers=speakers[1:2],
        body=seed_body(seed_document),
    )
    speakers_6 = session(
        6, title="Six speakers", slug="speakers-6", speakers=speakers, body=seed_body(seed_document)
    )

    # --- the yardsticks: plain Wagtail pages at the same depth -------------
    plain_library = root.add_child(instance=Page(title="Plain library", slug="plain-library"))
    plain_conference = plain_library.add_child(
        instance=Page(title="Plain conference 2021", slug="plain-conference-2021")
    )
    plain = plain_conference.add_child(
        instance=PlainSessionPage(
            title=SEED_TITLE,
            slug="step-up-plain",
            abstract=SEED_ABSTRACT,
            recording_url=SEED_VIDEO_URL,
            handout=seed_document,
            notes=SEED_NOTES,
        )
    )
    plain.save_revision().publish()
    bare = plain_conference.add_child(instance=Page(title="Bare reference page", slug="bare"))
    bare.save_revision().publish()

    return [
        BenchPage("bare", "Bare Wagtail Page (reference)", bare, [("Bare reference page", None)]),
        BenchPage(
            "plain",
            "PlainSessionPage (seed content, plain fields)",
            plain,
            [("<iframe", 1), (seed_document.url, 1), ("Session Notes", 1)],
        ),
        BenchPage("seed", "SessionPage: seed session", seed, session_expectations(1, 1)),
        BenchPage(
            "handouts-1", "SessionPage: handout group of 1", handouts_1, session_expectations(1, 1)
        ),
        BenchPage(
            "handouts-20",
            "SessionPage: handout group of 20",
            handouts_20,
            session_expectations(20, 1),
        ),
        BenchPage(
            "handout-blocks-20",
            "SessionPage: 20 handout blocks",
            handout_blocks_20,
            session_expectations(20, 1),
        ),
        BenchPage("speakers-1", "SessionPage: 1 speaker", speakers_1, session_expectations(1, 1)),
        BenchPage("speakers-6", "SessionPage: 6 speakers", speakers_6, session_expectations(1, 6)),
    ]
