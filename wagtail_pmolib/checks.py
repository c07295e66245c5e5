"""System checks: configuration mistakes reported by ``manage.py check``."""

import json
import re

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse


@register(Tags.compatibility)
def check_settings(app_configs, **kwargs):
    from .conf import pmolib_settings

    try:
        pmolib_settings.validate()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="wagtail_pmolib.E001")]
    return []


@register(Tags.compatibility)
def check_feedback_setup(app_configs, **kwargs):
    messages = []
    if not apps.is_installed("wagtail.contrib.settings"):
        messages.append(
            Warning(
                "wagtail.contrib.settings is not in INSTALLED_APPS: editors cannot change "
                "the feedback texts and rules (the defaults apply).",
                hint="Add 'wagtail.contrib.settings' to INSTALLED_APPS.",
                id="wagtail_pmolib.W001",
            )
        )
    if not endpoint_is_mounted():
        messages.append(
            Warning(
                "wagtail_pmolib.urls is not mounted: feedback posted from cached pages "
                "(which carry no CSRF token) is refused by Django's CSRF protection.",
                hint='Add path("", include("wagtail_pmolib.urls")) to your URLconf, '
                "before Wagtail's own URLs.",
                id="wagtail_pmolib.W002",
            )
        )
    return messages


def endpoint_is_mounted() -> bool:
    """Whether the host's URLconf includes ``wagtail_pmolib.urls``."""
    try:
        reverse("wagtail_pmolib:feedback", kwargs={"path": "x/"})
    except NoReverseMatch:
        return False
    return True


# What a host puts in DATABASES["default"]["OPTIONS"] for SQLite under concurrent use
# (README, "SQLite in production"); the example site uses exactly this.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
}
# Below this (seconds), writers queued behind a burst of votes give up.
SQLITE_MIN_TIMEOUT = 5
SQLITE_DEFAULT_TIMEOUT = 5  # Python's sqlite3.connect()


def sqlite_problems(database: dict) -> list[str]:
    """What ``database`` (a ``DATABASES`` entry for SQLite) lacks for concurrent
    requests, each with what it costs; empty when it is set up for them."""
    options = database.get("OPTIONS") or {}
    init_command = str(options.get("init_command") or "")
    pragmas = {
        name.lower(): value.strip().strip("'\"").lower()
        for name, value in re.findall(
            r"pragma\s+(?:\w+\.)?(\w+)\s*=\s*([^;]+)", init_command, flags=re.IGNORECASE
        )
    }
    problems = []
    if str(options.get("transaction_mode") or "").upper() not in ("IMMEDIATE", "EXCLUSIVE"):
        problems.append(
            'transaction_mode is not "IMMEDIATE": a transaction that reads, then '
            "writes (every vote) fails at once with 'database is locked' when another "
            "request is writing, without waiting its turn, and the visitor's vote is "
            "refused (503, try again)"
        )
    if pragmas.get("journal_mode") != "wal":
        problems.append(
            "the journal is not WAL: page views and searches wait while another "
            "request commits a write, and writers wait for every reader"
        )
    timeout = options.get("timeout", SQLITE_DEFAULT_TIMEOUT)
    if pragmas.get("busy_timeout", "").isdigit():
        timeout = int(pragmas["busy_timeout"]) / 1000  # milliseconds, applied last
    if not isinstance(timeout, int | float) or timeout < SQLITE_MIN_TIMEOUT:
        problems.append(
            f"the busy timeout is {timeout!r} s: a write queued behind others gives "
            f"up with 'database is locked' (a vote is refused) after less than "
            f"{SQLITE_MIN_TIMEOUT} s"
        )
    return problems


@register(Tags.compatibility)
def check_sqlite_concurrency(app_configs, **kwargs):
    """SQLite as the default database, set up for one request at a time.

    A normal check, not only ``--deploy``: ``runserver`` serves requests in
    threads too, sites on SQLite often go live without ``check --deploy``, and
    the fix costs nothing in development.
    """
    return sqlite_warnings(settings.DATABASES.get("default") or {})


def sqlite_warnings(database: dict) -> list:
    """W003 for ``database`` (a ``DATABASES`` entry) when it is a SQLite file without
    the options for concurrent requests. An in-memory database (tests) is private
    to one process and exempt."""
    from django.db.backends.sqlite3.creation import DatabaseCreation
    from django.db.utils import load_backend

    try:
        backend = load_backend(database.get("ENGINE", ""))
    except ImproperlyConfigured:
        return []  # Django reports a backend it cannot load
    if backend.DatabaseWrapper.vendor != "sqlite":
        return []
    if DatabaseCreation.is_in_memory_db(database.get("NAME") or ""):
        return []
    problems = sqlite_problems(database)
    if not problems:
        return []
    return [
        Warning(
            "The default database is SQLite, not set up for requests at the same "
            "moment: " + "; ".join(problems) + ".",
            hint=f'Set DATABASES["default"]["OPTIONS"] = {json.dumps(SQLITE_OPTIONS)} '
            "(Django 5.1+). For several server processes, prefer PostgreSQL.",
            id="wagtail_pmolib.W003",
        )
    ]


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    """The feedback rate limit counts in the default cache: per process unless shared."""
    from django.core.cache.backends.dummy import DummyCache
    from django.core.cache.backends.locmem import LocMemCache
    from django.utils.module_loading import import_string

    from .conf import pmolib_settings

    backend_path = settings.CACHES.get("default", {}).get("BACKEND", "")
    try:
        backend = import_string(backend_path)
    except ImportError:
        return []  # Django's own cache checks report a backend that cannot be imported
    try:
        limit = (
            f"{pmolib_settings.RATE_LIMIT} feedback submissions per visitor every "
            f"{pmolib_settings.RATE_LIMIT_PERIOD} s"
        )
    except ImproperlyConfigured:  # reported as wagtail_pmolib.E001
        limit = "RATE_LIMIT per RATE_LIMIT_PERIOD"
    if issubclass(backend, DummyCache):
        cost = (
            f"DummyCache, which keeps nothing: the rate limit ({limit}) never "
            "applies, so one visitor can post feedback without limit"
        )
    elif issubclass(backend, LocMemCache):
        cost = (
            f"LocMemCache, kept in each process's memory: every process counts the rate "
            f"limit ({limit}) on its own, so with 4 worker processes a visitor may send "
            "4 times as many"
        )
    else:
        return []
    return [
        Warning(
            f"The default cache is {cost}.",
            hint="Give the default cache a backend every process shares (Redis, Memcached, "
            'the database): e.g. CACHES = {"default": {"BACKEND": '
            '"django.core.cache.backends.redis.RedisCache", "LOCATION": '
            '"redis://127.0.0.1:6379/1"}}. A site served by one process may ignore this.',
            id="wagtail_pmolib.W004",
        )
    ]


@register(Tags.security)
def check_gated_documents(app_configs, **kwargs):
    """E002: ``WAGTAILDOCS_SERVE_METHOD = "direct"`` links documents to the storage,
    past Wagtail's ``before_serve_document`` hook, so members-only sessions'
    handouts would download for anyone: an error once a session is gated (asked
    of the database; nothing when it cannot answer yet, e.g. before ``migrate``)."""
    from django.db import DatabaseError

    if getattr(settings, "WAGTAILDOCS_SERVE_METHOD", None) != "direct":
        return []
    models = [
        model
        for model in apps.get_models()
        if getattr(model, "stores_effective_access", False) and not model._meta.proxy
    ]
    try:
        gated = any(model.objects.exclude(access_effective="free").exists() for model in models)
    except DatabaseError:
        return []
    if not gated:
        return []
    return [
        Error(
            'WAGTAILDOCS_SERVE_METHOD is "direct": documents are linked to the storage, '
            "so the handouts, recordings and captions of members-only sessions download "
            "for anyone with the address.",
            hint='Use "serve_view" (or "redirect" to a storage whose addresses are not '
            "public), so Wagtail's document view asks the library who may download.",
            id="wagtail_pmolib.E002",
        )
    ]
