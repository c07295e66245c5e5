"""The one accessor for the ``WAGTAIL_PMOLIB`` setting.

Usage::

    from wagtail_pmolib.conf import pmolib_settings

    pmolib_settings.INDEX_PAGE_SIZE

Every key has a documented default (see ``DEFAULTS`` and the README's settings
reference). Unknown keys raise ``ImproperlyConfigured`` so that a typo in a host's
settings is noticed at once instead of silently falling back to a default. The
values are cached and reloaded on ``setting_changed``, so ``override_settings``
works in tests.
"""

import re

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

SETTING_NAME = "WAGTAIL_PMOLIB"

DEFAULTS = {
    # The template every library page extends. It must define the blocks
    # ``title``, ``extra_css``, ``content`` and ``extra_js`` (as the base.html of
    # ``wagtail start`` does).
    "BASE_TEMPLATE": "wagtail_pmolib/base.html",
    # Whether pages add the library stylesheet and scripts to ``extra_css`` / ``extra_js``.
    "INCLUDE_CSS": True,
    "INCLUDE_JS": True,
    # Sessions per page on the library index; ``?per_page=`` may ask for fewer,
    # never for more than MAX_PAGE_SIZE.
    "INDEX_PAGE_SIZE": 12,
    "MAX_PAGE_SIZE": 48,
    # What stands between a conference edition and a session's title in headings:
    # "PMO Conference 2021 \\ Step up – …", as the original library writes it.
    "TITLE_SEPARATOR": "\\\\",
    # How many "other sessions by this speaker" a session page lists.
    "RELATED_SESSIONS_LIMIT": 4,
    # Heading levels that get anchors and appear in the table of contents.
    "TOC_MIN_LEVEL": 2,
    "TOC_MAX_LEVEL": 4,
    # Longest anchor id generated from a heading's text.
    "ANCHOR_MAX_LENGTH": 64,
    # Seconds to keep a rendered session article in Django's cache. Any change to
    # library content invalidates it at once; this only bounds how long a
    # fallback link (provider unreachable) can outlive an outage. 0 disables.
    "FRAGMENT_CACHE_TIMEOUT": 600,
    # Seconds to keep a provider's player (oEmbed result) in Django's cache, on top
    # of Wagtail's embed table, so a page view costs no query for it. 0 disables.
    "EMBED_CACHE_TIMEOUT": 3600,
    # Seconds to remember that an oEmbed lookup failed, so a provider outage does
    # not make every page view wait for it again. 0 disables the memory.
    "EMBED_FAILURE_TIMEOUT": 300,
    # --- Library search ---
    # Longest search text looked at, in characters; the rest is cut.
    "SEARCH_MAX_QUERY_LENGTH": 200,
    # Search backends that are not one of Wagtail's database backends
    # (Elasticsearch, OpenSearch): how many matches (by relevance) the "Top rated"
    # and "Most rated" sorts of a search order. Counts and filters cover every match.
    "SEARCH_MAX_MATCHES": 2000,
    # Who orders matches by relevance: "backend" (the search backend's scores),
    # "library" (words in the title, then in speakers', conference's and theme's
    # names, then newest first), or "auto": the backend, except Wagtail's SQLite
    # backend, whose relevance ordering is too slow for a library of thousands.
    "SEARCH_RANKING": "auto",
    # Suggestions the autocomplete endpoint returns (titles and speakers each).
    "SEARCH_SUGGESTIONS": 5,
    # Count visitors' searches for the "Popular searches" and "Searches with no
    # results" reports (and Wagtail's query log, when search promotions are installed).
    "SEARCH_LOG": True,
    # The popular searches offered to visitors when a search finds nothing: texts
    # that at least POPULAR_SEARCHES_MIN_VISITORS distinct visitors searched in
    # the last POPULAR_SEARCHES_DAYS days and that showed them sessions anyone may
    # see, unless an editor hid them. At most POPULAR_SEARCHES are offered (0: none).
    "POPULAR_SEARCHES": 5,
    "POPULAR_SEARCHES_MIN_VISITORS": 3,
    "POPULAR_SEARCHES_DAYS": 90,
    # --- PDF text for search: bounds on what is read when a document is saved ---
    # File extensions a handout may have, lower case without the dot, e.g.
    # ("pdf", "pptx", "docx", "xlsx"); empty: any document.
    "HANDOUT_FILE_EXTENSIONS": (),
    "PDF_MAX_BYTES": 20 * 1024 * 1024,
    "PDF_MAX_PAGES": 50,
    "PDF_MAX_TEXT": 200_000,
    # --- Feedback ("Was this article helpful?") ---
    # Longest comment a visitor may send, in characters.
    "COMMENT_MAX_LENGTH": 2000,
    # Submissions one visitor may make in RATE_LIMIT_PERIOD seconds, across all
    # pages. Counted in Django's default cache: production needs a shared cache
    # (Redis, Memcached) or each process counts on its own.
    "RATE_LIMIT": 10,
    "RATE_LIMIT_PERIOD": 60,
    # Submissions from one address (an IPv4 address, or an IPv6 /64 network) in
    # RATE_LIMIT_PERIOD seconds, whoever sends them: changing the user agent or
    # dropping the cookie makes a new visitor, not a new address. Higher than
    # RATE_LIMIT because an office or a mobile network puts many people behind
    # one address. 0 turns it off.
    "ADDRESS_RATE_LIMIT": 60,
    # New ratings counted on one page from one address in ADDRESS_VOTES_PERIOD
    # seconds (visitors who are not signed in; changing one's own rating is not a
    # new rating). Past it, more new ratings from that address are refused (429)
    # until the period ends. 0 turns it off.
    "ADDRESS_VOTES_PER_PAGE": 20,
    "ADDRESS_VOTES_PERIOD": 60 * 60 * 24,
    # Take the visitor's address from X-Forwarded-For. Only behind proxies that
    # set it: otherwise visitors can forge it. The address is the entry
    # TRUSTED_PROXY_HOPS places from the right (what the outermost of that many
    # proxies appended); entries further left come from the client and are never
    # used.
    "TRUST_X_FORWARDED_FOR": False,
    "TRUSTED_PROXY_HOPS": 1,
    # The signed first-party cookie that recognises a visitor who is not signed in.
    "VISITOR_COOKIE_NAME": "pmolib_visitor",
    "VISITOR_COOKIE_MAX_AGE": 60 * 60 * 24 * 365,
    # User agents whose submissions are answered but not counted (a regular
    # expression, matched case-insensitively).
    "BOT_USER_AGENTS": (
        r"bot\b|crawl|spider|slurp|bingpreview|facebookexternalhit|embedly|"
        r"scrapy|phantomjs|lighthouse|pingdom|uptime"
    ),
    # Weight of the prior in the ratings report's Bayesian average: how many
    # ratings at the library-wide mean every page starts with.
    "BAYESIAN_PRIOR_WEIGHT": 5,
    # Which admin lists and edits feedback, so that it has one menu item:
    # "snippets" (Wagtail's snippet views, built in) or "modeladmin" (the optional
    # ``wagtail_pmolib.contrib.modeladmin`` app, which then needs ``wagtail_modeladmin``
    # and ``wagtail_pmolib.contrib.modeladmin`` in INSTALLED_APPS and
    # ``pip install wagtail-pmolib[modeladmin]``). The one not chosen shows no menu
    # item (and the modeladmin views answer 404 unless chosen).
    "FEEDBACK_ADMIN": "snippets",
    # --- The JSON API (wagtail_pmolib.api) ---
    # The renditions the API gives of each kind of image, as Wagtail filter specs:
    # no other size can be asked for (making renditions costs the server). A kind
    # not given keeps its default; an empty list gives no renditions of that kind.
    "API_RENDITIONS": {
        "photo": ("fill-96x96", "fill-240x240"),  # speakers' photos
        "figure": ("max-1200x1200",),  # figure blocks
        "cover": ("fill-120x160",),  # handout covers
        "poster": ("fill-1280x720",),  # recording posters
    },
    # Seconds browsers and shared caches may reuse an API answer without asking
    # again (``Cache-Control: max-age``). 0: they ask every time, with the ETag,
    # and get a cheap 304 while nothing changed.
    "API_CACHE_MAX_AGE": 0,
    # --- Members-only sessions (access levels: README, "Members-only sessions") ---
    # Names of the groups whose users are members (the "Members" level). Empty:
    # every signed-in user is a member.
    "MEMBER_GROUPS": (),
    # Where a teaser's "Sign in" goes (a URL or a URL name), with ``?next=`` the
    # session's address; empty: Django's LOGIN_URL.
    "SIGN_IN_URL": "",
    # Where a teaser's "Join" goes (a URL); empty: no join link.
    "JOIN_URL": "",
    # Whether a teaser shows the session's table of contents (its headings).
    "TEASER_TABLE_OF_CONTENTS": True,
    # Who may rate and comment on a gated session: "readers" (those with access)
    # or "everyone" who may see its page.
    "GATED_FEEDBACK": "readers",
    # Whom a recording "embargoed until a date" is hidden from until then:
    # "everyone", or "non-members" (members watch it at once). Decided per request.
    "RECORDING_EMBARGO": "everyone",
    # Headless previews (``wagtail_pmolib.previews``): the front end's address that
    # the "Headless front end" preview mode sends editors to, with
    # ``?content_type=…&token=…``; empty: no such preview mode.
    "HEADLESS_PREVIEW_CLIENT_URL": "",
    # Seconds a headless preview's token shows its draft.
    "PREVIEW_TOKEN_MAX_AGE": 3600,
    # Front-end origins ("https://app.example.com") whose browsers may call the
    # API from their pages (CORS) and post feedback through it. Empty: none.
    "API_CORS_ORIGINS": (),
}

FEEDBACK_ADMINS = ("snippets", "modeladmin")
MODELADMIN_APP = "wagtail_pmolib.contrib.modeladmin"

_INT_KEYS = {
    "INDEX_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "RELATED_SESSIONS_LIMIT",
    "TOC_MIN_LEVEL",
    "TOC_MAX_LEVEL",
    "ANCHOR_MAX_LENGTH",
    "EMBED_FAILURE_TIMEOUT",
    "EMBED_CACHE_TIMEOUT",
    "FRAGMENT_CACHE_TIMEOUT",
    "COMMENT_MAX_LENGTH",
    "RATE_LIMIT",
    "RATE_LIMIT_PERIOD",
    "ADDRESS_RATE_LIMIT",
    "ADDRESS_VOTES_PER_PAGE",
    "ADDRESS_VOTES_PERIOD",
    "TRUSTED_PROXY_HOPS",
    "VISITOR_COOKIE_MAX_AGE",
    "BAYESIAN_PRIOR_WEIGHT",
    "PDF_MAX_BYTES",
    "PDF_MAX_PAGES",
    "PDF_MAX_TEXT",
    "SEARCH_MAX_QUERY_LENGTH",
    "SEARCH_MAX_MATCHES",
    "SEARCH_SUGGESTIONS",
    "POPULAR_SEARCHES",
    "POPULAR_SEARCHES_MIN_VISITORS",
    "POPULAR_SEARCHES_DAYS",
    "API_CACHE_MAX_AGE",
    "PREVIEW_TOKEN_MAX_AGE",
}


class PmolibSettings:
    def __init__(self):
        self._cached = None

    def _load(self):
        user = getattr(settings, SETTING_NAME, None) or {}
        if not isinstance(user, dict):
            raise ImproperlyConfigured(f"{SETTING_NAME} must be a dict, not {type(user).__name__}.")
        unknown = sorted(set(user) - set(DEFAULTS))
        if unknown:
            raise ImproperlyConfigured(
                f"Unknown key(s) in {SETTING_NAME}: {', '.join(unknown)}. "
                f"Known keys: {', '.join(sorted(DEFAULTS))}."
            )
        values = {**DEFAULTS, **user}
        for key in _INT_KEYS:
            value = values[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ImproperlyConfigured(
                    f"{SETTING_NAME}['{key}'] must be a non-negative whole number, not {value!r}."
                )
        if not 1 <= values["INDEX_PAGE_SIZE"] <= values["MAX_PAGE_SIZE"]:
            raise ImproperlyConfigured(
                f"{SETTING_NAME}['INDEX_PAGE_SIZE'] must be between 1 and MAX_PAGE_SIZE."
            )
        if values["RATE_LIMIT"] < 1 or values["RATE_LIMIT_PERIOD"] < 1:
            raise ImproperlyConfigured(
                f"{SETTING_NAME}: RATE_LIMIT and RATE_LIMIT_PERIOD must be at least 1."
            )
        if values["ADDRESS_VOTES_PERIOD"] < 1 or values["TRUSTED_PROXY_HOPS"] < 1:
            raise ImproperlyConfigured(
                f"{SETTING_NAME}: ADDRESS_VOTES_PERIOD and TRUSTED_PROXY_HOPS must be at least 1."
            )
        try:
            values["BOT_USER_AGENTS_RE"] = re.compile(values["BOT_USER_AGENTS"], re.IGNORECASE)
        except (TypeError, re.error) as exc:
            raise ImproperlyConfigured(
                f"{SETTING_NAME}['BOT_USER_AGENTS'] is not a regular expression: {exc}"
            ) from None
        extensions = values["HANDOUT_FILE_EXTENSIONS"]
        if isinstance(extensions, str) or not all(
            isinstance(e, str) and e and e == e.lower().lstrip(".") for e in extensions
        ):
            raise ImproperlyConfigured(
                f"{SETTING_NAME}['HANDOUT_FILE_EXTENSIONS'] must be a list of lower-case "
                f"extensions without the dot, such as ['pdf', 'pptx'], not {extensions!r}."
            )
        values["HANDOUT_FILE_EXTENSIONS"] = tuple(extensions)
        if not 8 <= values["ANCHOR_MAX_LENGTH"] <= 80:
            # Heading blocks store anchors in a field of at most 80 characters.
            raise ImproperlyConfigured(
                f"{SETTING_NAME}['ANCHOR_MAX_LENGTH'] must be between 8 and 80."
            )
        if not 1 <= values["TOC_MIN_LEVEL"] <= values["TOC_MAX_LEVEL"] <= 6:
            raise ImproperlyConfigured(
                f"{SETTING_NAME}: TOC_MIN_LEVEL and TOC_MAX_LEVEL must satisfy "
                "1 <= min <= max <= 6."
            )
        if values["SEARCH_MAX_QUERY_LENGTH"] < 1 or values["SEARCH_MAX_MATCHES"] < 1:
            raise ImproperlyConfigured(
                f"{SETTING_NAME}: SEARCH_MAX_QUERY_LENGTH and SEARCH_MAX_MATCHES "
                "must be at least 1."
            )
        if values["POPULAR_SEARCHES_MIN_VISITORS"] < 1 or values["POPULAR_SEARCHES_DAYS"] < 1:
            raise ImproperlyConfigured(
                f"{SETTING_NAME}: POPULAR_SEARCHES_MIN_VISITORS and POPULAR_SEARCHES_DAYS "
                "must be at least 1."
            )
        if values["SEARCH_RANKING"] not in ("auto", "backend", "library"):
            raise ImproperlyConfigured(
                f"{SETTING_NAME}['SEARCH_RANKING'] must be 'auto', 'backend' or 'library', "
                f"not {values['SEARCH_RANKING']!r}."
            )
        # A string such as "False" would be true: trusting a forgeable header by mistake.
        for key in ("SEARCH_LOG", "TRUST_X_FORWARDED_FOR", "TEASER_TABLE_OF_CONTENTS"):
            if not isinstance(values[key], bool):
                raise ImproperlyConfigured(
                    f"{SETTING_NAME}['{key}'] must be True or False, not {values[key]!r}."
                )
        if values["FEEDBACK_ADMIN"] not in FEEDBACK_ADMINS:
            raise ImproperlyConfigured(
                f"{SETTING_NAME}['FEEDBACK_ADMIN'] must be one of "
                f"{', '.join(repr(name) for name in FEEDBACK_ADMINS)}, "
                f"not {values['FEEDBACK_ADMIN']!r}."
            )
        if (
            values["FEEDBACK_ADMIN"] == "modeladmin"
            and apps.apps_ready
            and not apps.is_installed(MODELADMIN_APP)
        ):
            raise ImproperlyConfigured(
                f"{SETTING_NAME}['FEEDBACK_ADMIN'] is 'modeladmin', but {MODELADMIN_APP!r} "
                "is not in INSTALLED_APPS: add it and 'wagtail_modeladmin' "
                "(pip install wagtail-pmolib[modeladmin]), or use 'snippets'."
            )
        values["API_RENDITIONS"] = _api_renditions(values["API_RENDITIONS"])
        groups = values["MEMBER_GROUPS"]
        if isinstance(groups, str) or not all(isinstance(g, str) and g.strip() for g in groups):
            raise ImproperlyConfigured(
                f"{SETTING_NAME}['MEMBER_GROUPS'] must be a list of group names, "
                f"such as ['Members'], not {groups!r}."
            )
        values["MEMBER_GROUPS"] = tuple(groups)
        for key in ("SIGN_IN_URL", "JOIN_URL"):
            if not isinstance(values[key], str):
                raise ImproperlyConfigured(
                    f"{SETTING_NAME}['{key}'] must be a URL (a string), not {values[key]!r}."
                )
        if values["RECORDING_EMBARGO"] not in ("everyone", "non-members"):
            raise ImproperlyConfigured(
                f"{SETTING_NAME}['RECORDING_EMBARGO'] must be 'everyone' or 'non-members', "
                f"not {values['RECORDING_EMBARGO']!r}."
            )
        if values["GATED_FEEDBACK"] not in ("readers", "everyone"):
            raise ImproperlyConfigured(
                f"{SETTING_NAME}['GATED_FEEDBACK'] must be 'readers' or 'everyone', "
                f"not {values['GATED_FEEDBACK']!r}."
            )
        client = values["HEADLESS_PREVIEW_CLIENT_URL"]
        if not isinstance(client, str) or (
            client and not client.startswith(("http://", "https://"))
        ):
            raise ImproperlyConfigured(
                f"{SETTING_NAME}['HEADLESS_PREVIEW_CLIENT_URL'] must be an http(s) address "
                f"or empty, not {client!r}."
            )
        if values["PREVIEW_TOKEN_MAX_AGE"] < 1:
            raise ImproperlyConfigured(
                f"{SETTING_NAME}['PREVIEW_TOKEN_MAX_AGE'] must be at least 1."
            )
        values["API_CORS_ORIGINS"] = _origins(values["API_CORS_ORIGINS"])
        return values

    def __getattr__(self, name):
        if name not in DEFAULTS and name != "BOT_USER_AGENTS_RE":
            raise AttributeError(f"{SETTING_NAME} has no key {name!r}")
        if self._cached is None:
            self._cached = self._load()
        return self._cached[name]

    def reload(self):
        self._cached = None

    def validate(self):
        """Read the setting afresh; raises ImproperlyConfigured if it is wrong."""
        self._cached = self._load()


def _api_renditions(value) -> dict[str, tuple[str, ...]]:
    """``API_RENDITIONS`` with the default of every kind not given; each spec
    checked by Wagtail once the apps are loaded (a wrong one would fail requests)."""
    name = f"{SETTING_NAME}['API_RENDITIONS']"
    defaults = DEFAULTS["API_RENDITIONS"]
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a dict of image kind → filter specs.")
    unknown = sorted(set(value) - set(defaults))
    if unknown:
        raise ImproperlyConfigured(
            f"Unknown image kind(s) in {name}: {', '.join(unknown)}. "
            f"Known kinds: {', '.join(defaults)}."
        )
    merged = {}
    for kind, specs in {**defaults, **value}.items():
        if isinstance(specs, str) or not all(isinstance(s, str) and s.strip() for s in specs):
            raise ImproperlyConfigured(
                f"{name}[{kind!r}] must be a list of filter specs such as "
                f"['fill-240x240'], not {specs!r}."
            )
        if len(set(specs)) != len(specs):
            raise ImproperlyConfigured(f"{name}[{kind!r}] names a filter spec twice.")
        merged[kind] = tuple(specs)
    if apps.ready:
        from wagtail.images.exceptions import InvalidFilterSpecError
        from wagtail.images.models import Filter

        for kind, specs in merged.items():
            for spec in specs:
                try:
                    Filter(spec=spec).operations  # noqa: B018 - parsing is the check
                except InvalidFilterSpecError as exc:
                    raise ImproperlyConfigured(
                        f"{name}[{kind!r}]: {spec!r} is not a Wagtail filter spec ({exc})."
                    ) from None
    return merged


# An origin as browsers send it: a scheme, a host and maybe a port; nothing else.
_ORIGIN = re.compile(r"https?://[^/?#@\s:]+(:[0-9]{1,5})?", re.IGNORECASE)


def _origins(value) -> frozenset[str]:
    """``API_CORS_ORIGINS`` as lower-case origins; refuses what no browser sends as
    ``Origin`` (a path, a trailing slash, a wildcard) rather than never match it."""
    name = f"{SETTING_NAME}['API_CORS_ORIGINS']"
    if isinstance(value, str) or not all(isinstance(origin, str) for origin in value):
        raise ImproperlyConfigured(
            f"{name} must be a list of origins such as ['https://app.example.com'], not {value!r}."
        )
    for origin in value:
        if not _ORIGIN.fullmatch(origin) or "*" in origin:
            raise ImproperlyConfigured(
                f"{name}: {origin!r} is not an origin: write the scheme, the host and "
                "the port if not the default, without a path or a trailing slash "
                "(https://app.example.com, http://localhost:5173)."
            )
    return frozenset(origin.lower() for origin in value)


pmolib_settings = PmolibSettings()


def _reload(*, setting, **kwargs):
    if setting == SETTING_NAME:
        pmolib_settings.reload()


setting_changed.connect(_reload)
