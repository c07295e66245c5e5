"""Demo content for ``manage.py pmolib_demo``: the data, and the functions that build it.

The command looks for everything it would create first and reuses what is there,
so running it again changes nothing. All people and organisations are fictional.
"""

from __future__ import annotations

import datetime
import io
import uuid
import zoneinfo

from django.core.files.base import ContentFile
from django.utils.text import slugify
from wagtail.documents import get_document_model
from wagtail.utils.file import hash_filelike

from ..models import ConferencePage, ConferenceTheme, SessionPage, SessionSpeaker, Speaker
from .images import cover_png, get_or_create_image, portrait_png
from .pdf import build_pdf

LONDON = zoneinfo.ZoneInfo("Europe/London")
NBSP = "\u00a0"
THEMES = ["PMO Services", "PMO People", "PMO in Practice"]
YOUTUBE, VIMEO = "https://www.youtube.com/watch?v=", "https://vimeo.com/"
MEMBERS = (
    "<p>The library is available for online and full members with some articles made "
    "available for free members.</p>"
)


def _p(*paragraphs):
    return "".join(f"<p>{text}</p>" for text in paragraphs)


def _ul(*items):
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _chapters(*pairs):
    """A ListBlock's items as the database stores them (each with a type and an id)."""
    return [
        {"type": "item", "value": {"time": time, "title": title}, "id": str(uuid.uuid4())}
        for time, title in pairs
    ]


# --- The seed session, as the original library shows it ---------------------

SEED_TITLE = "Step up – Powering up the PMO Service by Overcoming Hierarchical Barriers"
SEED_SLUG = "step-up-powering-up-the-pmo-service"
SEED_NOTICE = (
    "The original recording from the conference cannot be used due to performance rights, "
    "in this article, you’ll find a shortened version."
)
SEED_ABSTRACT = [
    f"PMOs are often left in a value quandary.{NBSP} Needed by senior management to help "
    "better decision making, but left just to provide no more than reports and data."
    f"{NBSP} Needed by project managers for resource and support, but treated as just a "
    f"lowly ‘extra pair of hands’.{NBSP} As the PMO we are there to make a real difference, "
    f"but how can we if our stakeholders don’t give us that opportunity? {NBSP}And the big "
    "question for us to own… do we bring that upon ourselves by the way we behave? And do "
    "we collude with the hierarchical behaviour of our more senior stakeholders?",
    "At this conference keynote, we will unpick this problem, looking at how different PMO "
    f"conversations can build stronger engagement and more valued relationships.{NBSP} "
    "Ultimately, to step up to the next level, we need the business to want our PMO services.",
    "At this session, we won’t just talk about PMO relationships, you will watch them in "
    "action, in a scenario played out by professional actors, with audience interaction "
    f"from where you sit.{NBSP} There will be debate, laughter, and serious learning.{NBSP} "
    "No one will be bored, we promise.",
]
SEED_NOTES = [
    "In this session, we are introduced to a framework that can help us have better "
    "conversations with our stakeholders. In the video is an example of a conversation "
    "between a PM and a project sponsor and how that conversation could be better using "
    "the SORE framework.",
    "What’s interesting about this session is how much negotiation features in those "
    "conversations – if the PMO is going to step up, this is certainly one skill area we "
    "could look at improving on.",
]
SORE_LINES = [
    "A one-page guide to better conversations with stakeholders.",
    "Before the conversation: what does this stakeholder need from the PMO?",
    "During it: listen first, restate what you heard, then negotiate what happens next.",
    "After it: write down what was agreed and follow it up.",
    "From the session Step up - Powering up the PMO Service (PMO Conference 2021).",
]

LIBRARY = {
    "title": "PMO Conference Library",
    "intro": _p(
        "Watch back all our PMO Conference sessions: recordings, handouts to download "
        "and the notes our team wrote up after each session."
    )
    + MEMBERS,
}
CONFERENCES = [
    {
        "title": "PMO Conference 2021",
        "slug": "pmo-conference-2021",
        "dates": (datetime.date(2021, 11, 2), datetime.date(2021, 11, 3)),
        "intro": _p(
            "PMO Conference 2021 was held in London on 2–3 November 2021 around three "
            "themes: PMO Services, PMO People and PMO in Practice."
        )
        + MEMBERS,
    },
    {
        "title": "PMO Conference 2022",
        "slug": "pmo-conference-2022",
        "dates": (datetime.date(2022, 11, 1), datetime.date(2022, 11, 2)),
        # Its sessions are for members (issue 11); the seed session (2021) stays free.
        "access_level": "members",
        "intro": _p(
            "Two days in London on what the PMO does next, under the same three "
            "themes: PMO Services, PMO People and PMO in Practice."
        )
        + MEMBERS,
    },
]

# name, role, organisation, bio, photo colour (None: no photo)
SPEAKERS = [
    (
        "Priya Raman",
        "Head of PMO",
        "Northwind Consulting",
        "Priya has built PMOs in three sectors and still enjoys a good RAID log.",
        "#1f6f8b",
    ),
    (
        "Eleanor Finch",
        "Executive Coach",
        "Fourth Coffee Learning",
        "Eleanor coaches PMO leaders on influence and directs the actors in our role plays.",
        "#8b3a62",
    ),
    (
        "Tom Achebe",
        "Portfolio Office Manager",
        "Fabrikam Health",
        "Tom runs a portfolio office of twelve and a service catalogue of nine services.",
        "#2e7d32",
    ),
    (
        "Samir Haddad",
        "Agile Delivery Lead",
        "Adatum Energy",
        "Samir helps agile teams and portfolio boards speak the same language.",
        "#b35c00",
    ),
    (
        "Hannah Kowalski",
        "PMO Consultant",
        "Contoso Rail",
        "Hannah specialises in PMO set-up, resource management and lessons learned.",
        None,
    ),
    (
        "Marcus Lindqvist",
        "Director of Change",
        "Tailspin Insurance",
        "Marcus sponsors a change portfolio and is candid about what sponsors need.",
        None,
    ),
    (
        "Grace O'Donnell",
        "PMO Analyst",
        "Woodgrove Council",
        "Grace moved from project support to leading a PMO team within two years.",
        None,
    ),
    (
        "David Osei",
        "Resource Manager",
        "Trey Research",
        "David balances people across forty projects and has opinions on spreadsheets.",
        None,
    ),
    (
        "Ruth Bennett",
        "Reporting and Insight Lead",
        "Relecloud",
        "Ruth designs portfolio dashboards that executives actually read.",
        None,
    ),
    (
        "Kenji Watanabe",
        "Enterprise PMO Lead",
        "Proseware",
        "Kenji leads an enterprise PMO and chairs its portfolio investment board.",
        None,
    ),
]

# Handouts that get a generated cover picture: title -> colour.
COVERS = {"Service Catalogue Template": "#2e7d32", "Hybrid Delivery Playbook": "#b35c00"}

# Each session: "handout" is (document title, description) shown under an h2
# "Handout – …"; "handouts" is (heading, description, [(document title, description)]).
SESSIONS = [
    {
        "conference": "pmo-conference-2021",
        "theme": "PMO People",
        "minutes": 45,
        "title": SEED_TITLE,
        "slug": SEED_SLUG,
        "starts_at": (2021, 11, 2, 10, 0),
        "speakers": ["Eleanor Finch", "Priya Raman"],
        "abstract": SEED_ABSTRACT,
        "recording": {
            "url": YOUTUBE + "Zq3pM0StepU",
            "status": "shortened",
            "notice": SEED_NOTICE,
            "chapters": _chapters(
                ("0:00", "Welcome and the value quandary"),
                ("3:10", "The scenario: a PM and a project sponsor"),
                ("12:40", "Replaying the conversation with SORE"),
                ("24:05", "Questions from the room"),
            ),
        },
        "handout": ("The SORE Framework", "You can download the handout here"),
        "notes": _p(SEED_NOTES[0])
        + "<h3>The SORE framework</h3>"
        + _p(
            "The framework gives a conversation with a senior stakeholder a shape: prepare for "
            "what they need, listen before proposing, and agree what happens next. The replayed "
            "scene shows the same sponsor conversation going somewhere useful."
        )
        + "<h3>Negotiation in stakeholder conversations</h3>"
        + _p(SEED_NOTES[1])
        + "<h4>Where hierarchy gets in the way</h4>"
        + _p(
            "The actors showed how quickly a PMO analyst defers to a sponsor’s framing. "
            "Stepping up starts with noticing when we collude with it."
        )
        + "<h3>Questions to take back to your PMO</h3>"
        + _ul(
            "Which of our services do stakeholders ask for, and which do we push?",
            "Where do we accept being an ‘extra pair of hands’?",
            "Who in the team could practise a sponsor conversation this month?",
        ),
    },
    {
        "conference": "pmo-conference-2021",
        "theme": "PMO Services",
        "minutes": 40,
        "title": "Building a PMO Service Catalogue People Actually Use",
        "starts_at": (2021, 11, 2, 11, 15),
        "speakers": ["Tom Achebe"],
        "abstract": [
            "Most PMOs have a service catalogue; few have one their customers have read. "
            "Tom shows how his portfolio office rewrote theirs around outcomes, cut it "
            "from twenty-two services to nine and now reviews it with its customers."
        ],
        "recording": {
            "url": YOUTUBE + "Pm0SvcCat21",
            "status": "full",
            "chapters": _chapters(
                ("0:00", "Why catalogues fail"),
                ("9:30", "From 22 services to 9"),
                ("27:45", "Reviewing services with customers"),
            ),
        },
        "handouts": (
            "Handouts",
            "The template and checklist Tom’s team uses.",
            [
                ("Service Catalogue Template", "A one-page catalogue, ready to fill in."),
                ("Service Review Checklist", "Six questions for a service review."),
            ],
        ),
        "notes": "<h3>Start from outcomes</h3>"
        + _p("Name each service after what the customer gets, not after what the PMO does.")
        + "<h3>Review with customers</h3>"
        + _p("Each quarter, Tom’s team asks two sponsors whether they would miss each service."),
    },
    {
        "conference": "pmo-conference-2021",
        "theme": "PMO in Practice",
        "minutes": 45,
        "title": "From Reports to Insight: Rethinking PMO Dashboards",
        "starts_at": (2021, 11, 2, 14, 0),
        "speakers": ["Ruth Bennett", "Kenji Watanabe"],
        "abstract": [
            "If the PMO is ‘just reports and data’, make the reports count. Ruth and "
            "Kenji take a monthly portfolio pack apart and rebuild it around the three "
            "decisions the investment board actually makes."
        ],
        "recording": {"url": VIMEO + "640210001", "status": "full"},
        "handout": ("Dashboard Design Cheat Sheet", "Five rules for a one-page dashboard."),
    },
    {
        "conference": "pmo-conference-2021",
        "theme": "PMO People",
        "minutes": 30,
        "title": "The Accidental PMO Manager",
        "starts_at": (2021, 11, 2, 15, 30),
        "speakers": ["Grace O'Donnell"],
        "abstract": [
            "Grace went from project support officer to leading a PMO team in two "
            "years, mostly by accident: an honest talk about learning to manage, finding "
            "mentors and saying no to work that was not the PMO’s to do."
        ],
        "recording": {"status": "unavailable"},
        "notes": "<h3>What Grace wishes she had known</h3>"
        + _ul(
            "Ask for a mentor outside your own organisation.",
            "Write down what the PMO will stop doing.",
            "Your first team meeting sets the tone: make it about them.",
        ),
    },
    {
        "conference": "pmo-conference-2021",
        "theme": "PMO in Practice",
        "minutes": 45,
        "title": "Resource Management Without the Spreadsheet Wars",
        "starts_at": (2021, 11, 3, 9, 30),
        "speakers": ["David Osei", "Hannah Kowalski"],
        "abstract": [
            "Forty projects, one pool of people and a dozen competing spreadsheets. "
            "David and Hannah share how they moved to one capacity plan by role, and "
            "what they had to negotiate with line managers to get there."
        ],
        "recording": {"url": VIMEO + "640210002", "status": "audio"},
        "handouts": (
            "Resource management toolkit",
            "Three tools from the session.",
            [
                ("Capacity Planning Guide", "How to plan capacity by role, three months ahead."),
                (
                    "Skills Matrix Template",
                    "People in rows, skills in columns, 0 to 3 in each cell.",
                ),
                (
                    "Resource Request Form",
                    "One form for every request, with the sponsor’s sign-off.",
                ),
            ],
        ),
    },
    {
        "conference": "pmo-conference-2021",
        "theme": "PMO Services",
        "minutes": 45,
        "title": "Measuring PMO Value: Benefits You Can Defend",
        "starts_at": (2021, 11, 3, 11, 0),
        "speakers": ["Marcus Lindqvist"],
        "abstract": [
            "A sponsor’s view of PMO value: which benefits Marcus believes, which he "
            "does not, and how a PMO can track the difference."
        ],
        "recording": {"url": YOUTUBE + "Pm0Value021", "status": "shortened"},
        "handout": ("Benefits Realisation Tracker", "Benefit, owner, measure, baseline, evidence."),
    },
    {
        "conference": "pmo-conference-2022",
        "theme": "PMO Services",
        "minutes": 50,
        "title": "Keynote: The PMO as a Strategic Partner",
        "starts_at": (2022, 11, 1, 9, 30),
        "speakers": ["Kenji Watanabe", "Priya Raman", "Samir Haddad"],
        "abstract": [
            "A year on from ‘Step up’, three PMO leaders compare notes on getting a seat "
            "at the strategy table, and what they did with it once they had it."
        ],
        "recording": {
            "url": YOUTUBE + "Pm0Keynote2",
            "status": "full",
            "chapters": _chapters(
                ("0:00", "Opening"),
                ("6:20", "Three routes to the strategy table"),
                ("31:00", "Questions from the room"),
            ),
        },
        "notes": "<h3>Three routes to the strategy table</h3>"
        + _ul(
            "Own the portfolio view nobody else has.",
            "Bring options, not reports.",
            "Follow decisions up until they land.",
        )
        + "<h3>What changed since 2021</h3>"
        + _p("All three speakers’ PMOs now report to an executive rather than to delivery."),
    },
    {
        "conference": "pmo-conference-2022",
        "theme": "PMO in Practice",
        "minutes": 45,
        "title": "Hybrid Delivery: Where Agile Teams Meet the Portfolio",
        "starts_at": (2022, 11, 1, 11, 0),
        "speakers": ["Samir Haddad"],
        "abstract": [
            "Agile teams plan in sprints, the board in quarters and finance in years. "
            "Samir shows the cadence that lets all three share one portfolio."
        ],
        "recording": {"url": VIMEO + "760110003", "status": "full"},
        "handouts": (
            "Handouts",
            "",
            [
                ("Hybrid Delivery Playbook", "Cadences, roles and artefacts on two pages."),
                ("Portfolio Kanban Starter Kit", "Columns and entry rules for a portfolio board."),
            ],
        ),
    },
    {
        "conference": "pmo-conference-2022",
        "theme": "PMO People",
        "minutes": 40,
        "title": "Coaching Project Managers: The PMO as Talent Developer",
        "starts_at": (2022, 11, 1, 13, 45),
        "speakers": ["Eleanor Finch", "Grace O'Donnell"],
        "abstract": [
            "What if the PMO’s most valuable service is better project managers? "
            "Eleanor and Grace run a live coaching conversation and unpick it with the "
            "audience."
        ],
        "recording": {
            "url": YOUTUBE + "Pm0Coach022",
            "status": "embargoed",
            "available_from": "2030-11-01",
        },
    },
    {
        "conference": "pmo-conference-2022",
        "theme": "PMO in Practice",
        "minutes": 30,
        "title": "Lessons Learned That Actually Get Learned",
        "starts_at": (2022, 11, 1, 15, 15),
        "speakers": ["Hannah Kowalski"],
        "abstract": [
            "Lessons logs are where lessons go to be forgotten. Hannah’s ninety-minute "
            "workshop turns them into changes with owners and dates."
        ],
        "recording": {
            "url": YOUTUBE + "Pm0Lesson22",
            "status": "shortened",
            "notice": "The workshop exercises have been cut from this recording.",
            "chapters": _chapters(
                ("0:00", "Why lessons logs fail"), ("8:15", "The workshop, step by step")
            ),
        },
        "handout": ("Lessons Learned Workshop Plan", "The workshop plan, minute by minute."),
    },
    {
        "conference": "pmo-conference-2022",
        "theme": "PMO Services",
        "minutes": 45,
        "title": "Running a PMO Maturity Assessment in 30 Days",
        "starts_at": (2022, 11, 2, 10, 0),
        "speakers": ["Tom Achebe", "Ruth Bennett"],
        "abstract": [
            "A maturity assessment does not need a consultancy and six months. Tom and "
            "Ruth walk through a thirty-day self-assessment and what to do with scores."
        ],
        "recording": {"url": YOUTUBE + "Pm0Mature22", "status": "full"},
        "handout": ("PMO Maturity Self-Assessment", "Twenty questions across five areas."),
        "notes": "<h3>Week by week</h3>"
        + _ul(
            "Week 1: agree the scope and who answers.",
            "Weeks 2–3: interviews and evidence.",
            "Week 4: play back the results and pick three priorities.",
        )
        + "<h4>A warning about scores</h4>"
        + _p("Compare your PMO with itself in six months, not with other organisations."),
    },
    {
        "conference": "pmo-conference-2022",
        "theme": "PMO People",
        "minutes": 45,
        "title": "Influence Without Authority: Conversations with Senior Sponsors",
        "starts_at": (2022, 11, 2, 11, 30),
        "speakers": ["Marcus Lindqvist", "Eleanor Finch"],
        "abstract": [
            "A sponsor and a coach replay the conversations PMOs find hardest: saying a "
            "project is in trouble, asking for a decision and pushing back on a deadline."
        ],
        "recording": {"url": YOUTUBE + "Pm0Influe22", "status": "audio"},
        "quote": ("Bring me options and a recommendation, not a RAG status.", "Marcus Lindqvist"),
        "notes": "<h3>Three hard conversations</h3>"
        + _ul(
            "The project is in trouble.",
            "We need a decision by Friday.",
            "That deadline cannot be met.",
        ),
    },
    {
        "conference": "pmo-conference-2022",
        "theme": "PMO People",
        "minutes": 60,
        "title": "Panel: What Next for the PMO Profession?",
        "starts_at": (2022, 11, 2, 15, 0),
        "speakers": ["Priya Raman", "David Osei", "Kenji Watanabe"],
        "abstract": [
            "Careers, qualifications, automation and the PMO of 2030: our panel takes "
            "the audience’s questions."
        ],
        "recording": {"url": VIMEO + "760110004", "status": "full"},
    },
]


# --- Builders: the management command calls these and publishes the pages ----


_PDF_ASCII = str.maketrans({"‘": "'", "’": "'", "–": "-", "…": "...", NBSP: " "})


def get_or_create_document(title, lines):
    """The document called ``title``, or a new one-page PDF of ``lines``: ``(doc, created)``."""
    Document = get_document_model()
    existing = Document.objects.filter(title=title).order_by("pk").first()
    if existing is not None:
        return existing, False
    data = build_pdf(title.translate(_PDF_ASCII), [line.translate(_PDF_ASCII) for line in lines])
    # Size and hash up front, so that nothing needs to save the document again later.
    document = Document(title=title, file_size=len(data), file_hash=hash_filelike(io.BytesIO(data)))
    document.file.save(f"{slugify(title) or 'handout'}.pdf", ContentFile(data), save=False)
    document.save()
    return document, True


def handouts_of(spec):
    """``(document title, description)`` of every handout of a session spec."""
    return ([spec["handout"]] if "handout" in spec else []) + (
        list(spec["handouts"][2]) if "handouts" in spec else []
    )


def _body(spec, documents, covers):
    """A session's body as raw StreamField data, as the database stores it."""

    def handout(title, description):
        cover = covers.get(title)
        return {
            "document": documents[title].pk,
            "title": title,
            "description": description,
            "cover": cover.pk if cover else None,
        }

    body = []
    if "handout" in spec:
        heading = {"text": f"Handout – {spec['handout'][0]}", "level": "h2", "anchor": ""}
        body += [
            {"type": "heading", "value": heading},
            {"type": "handout", "value": handout(*spec["handout"])},
        ]
    if "handouts" in spec:
        heading, description, items = spec["handouts"]
        body.append(
            {
                "type": "handouts",
                "value": {
                    "heading": heading,
                    "anchor": "",
                    "description": description,
                    "handouts": [handout(*item) for item in items],
                },
            }
        )
    if "quote" in spec:
        quote, attribution = spec["quote"]
        body.append({"type": "quote", "value": {"quote": quote, "attribution": attribution}})
    return body


def build_session(conference, spec, speakers, documents, covers):
    recording = {
        "url": "",
        "video": None,
        "captions": None,
        "poster": None,
        "status": "full",
        "available_from": None,
        "notice": "",
        "chapters": [],
        **spec["recording"],
    }
    page = SessionPage(
        title=spec["title"],
        theme=ConferenceTheme.objects.filter(page=conference, name=spec["theme"]).first(),
        starts_at=datetime.datetime(*spec["starts_at"], tzinfo=LONDON),
        duration_minutes=spec["minutes"],
        abstract=_p(*spec["abstract"]),
        recording=[{"type": "recording", "value": recording}],
        body=_body(spec, documents, covers),
        notes=spec.get("notes", ""),
    )
    for name in spec["speakers"]:
        page.session_speakers.add(SessionSpeaker(speaker=speakers[name]))
    return page


def build_conference(spec):
    start, end = spec["dates"]
    page = ConferencePage(
        title=spec["title"],
        start_date=start,
        end_date=end,
        city="London",
        intro=spec["intro"],
        access_level=spec.get("access_level", "inherit"),
    )
    for name in THEMES:
        page.themes.add(ConferenceTheme(name=name))
    return page


def build_speaker(name, role, organisation, bio, photo=None):
    """A new, saved speaker (the command has checked that there is none by this name)."""
    return Speaker.objects.create(
        name=name, role=role, organisation=organisation, bio=bio, photo=photo
    )


def speaker_photo(name, colour):
    """The speaker's generated portrait: ``(image, created)``."""
    return get_or_create_image(f"Speaker photo: {name}", lambda: portrait_png(name, colour))


def handout_cover(title, colour):
    """A handout's generated cover picture: ``(image, created)``."""
    return get_or_create_image(f"Handout cover: {title}", lambda: cover_png(title, colour))


def handout_lines(title, description, session_title):
    if title == "The SORE Framework":
        return SORE_LINES
    return [
        description,
        f"From the session {session_title}.",
        "A demo handout made by wagtail-pmolib.",
    ]
