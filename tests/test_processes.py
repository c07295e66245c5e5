"""One truth across processes (issue 8): a change committed by one process is seen
by every other process on its next request, with a per-process cache (what a
``wagtail start`` site has) and with a shared one (Redis).

Each test runs real, separate Python processes (``tests/processes``) on one
database: two web processes that have already served and cached the library,
an editor (the admin, the shell) and cron (``publish_scheduled``). On SQLite
the database is a file in a temporary folder; on PostgreSQL (``DATABASE_URL``)
a throw-away database on the same server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from tests.feedback.test_cache import REDIS_URL, redis_problem

from .processes import ROOT, SiteProcess, unique

SETUP = r"""
import datetime
from django.utils.text import slugify
from wagtail.models import Site, Page, PageViewRestriction
from wagtail_pmolib.models import (
    ConferencePage, ConferenceTheme, LibraryIndexPage, SessionPage, SessionSpeaker, Speaker,
)

_root = Site.objects.get(is_default_site=True).root_page
library = LibraryIndexPage.objects.filter(slug="library").first()
if library is None:
    library = _root.add_child(instance=LibraryIndexPage(title="Library", slug="library"))
    library.save_revision().publish()


def make_conference(title):
    page = ConferencePage(title=title, slug=slugify(title))
    page.themes.add(ConferenceTheme(name=f"Theme of {title}"))
    library.add_child(instance=page)
    page.save_revision().publish()
    return page


def make_session(conference, title, speakers, hour, **fields):
    page = SessionPage(
        title=title,
        slug=slugify(title),
        starts_at=datetime.datetime(2021, 11, 2, hour, tzinfo=datetime.timezone.utc),
        abstract=f"<p>About {title}.</p>",
        **fields,
    )
    for speaker in speakers:
        page.session_speakers.add(SessionSpeaker(speaker=speaker))
    conference.add_child(instance=page)
    page.save_revision().publish()
    return page


def make_scenario(word):
    # Conference X: Alpha, Bravo, Charlie (in that order); conference Y: Delta.
    # Shared speaks in all four; only Bravo has Private.
    x = make_conference(f"Conference {word}")
    y = make_conference(f"Elsewhere {word}")
    shared = Speaker.objects.create(name=f"Shared {word}")
    private = Speaker.objects.create(name=f"Privatus{word} Person")
    pages = {
        "alpha": make_session(x, f"Alpha {word}", [shared], 10),
        "bravo": make_session(x, f"Bravo{word} session", [shared, private], 11),
        "charlie": make_session(x, f"Charlie {word}", [shared], 12),
        "delta": make_session(y, f"Delta {word}", [shared], 10),
    }
    return {
        "library": library.url,
        "conference_x": x.pk,
        "conference_y": y.pk,
        "shared": shared.pk,
        "private": private.pk,
        "private_name": private.name,
        **{f"{k}_url": p.url for k, p in pages.items()},
        **{f"{k}_title": p.title for k, p in pages.items()},
        **{f"{k}_pk": p.pk for k, p in pages.items()},
    }
"""


def _database(tmp_path_factory):
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        base = url.rsplit("/", 1)[0]
        name = f"pmolib_processes_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')

        def drop():
            with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return f"{base}/{name}", drop
    path = tmp_path_factory.mktemp("processes") / "site.sqlite3"
    return f"sqlite:///{path}", lambda: None


@pytest.fixture(scope="module")
def shared_database(tmp_path_factory):
    url, drop = _database(tmp_path_factory)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "django", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.processes.settings",
                "DATABASE_URL": url,
            },
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr[-4000:]
        yield url
    finally:
        drop()


@pytest.fixture(scope="module", params=["locmem", "redis"])
def site(request, shared_database, tmp_path_factory):
    """Four processes on one database: ``web1``, ``web2``, ``editor``, ``cron``."""
    if request.param == "redis":
        problem = redis_problem()
        if problem:
            if os.environ.get("PMOLIB_REQUIRE_REDIS") == "1":
                pytest.fail(f"PMOLIB_REQUIRE_REDIS=1 but {problem}")
            pytest.skip(problem)
        cache = f"{REDIS_URL}#pmolib-processes-{uuid.uuid4().hex}"
    else:
        cache = "locmem"
    media = str(tmp_path_factory.mktemp("media"))
    processes = {
        name: SiteProcess(shared_database, cache=cache, media_root=media)
        for name in ("web1", "web2", "editor", "cron")
    }
    try:
        assert len({p.pid for p in processes.values()} | {os.getpid()}) == 5
        processes["editor"].run(SETUP)
        yield processes
    finally:
        for process in processes.values():
            process.close()
        if cache.startswith("redis://"):
            import redis

            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(match=f"{cache.partition('#')[2]}:*"):
                client.delete(key)
            client.close()


@pytest.fixture
def scenario(site):
    return site["editor"].run("result = make_scenario(word)", word=unique("zq"))


def surfaces(web, s):
    """Whether ``web`` links to Bravo and names its private speaker, surface by surface."""
    word = s["bravo_title"].split()[0]
    found = {
        "listing": listing_x(web, s),
        "search": web.get(f"{s['library']}?q={word}")["body"],
        "search for the shared speaker": web.get(f"{s['library']}?q={s['delta_title'].split()[1]}")[
            "body"
        ],
        "speaker filter": web.get(f"{s['library']}?speaker={s['shared']}")["body"],
        "suggestions": web.get(f"{s['library']}suggest/?q={word[:-2]}")["body"],
        "neighbours of Alpha": web.get(s["alpha_url"])["body"],
        "neighbours of Charlie": web.get(s["charlie_url"])["body"],
        "other sessions by, on Delta": web.get(s["delta_url"])["body"],
    }
    return {name: (s["bravo_url"] in b, s["private_name"] in b) for name, b in found.items()}


def listing_x(web, s):
    """The library filtered to conference X: one page, with its facets."""
    return web.get(f"{s['library']}?conference={s['conference_x']}")["body"]


def assert_everywhere(web, s):
    shown = surfaces(web, s)
    assert all(bravo for bravo, _ in shown.values()), shown
    # The private speaker's name is in the listing's facets and in Bravo's results.
    assert shown["listing"][1] and shown["search"][1], shown


def assert_nowhere(web, s):
    shown = surfaces(web, s)
    assert not any(bravo or private for bravo, private in shown.values()), shown


HIDE = {
    "login restriction": """
PageViewRestriction.objects.create(page_id=pk, restriction_type=PageViewRestriction.LOGIN)
""",
    "password restriction": """
PageViewRestriction.objects.create(
    page_id=pk, restriction_type=PageViewRestriction.PASSWORD, password="secret"
)
""",
    "conference restricted": """
PageViewRestriction.objects.create(
    page_id=SessionPage.objects.get(pk=pk).get_parent().pk,
    restriction_type=PageViewRestriction.LOGIN,
)
""",
    "unpublish": "SessionPage.objects.get(pk=pk).unpublish()",
    "delete": "SessionPage.objects.get(pk=pk).delete()",
}

# What Bravo's own address answers afterwards.
OWN_PAGE = {
    "login restriction": 302,
    "password restriction": 200,  # the password form
    "conference restricted": 302,
    "unpublish": 404,
    "delete": 404,
    "expiry": 404,
}


@pytest.mark.parametrize("change", [*HIDE, "expiry"])
def test_a_session_hidden_by_one_process_disappears_from_every_other(site, scenario, change):
    web1, web2 = site["web1"], site["web2"]
    assert_everywhere(web1, scenario)  # web1 has rendered and cached all of it
    assert web1.get(scenario["bravo_url"])["status"] == 200
    if change == "expiry":
        # An editor set an expiry date; cron's publish_scheduled unpublishes it.
        site["editor"].run(
            """
from django.utils import timezone
SessionPage.objects.filter(pk=pk).update(expire_at=timezone.now() - datetime.timedelta(minutes=1))
""",
            pk=scenario["bravo_pk"],
        )
        site["cron"].run(
            "from django.core.management import call_command\ncall_command('publish_scheduled')"
        )
    else:
        site["editor"].run(HIDE[change], pk=scenario["bravo_pk"])
    assert_nowhere(web1, scenario)
    assert_nowhere(web2, scenario)
    own = web1.get(scenario["bravo_url"])
    assert own["status"] == OWN_PAGE[change]
    if change == "password restriction":
        assert "password" in own["body"].lower() and "About Bravo" not in own["body"]


def test_a_session_published_by_one_process_appears_in_every_other(site, scenario):
    web1 = site["web1"]
    assert_everywhere(web1, scenario)
    site["editor"].run("SessionPage.objects.get(pk=pk).unpublish()", pk=scenario["bravo_pk"])
    assert_nowhere(web1, scenario)
    site["editor"].run(
        "SessionPage.objects.get(pk=pk).get_latest_revision().publish()",
        pk=scenario["bravo_pk"],
    )
    assert_everywhere(web1, scenario)
    assert_everywhere(site["web2"], scenario)


def test_lifting_a_restriction_shows_the_session_again(site, scenario):
    web1 = site["web1"]
    site["editor"].run(HIDE["login restriction"], pk=scenario["bravo_pk"])
    assert_nowhere(web1, scenario)
    site["editor"].run(
        "PageViewRestriction.objects.filter(page_id=pk).delete()", pk=scenario["bravo_pk"]
    )
    assert_everywhere(web1, scenario)


def next_link(url):
    return f'rel="next" href="{url}"'


def test_moving_a_session_updates_both_conferences_everywhere(site, scenario):
    web1 = site["web1"]
    assert next_link(scenario["bravo_url"]) in web1.get(scenario["alpha_url"])["body"]
    assert 'rel="next"' not in web1.get(scenario["delta_url"])["body"]
    site["editor"].run(
        "SessionPage.objects.get(pk=pk).move(Page.objects.get(pk=to), pos='last-child')",
        pk=scenario["bravo_pk"],
        to=scenario["conference_y"],
    )
    moved = site["editor"].run("result = Page.objects.get(pk=pk).url", pk=scenario["bravo_pk"])
    assert moved != scenario["bravo_url"]
    assert next_link(scenario["charlie_url"]) in web1.get(scenario["alpha_url"])["body"]
    delta = web1.get(scenario["delta_url"])["body"]
    assert next_link(moved) in delta  # its new neighbour
    assert moved in web1.get(scenario["charlie_url"])["body"]  # other sessions by: new address
    assert web1.get(moved)["status"] == 200
    assert web1.get(scenario["bravo_url"])["status"] == 404
    listing = web1.get(f"{scenario['library']}?conference={scenario['conference_y']}")["body"]
    assert moved in listing and scenario["bravo_url"] not in listing


def test_speaker_conference_and_theme_edits_show_in_every_process(site, scenario):
    web1 = site["web1"]
    alpha = web1.get(scenario["alpha_url"])["body"]
    assert "Shared zq" in alpha
    site["editor"].run(
        """
speaker = Speaker.objects.get(pk=pk)
speaker.name = "Renamed " + speaker.name
speaker.save()
""",
        pk=scenario["shared"],
    )
    assert "Renamed Shared" in web1.get(scenario["alpha_url"])["body"]
    assert "Renamed Shared" in listing_x(web1, scenario)  # the speaker facet
    site["editor"].run(
        """
conference = ConferencePage.objects.get(pk=pk)
conference.title = "Retitled " + conference.title
themes = list(conference.themes.all())
themes[0].name = "Retitled theme"
conference.themes = themes
conference.save_revision().publish()
session = SessionPage.objects.get(pk=alpha)
session.theme = ConferenceTheme.objects.get(page_id=pk)
session.save_revision().publish()
""",
        pk=scenario["conference_x"],
        alpha=scenario["alpha_pk"],
    )
    alpha = web1.get(scenario["alpha_url"])["body"]
    assert "Retitled Conference" in alpha
    assert "Retitled theme" in alpha
    charlie = web1.get(scenario["charlie_url"])["body"]
    assert "Retitled Conference" in charlie  # the heading of every session of it
    assert "Retitled Conference" in listing_x(web1, scenario)
    # Renaming the theme again, in the conference only: its session shows it.
    site["editor"].run(
        """
conference = ConferencePage.objects.get(pk=pk)
themes = list(conference.themes.all())
themes[0].name = "Theme renamed twice"
conference.themes = themes
conference.save_revision().publish()
""",
        pk=scenario["conference_x"],
    )
    assert "Theme renamed twice" in web1.get(scenario["alpha_url"])["body"]
    assert "Theme renamed twice" in listing_x(web1, scenario)  # the theme facet


def test_feedback_settings_and_votes_apply_in_every_process(site, scenario):
    web1, web2 = site["web1"], site["web2"]
    url = scenario["alpha_url"]
    origin = {"origin": "http://testserver", "accept": "application/json"}
    assert "Was this article helpful?" in web1.get(url)["body"]
    vote = web2.post(f"{url}feedback/", {"rating": 4}, as_json=True, **origin)
    assert vote["status"] == 200, vote
    assert "4.0 out of 5 stars" in web1.get(url)["body"]  # web2's vote, on web1
    site["editor"].run(
        """
from wagtail_pmolib.models import FeedbackSettings
found = FeedbackSettings.for_site(Site.objects.get(is_default_site=True))
found.question = "Did this session help?"
found.save()
"""
    )
    assert "Did this session help?" in web1.get(url)["body"]
    site["editor"].run(
        """
from wagtail_pmolib.models import FeedbackSettings
found = FeedbackSettings.for_site(Site.objects.get(is_default_site=True))
found.enabled = False
found.save()
"""
    )
    try:
        refused = web1.post(f"{url}feedback/", {"rating": 1}, as_json=True, **origin)
        assert refused["status"] == 403, refused
        assert "Did this session help?" not in web1.get(url)["body"]
        assert (
            site["editor"].run(
                "from wagtail_pmolib.models import Feedback\n"
                "result = Feedback.objects.filter(page_id=pk).count()",
                pk=scenario["alpha_pk"],
            )
            == 1
        )
    finally:
        site["editor"].run(
            """
from wagtail_pmolib.models import FeedbackSettings
FeedbackSettings.objects.all().delete()
"""
        )
