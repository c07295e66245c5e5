import pytest
from django.core.checks import run_checks
from django.test import override_settings


def ids(messages):
    return {m.id for m in messages}


def test_a_complete_setup_passes():
    assert not {i for i in ids(run_checks()) if i.startswith("wagtail_pmolib.")}


@override_settings(WAGTAIL_PMOLIB={"NO_SUCH_KEY": 1})
def test_bad_settings_are_an_error_not_a_crash():
    messages = [m for m in run_checks() if m.id == "wagtail_pmolib.E001"]
    assert messages and "NO_SUCH_KEY" in messages[0].msg


@override_settings(ROOT_URLCONF="tests.urls_without_pmolib")
def test_missing_feedback_urls_are_reported():
    assert "wagtail_pmolib.W002" in ids(run_checks())


def test_missing_settings_app_is_reported(monkeypatch):
    from django.apps import apps

    from wagtail_pmolib import checks

    installed = apps.is_installed
    monkeypatch.setattr(
        checks.apps,
        "is_installed",
        lambda name: name != "wagtail.contrib.settings" and installed(name),
    )
    assert "wagtail_pmolib.W001" in ids(checks.check_feedback_setup(None))


# --- SQLite set up for concurrent requests (W003) ---------------------------

RECOMMENDED = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
}
SQLITE_FILE = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/site/db.sqlite3"}


def sqlite_file(**options):
    return {**SQLITE_FILE, "OPTIONS": options}


# What the warning says for each missing piece.
PROBLEMS = {
    "immediate": 'transaction_mode is not "IMMEDIATE"',
    "wal": "the journal is not WAL",
    "timeout": "the busy timeout is",
}


def options(**changes):
    return {**RECOMMENDED, **changes}


@pytest.mark.parametrize(
    ("database", "missing"),
    [
        (sqlite_file(**RECOMMENDED), set()),
        # What `wagtail start` and Django's startproject give: nothing set.
        (SQLITE_FILE, {"immediate", "wal"}),
        (sqlite_file(**options(transaction_mode="DEFERRED")), {"immediate"}),
        (sqlite_file(**options(transaction_mode="exclusive")), set()),
        (sqlite_file(**options(init_command="PRAGMA synchronous=NORMAL")), {"wal"}),
        (sqlite_file(**options(init_command="pragma JOURNAL_MODE = 'wal'")), set()),
        (sqlite_file(**options(init_command="PRAGMA journal_mode=DELETE")), {"wal"}),
        (sqlite_file(**options(timeout=0.1)), {"timeout"}),
        # Python's default busy timeout (5 s) when none is given.
        (sqlite_file(**{k: v for k, v in RECOMMENDED.items() if k != "timeout"}), set()),
        # A busy_timeout pragma runs after connecting: it wins over "timeout".
        (
            sqlite_file(**options(init_command="PRAGMA journal_mode=WAL; PRAGMA busy_timeout=200")),
            {"timeout"},
        ),
        (
            sqlite_file(
                **options(
                    timeout=1, init_command="PRAGMA journal_mode=WAL;PRAGMA busy_timeout=30000"
                )
            ),
            set(),
        ),
        # In memory: one process's private database (the test suite's). Exempt.
        ({"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}, set()),
        (
            {"ENGINE": "django.db.backends.sqlite3", "NAME": "file:x?mode=memory&cache=shared"},
            set(),
        ),
        # Not SQLite.
        ({"ENGINE": "django.db.backends.postgresql", "NAME": "site"}, set()),
    ],
)
def test_sqlite_without_the_options_for_concurrent_requests_is_reported(database, missing):
    from wagtail_pmolib.checks import sqlite_warnings

    messages = sqlite_warnings(database)
    if not missing:
        assert messages == []
        return
    assert [m.id for m in messages] == ["wagtail_pmolib.W003"]
    said = {name for name, text in PROBLEMS.items() if text in messages[0].msg}
    assert said == missing
    # The hint is what to paste into settings: the example site's options.
    hint = messages[0].hint
    assert (
        'DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20, '
        '"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"}'
    ) in hint


def test_the_example_site_and_the_test_settings_set_sqlite_up_for_concurrent_requests(
    monkeypatch,
):
    import runpy
    from pathlib import Path

    from tests.settings import SQLITE_OPTIONS
    from wagtail_pmolib import checks
    from wagtail_pmolib.checks import sqlite_warnings

    monkeypatch.delenv("DATABASE_URL", raising=False)
    path = Path(__file__).resolve().parent.parent / "example_site/example_site/settings.py"
    example = runpy.run_path(str(path))["DATABASES"]["default"]
    assert example["ENGINE"] == "django.db.backends.sqlite3"
    assert example["NAME"].endswith("example_site.sqlite3")
    assert sqlite_warnings(example) == []
    assert example["OPTIONS"] == SQLITE_OPTIONS
    # The warning's hint gives hosts the same options.
    assert SQLITE_OPTIONS == checks.SQLITE_OPTIONS


@pytest.mark.parametrize(("options", "fires"), [({}, True), (RECOMMENDED, False)])
def test_manage_py_check_reports_a_sqlite_file_without_the_options(monkeypatch, options, fires):
    from django.conf import settings

    # The settings entry only: the suite's open connection keeps its own.
    monkeypatch.setitem(settings.DATABASES, "default", sqlite_file(**options))
    assert ("wagtail_pmolib.W003" in ids(run_checks())) is fires


# --- a per-process cache in production (W004, --deploy) ---------------------


@pytest.mark.parametrize(
    ("backend", "fires", "says"),
    [
        ("django.core.cache.backends.locmem.LocMemCache", True, "each process"),
        ("django.core.cache.backends.dummy.DummyCache", True, "never applies"),
        ("django.core.cache.backends.redis.RedisCache", False, None),
        ("django.core.cache.backends.db.DatabaseCache", False, None),
    ],
)
def test_a_per_process_cache_is_reported_by_check_deploy(backend, fires, says):
    caches = {"default": {"BACKEND": backend, "LOCATION": "redis://127.0.0.1:6379/12"}}
    if backend.endswith("DatabaseCache"):
        caches["default"]["LOCATION"] = "pmolib_cache"
    with override_settings(CACHES=caches):
        deploy = [
            m for m in run_checks(include_deployment_checks=True) if m.id == "wagtail_pmolib.W004"
        ]
        normal = [m for m in run_checks() if m.id == "wagtail_pmolib.W004"]
    assert normal == []  # one process in development is fine
    if not fires:
        assert deploy == []
        return
    assert len(deploy) == 1
    assert says in deploy[0].msg
    assert "10 feedback submissions per visitor every 60 s" in deploy[0].msg
    assert "RedisCache" in deploy[0].hint
