"""Settings for the test suite.

SQLite in memory by default; ``DATABASE_URL`` (e.g. postgres://postgres@127.0.0.1:5432/test)
runs the same suite on another database. oEmbed lookups go to a stub finder:
the suite makes no network call.
"""

import os
import tempfile

import dj_database_url

SECRET_KEY = "tests-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "Europe/London"
LANGUAGE_CODE = "en-gb"
USE_I18N = True

INSTALLED_APPS = [
    "wagtail_pmolib",
    # A host site's own page type built on ours (tests/models/test_host_types.py).
    "tests.hostapp",
    # The optional modeladmin integration: installed for its tests;
    # WAGTAIL_PMOLIB["FEEDBACK_ADMIN"] (default "snippets") decides which admin shows.
    "wagtail_pmolib.contrib.modeladmin",
    "wagtail_modeladmin",
    # django-tasks-db: the database task backend and its ``db_worker``, for the
    # tests that run the library's tasks through a real queue (tests/test_tasks_worker.py).
    # TASKS is not set: Django's default immediate backend, what a host gets by default.
    "django_tasks_db",
    "wagtail.api.v2",
    "wagtail.contrib.settings",
    "wagtail.contrib.search_promotions",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite for concurrent use, as the README tells hosts (and as the example site
# does): the concurrency tests copy the suite's database into a file and serve
# requests from it with these options (tests/feedback/test_sqlite.py).
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
}

DATABASES = {"default": dj_database_url.config(default="sqlite://:memory:")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] != ":memory:":
        DATABASES["default"]["OPTIONS"] = {
            **SQLITE_OPTIONS,
            **DATABASES["default"].get("OPTIONS", {}),
        }
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
# A second database, made only for the tests that ask for it (several databases
# behind a router: tests/test_invalidation.py).
DATABASES["versions"] = {
    **DATABASES["default"],
    "NAME": DATABASES["default"]["NAME"]
    if DATABASES["default"]["NAME"] == ":memory:"
    else f"{DATABASES['default']['NAME']}_versions",
}
DATABASE_ROUTERS = ["tests.routers.VersionsDatabaseHoldsOnlyVersions"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "/static/"
MEDIA_URL = "/media/"
MEDIA_ROOT = os.path.join(tempfile.gettempdir(), f"pmolib-test-media-{os.getpid()}")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

WAGTAIL_SITE_NAME = "Test library"
WAGTAILADMIN_BASE_URL = "http://testserver"
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "pptx", "vtt", "mp4", "mp3", "txt"]
# API v2 gives rich text as front-end HTML (fields and StreamField paragraphs alike).
WAGTAILAPI_RICH_TEXT_FORMAT = "html"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILEMBEDS_FINDERS = [{"class": "tests.embed_finders.StubOEmbedFinder"}]
