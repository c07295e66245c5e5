#!/usr/bin/env python
"""The Django side of the load test (``benchmarks/load.py``): the example site's
content, an editor at work, and the votes the database holds.

It runs as its own process with the example site's settings, against the
database and cache that ``DATABASE_URL`` and ``CACHE_URL`` name, as cron, a
shell or the admin would on a real site:

    load_site.py setup --sessions 12     the plain pages and the probe sessions;
                                          prints what the clients need (JSON)
    load_site.py edit --duration 30 --interval 3 --first 13
                                          prints {"action": "ready"}, waits for a
                                          line on standard input, then publishes,
                                          unpublishes and restricts probe sessions
                                          for DURATION seconds; one JSON line per
                                          change, printed after its commit
    load_site.py votes < visitors.json   the stored votes and summaries (JSON)

Probe sessions are sessions of "PMO Conference 2022" (after ``pmolib_demo``)
whose title, address and second speaker carry a token ``lt0007q`` found
nowhere else, so a response that shows one of them anywhere (listing, search
result, facet, suggestion, neighbour, "other sessions by") is recognised by
the token alone. Their first speaker is one of the seed session's, so the
seed's "other sessions by" lists the newest of them; they start after every
demo session, so the newest are on the library's first page.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_DIR / "example_site"), str(REPO_DIR)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_site.settings")

CONFERENCE_SLUG = "pmo-conference-2022"
SHARED_SPEAKER = "Priya Raman"  # a speaker of the seed session
FIRST_START = datetime.datetime(2022, 11, 2, 16, 0, tzinfo=datetime.UTC)
TOPICS = [
    "Portfolio governance that teams welcome",
    "Benefits tracking without the spreadsheet",
    "A service catalogue for a small PMO",
    "Resource planning across forty projects",
    "Hybrid delivery and the portfolio board",
    "Lessons learned that someone reads",
]


def token(number: int) -> str:
    """``lt0007q``: fixed width, so no token is part of another."""
    return f"lt{number:04d}q"


def setup_django():
    import django

    django.setup()


def probe_url(number: int) -> str:
    return f"/library/{CONFERENCE_SLUG}/load-probe-{token(number)}/"


# --- setup ---------------------------------------------------------------------


def publish_child(parent, page):
    """Add ``page`` under ``parent`` as a draft and publish it from a revision, as
    an editor does in the admin."""
    page.live = False
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def make_probe_session(conference, number):
    from wagtail_pmolib.models import ConferenceTheme, SessionPage, SessionSpeaker, Speaker

    themes = list(ConferenceTheme.objects.filter(page=conference).order_by("sort_order", "pk"))
    shared = Speaker.objects.get(name=SHARED_SPEAKER)
    own = Speaker.objects.create(
        name=f"Probe Speaker {token(number)}", role="Load tester", organisation="Loopback"
    )
    page = SessionPage(
        title=f"Load probe {token(number)} – {TOPICS[number % len(TOPICS)]}",
        slug=f"load-probe-{token(number)}",
        theme=themes[number % len(themes)] if themes else None,
        starts_at=FIRST_START + datetime.timedelta(minutes=5 * number),
        duration_minutes=30,
        abstract=(
            "<p>A probe session of the load test: portfolio value, PMO services and "
            "the people who run them.</p>"
        ),
    )
    page.session_speakers.add(SessionSpeaker(speaker=shared))
    page.session_speakers.add(SessionSpeaker(speaker=own))
    publish_child(conference, page)
    return page


def store_embeds():
    """Store the recordings' players in Wagtail's embed table, as the first views
    would on a site with network access (from the test suite's stub provider):
    the site under load then never asks YouTube or Vimeo."""
    from wagtail.embeds.embeds import get_embed_hash
    from wagtail.embeds.models import Embed

    from tests.embed_finders import StubOEmbedFinder
    from wagtail_pmolib.models import SessionPage

    finder = StubOEmbedFinder()
    for page in SessionPage.objects.all():
        for child in page.recording:
            url = child.value.get("url")
            if url and finder.accept(url):
                Embed.objects.update_or_create(
                    hash=get_embed_hash(url), defaults={"url": url, **finder.find_embed(url)}
                )


def setup(args):
    from django.db import transaction
    from wagtail.models import Page, Site

    import wagtail_pmolib
    from wagtail_pmolib.models import ConferencePage, LibraryIndexPage, SessionPage, Speaker
    from wagtail_pmolib.search.scope import theme_key

    site = Site.objects.get(is_default_site=True)
    with transaction.atomic():
        # The yardstick: Wagtail's bare Page, at the depth of a session.
        parent = site.root_page
        for slug in ("plain-library", "plain-conference", "plain-page"):
            found = parent.get_children().filter(slug=slug).first()
            parent = found or publish_child(
                parent, Page(title=slug.replace("-", " ").capitalize(), slug=slug)
            )
        plain = parent
        library = LibraryIndexPage.objects.get(slug="library")
        conference = ConferencePage.objects.get(slug=CONFERENCE_SLUG)
        probes = [make_probe_session(conference, n) for n in range(1, args.sessions + 1)]
    store_embeds()
    assert plain.depth == conference.depth + 1, "the plain page is not at a session's depth"
    sessions = (
        SessionPage.objects.live().descendant_of(library).exclude(slug__startswith="load-probe-")
    )
    conferences = ConferencePage.objects.live().descendant_of(library)
    info = {
        "library_url": library.url,
        "plain_url": plain.url,
        "conferences": [c.pk for c in conferences],
        "themes": sorted({theme_key(t.name) for c in conferences for t in c.themes.all()}),
        "speakers": list(
            Speaker.objects.exclude(name__startswith="Probe Speaker").values_list("pk", flat=True)
        ),
        "sessions": {s.url: s.pk for s in sessions.order_by("path")},
        "probes": [
            {"number": n, "token": token(n), "url": p.url, "page_id": p.pk}
            for n, p in enumerate(probes, 1)
        ],
        "next_number": args.sessions + 1,
        "package": str(Path(wagtail_pmolib.__file__).resolve().parent),
    }
    assert all(p["url"] == probe_url(p["number"]) for p in info["probes"])
    assert Page.objects.filter(pk=plain.pk, live=True).exists()
    print(json.dumps(info))


# --- the editor ----------------------------------------------------------------


def committed(action, run):
    """Run ``action`` in a transaction, retrying a locked database (SQLite) as an
    editor would retry a failed save; returns the event to report."""
    from django.db import OperationalError, transaction

    attempts, errors, first = 0, [], time.time()
    while True:
        attempts += 1
        started = time.time()
        try:
            with transaction.atomic():
                result = action()
        except OperationalError as exc:
            errors.append(str(exc))
            if attempts >= 5:
                return {
                    **run,
                    "started": first,
                    "committed": None,
                    "attempts": attempts,
                    "errors": errors,
                }
            time.sleep(0.1)
            continue
        # time.time() once the commit (and its on_commit callbacks) returned: a
        # response that started later must not show the old state.
        done = time.time()
        return {
            **run,
            **(result or {}),
            "started": started,
            "committed": done,
            "attempts": attempts,
            "errors": errors,
        }


def visible_probes():
    from wagtail.models import PageViewRestriction

    from wagtail_pmolib.models import SessionPage

    restricted = PageViewRestriction.objects.values("page_id")
    return list(
        SessionPage.objects.live()
        .filter(slug__startswith="load-probe-")
        .exclude(pk__in=restricted)
        .order_by("-starts_at")
    )


def emit(event):
    print(json.dumps(event), flush=True)


def edit(args):
    """Every ``interval`` seconds: publish a new probe session, unpublish one and
    make another login-only, each in its own transaction, for ``duration`` seconds
    from the go (a line on standard input)."""
    from wagtail.models import PageViewRestriction

    from wagtail_pmolib.models import ConferencePage, SessionPage

    conference = ConferencePage.objects.get(slug=CONFERENCE_SLUG)
    number = args.first
    gap = args.interval / 3
    visible_probes()  # connected and ready
    emit({"action": "ready"})
    sys.stdin.readline()
    until = time.time() + args.duration

    def publish(n):
        def action():
            page = make_probe_session(conference, n)
            return {"page_id": page.pk}

        return committed(
            action, {"action": "publish", "token": token(n), "url": probe_url(n), "number": n}
        )

    def hide(kind):
        # The newest visible session but one: the newest stays, so the library's
        # first page always has a session whose publication it must show, and the
        # one hidden is on that first page and in the seed's "other sessions by".
        candidates = visible_probes()
        if len(candidates) < 2:
            return None
        page = candidates[1]

        def action():
            if kind == "unpublish":
                # Fetched afresh in each attempt: a rolled-back attempt leaves the
                # instance changed.
                SessionPage.objects.get(pk=page.pk).unpublish()
            else:
                PageViewRestriction.objects.create(
                    page=page, restriction_type=PageViewRestriction.LOGIN
                )

        n = int(page.slug.removeprefix("load-probe-lt")[:4])
        return committed(
            action,
            {"action": kind, "token": token(n), "url": page.url, "number": n, "page_id": page.pk},
        )

    while time.time() + args.interval <= until:
        if len(visible_probes()) < 3:
            emit(publish(number))
            number += 1
        emit(publish(number))
        number += 1
        time.sleep(gap)
        for kind in ("unpublish", "restrict"):
            event = hide(kind)
            if event is not None:
                emit(event)
            time.sleep(gap)


# --- votes ---------------------------------------------------------------------


def votes(args):
    """The stored votes, by page and visitor (the visitors come in on standard
    input as [user agent, address], or a user agent from ``--address``: the key is
    computed as the site computes it)."""
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from wagtail_pmolib.feedback.identity import visitor_for
    from wagtail_pmolib.models import Feedback, RatingSummary

    agents = json.load(sys.stdin)
    factory = RequestFactory()
    by_key = {}
    for entry in agents:
        agent, address = (entry, args.address) if isinstance(entry, str) else entry
        request = factory.get("/", HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
        request.user = AnonymousUser()
        by_key[visitor_for(request).key] = agent
    rows = [
        {
            "page_id": page_id,
            "agent": by_key.get(visitor),
            "rating": rating,
            "period": period,
            "status": status,
        }
        for page_id, visitor, rating, period, status in Feedback.objects.values_list(
            "page_id", "visitor", "rating", "period", "status"
        )
    ]
    summaries = {
        str(s.page_id): {"count": s.count, "total": s.total, "period": s.period}
        for s in RatingSummary.objects.all()
    }
    print(json.dumps({"rows": rows, "summaries": summaries}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("setup")
    p.add_argument("--sessions", type=int, default=12)
    p = sub.add_parser("edit")
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--interval", type=float, default=3.0)
    p.add_argument("--first", type=int, required=True)
    p = sub.add_parser("votes")
    p.add_argument("--address", default="127.0.0.1")
    args = parser.parse_args(argv)
    setup_django()
    {"setup": setup, "edit": edit, "votes": votes}[args.command](args)


if __name__ == "__main__":
    main()
