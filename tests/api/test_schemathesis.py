"""Schemathesis against the served OpenAPI schema, in process: for every operation,
requests made from the schema (valid ones, and invalid ones) get no 5xx, a status
and a body the schema documents, and invalid input is refused.

``PMOLIB_SCHEMATHESIS_EXAMPLES`` sets the examples per operation and mode (CI runs
more than the suite's default)."""

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.support import API, build_seed_library
from tests.builders import restrict

EXAMPLES = int(os.environ.get("PMOLIB_SCHEMATHESIS_EXAMPLES", "10"))

schema = schemathesis.openapi.from_wsgi(f"{API}openapi.json", WSGIHandler())


@pytest.fixture
def library(db, settings):
    """The seed library, a private session, and small pages, so that generated page
    numbers and ids often name something."""
    settings.WAGTAIL_PMOLIB = {"INDEX_PAGE_SIZE": 2}
    tree = build_seed_library()
    restrict(tree.next_session)
    # Requests are served by Django's own WSGI handler, which closes a database
    # connection it finds in a transaction (the test's) when each request starts
    # and finishes: keep it open, as Django's test client does.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield tree
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_its_schema(case, library):
    excluded = []
    if case.method == "POST":
        # Posting feedback: a body of the documented shape may still be refused by
        # the site's rules, with the documented 400 naming the field (a comment
        # before any rating, a comment that is only blanks, a low rating without
        # the comment a site asks for). Every other check applies.
        excluded.append(positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)
