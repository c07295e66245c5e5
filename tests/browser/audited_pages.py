"""The visitor's pages that the accessibility and HTML checks audit (issue 12,
items 11 and 12), on the demo content: the library index, a search with
results, the seed session before and after a vote, a search with none, and a
members-only session's teaser (issue 11)."""

from .conftest import local_url, vote

PAGES = ("library", "search", "session", "session-voted", "no-results", "teaser")

# A word from the seed handout's PDF and notes; and one nothing matches.
SEARCH = "SORE framework"
NOTHING = "zqxjv"


def audited_url(live_server, demo, name):
    library, seed = demo["library"].url, demo["seed"].url
    return local_url(
        live_server,
        {
            "library": library,
            "search": f"{library}?q=SORE+framework",
            "session": seed,
            "session-voted": seed,
            "no-results": f"{library}?q={NOTHING}",
            "teaser": demo["teaser"].url,
        }[name],
    )


def open_audited(page, live_server, demo, name):
    """Open one audited page in ``page`` as a visitor would see it."""
    page.goto(audited_url(live_server, demo, name))
    page.wait_for_load_state("networkidle")
    if name == "session-voted":
        # Two stars: the comment box opens, is filled and sent.
        vote(page, 2, comment="The sound was too quiet in the second half.")
