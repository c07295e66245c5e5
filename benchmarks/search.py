"""Library search benchmarks: SQL queries per library request for 20 and N sessions,
the time of a full search request against Wagtail's bare search, and memory: the
peak of one request (tracemalloc) and of a worker process serving them.

Called from run.py, in the same throw-away database, after the page benchmarks.
``benchmarks/search_content.py`` builds two libraries, one of 20 sessions and
one of ``--search-sessions`` (10,000 by default); every request below is made
to both. See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import gc
import json
import os
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from wagtail_pmolib.models import SessionPage, SessionSpeaker
from wagtail_pmolib.search.scope import theme_key

from . import search_content

SMALL = 20
MAX_QUERIES = 15
# The JSON API's search (``libraries/{id}/search/``) of the same request: the page's
# search and the library's lookup, without the page's routing (fewer than the page).
MAX_API_QUERIES = MAX_QUERIES
# PostgreSQL: a full search request at most this many times Wagtail's bare search.
MAX_SEARCH_RATIO = 1.2
# SQLite: a full search request's median at most this many ms (at 10,000 sessions).
MAX_SQLITE_MS = 100
# A timed item that has used up its time budget leaves the rounds once it has this many
# samples.
MIN_SAMPLES = 1

COMMON, TWO_WORDS, RARE = (
    search_content.COMMON_QUERY,
    search_content.TWO_WORD_QUERY,
    search_content.RARE_QUERY,
)


@dataclass
class Case:
    """One kind of library request, made to every library."""

    key: str
    label: str
    q: str = ""  # the words; "" browses
    filters: tuple[str, ...] = ()  # "conference", "theme", "format", "speaker"
    extra: dict = field(default_factory=dict)  # sort, page
    timed_small: bool = False  # also timed on the 20-session library (all are counted)


CASES = (
    Case("browse", "browse, no words (newest first)", timed_small=True),
    Case("browse-top-rated", "browse, sort=top-rated", extra={"sort": "top-rated"}),
    Case("q-common", f"q={COMMON} (every session: its conference)", q=COMMON),
    Case(
        "q-two-words",
        f"q={TWO_WORDS} (two words, ~38% of sessions)",
        q=TWO_WORDS,
        timed_small=True,
    ),
    Case(
        "q-rare", f"q={RARE} (a word in 1 of {search_content.RARE_EVERY})", q=RARE, timed_small=True
    ),
    Case(
        "q-filters",
        f"q={TWO_WORDS} + conference + theme + format",
        q=TWO_WORDS,
        filters=("conference", "theme", "format"),
    ),
    Case("q-speaker", f"q={TWO_WORDS} + speaker", q=TWO_WORDS, filters=("speaker",)),
    Case("q-top-rated", f"q={TWO_WORDS}, sort=top-rated", q=TWO_WORDS, extra={"sort": "top-rated"}),
    # "pmo": at 20 sessions too there are two pages, so page 3 is the last page, not the
    # first (a first page also logs the search and looks for editors' picks).
    Case("q-page-3", f"q={COMMON}, page=3", q=COMMON, extra={"page": 3}),
)
# The cases whose time is compared with the bare search for the same words (targets).
RATIO_CASES = ("q-common", "q-two-words", "q-rare", "q-filters")


@dataclass
class Request:
    """One case on one library: its URL and what was measured."""

    case: Case
    n: int
    url: str
    api_url: str = ""  # the same search in the JSON API
    queries: int = 0
    queries_stable: bool = True
    api_queries: int = 0
    api_queries_stable: bool = True
    sql: list = field(default_factory=list)
    peak_kb: int = 0  # tracemalloc's peak during one request
    bytes: int = 0
    results: int = 0  # results on the page
    found: int = 0  # sessions found (the count the page shows)

    @property
    def key(self):
        return f"{self.case.key}@{self.n}"


def filter_values(built) -> dict:
    """Filters that keep at least one result of ``TWO_WORDS`` in both libraries: the
    conference, theme, format and first speaker of the first session (by path) whose
    abstract has "value" (every session has "pmo": its conference's title)."""
    session = (
        SessionPage.objects.live()
        .descendant_of(built.library)
        .filter(abstract__icontains=TWO_WORDS.split()[1])
        .select_related("theme")
        .order_by("path")
        .first()
    )
    if session is None:
        raise SystemExit(f"search library of {built.n}: no session has {TWO_WORDS!r}")
    speaker = (
        SessionSpeaker.objects.filter(page=session)
        .order_by("sort_order")
        .values_list("speaker_id", flat=True)
    )[0]
    return {
        "conference": session.get_parent().pk,
        "theme": theme_key(session.theme.name),
        "format": "recording" if session.has_recording else "handout",
        "speaker": speaker,
    }


def make_requests(built) -> list[Request]:
    values = filter_values(built)
    requests = []
    for case in CASES:
        params = {"q": case.q} if case.q else {}
        params.update({name: values[name] for name in case.filters})
        params.update(case.extra)
        query = "?" + urlencode(params) if params else ""
        url = built.library.url + query
        api_url = f"/api/pmolib/libraries/{built.library.pk}/search/{query}"
        requests.append(Request(case=case, n=built.n, url=url, api_url=api_url))
    return requests


def fetch(client, request: Request):
    response = client.get(request.url)
    if response.status_code != 200:
        raise SystemExit(f"{request.key}: GET {request.url} answered {response.status_code}")
    return response


FOUND = re.compile(r"(\d[\d,]*) sessions? found for")
ALL = re.compile(r'pmolib-count">\((\d[\d,]*) sessions?\)')


def check_response(request: Request, html: str):
    """A request that does not show what it should stops the run."""
    results = html.count('class="pmolib-result"')
    if not results:
        raise SystemExit(f"{request.key}: no results in {request.url}")
    if "not recognised" in html or "Search is not available" in html:
        raise SystemExit(f"{request.key}: a filter was refused or search failed: {request.url}")
    if request.case.q and "found for" not in html:
        raise SystemExit(f"{request.key}: {request.url} does not show a search")
    request.results = results
    count = FOUND.search(html) or ALL.search(html)
    request.found = int(count.group(1).replace(",", "")) if count else -1
    request.bytes = len(html.encode())


def fetch_api(client, request: Request):
    response = client.get(request.api_url)
    if response.status_code != 200:
        raise SystemExit(f"{request.key}: GET {request.api_url} answered {response.status_code}")
    return response


def capture(client, request: Request, api=False):
    with CaptureQueriesContext(connection) as ctx:
        (fetch_api if api else fetch)(client, request)
    return [
        {"sql": q["sql"], "ms": round(float(q["time"]) * 1000, 3)} for q in ctx.captured_queries
    ]


def count_queries(client, requests, log=print):
    """Per request: one warm-up (its HTML is checked), then two counted requests
    (they must agree), then one with tracemalloc on (its peak)."""
    for request in requests:
        started = time.perf_counter()
        check_response(request, fetch(client, request).content.decode())
        runs = [capture(client, request) for _ in range(2)]
        request.sql = runs[-1]
        request.queries = len(runs[-1])
        request.queries_stable = len(runs[0]) == len(runs[1])
        # The same search through the JSON API: the same sessions found. A page after
        # the last is the page's last page but the API's 404: not counted then.
        if client.get(request.api_url).status_code == 404 and "page" in request.case.extra:
            request.api_url = ""
        if request.api_url:
            found = fetch_api(client, request).json()["count"]
            if found != request.found:
                raise SystemExit(f"{request.key}: the API found {found}, the page {request.found}")
            api_runs = [capture(client, request, api=True) for _ in range(2)]
            request.api_queries = len(api_runs[-1])
            request.api_queries_stable = len(api_runs[0]) == len(api_runs[1])
        gc.collect()
        tracemalloc.start()
        try:
            fetch(client, request)
            request.peak_kb = tracemalloc.get_traced_memory()[1] // 1024
        finally:
            tracemalloc.stop()
        log(
            f"  {request.key:<24} {request.queries:>3} queries, peak {request.peak_kb:,} KB"
            f"  {time.perf_counter() - started:6.1f} s",
        )


WORKER = """
import json, os, sys, django
sys.path.insert(0, os.environ["PMOLIB_REPO"])
django.setup()
from django.test import Client
def rss():
    # The process's peak resident memory (KB) since its exec: VmHWM (ru_maxrss would
    # count the parent's memory at fork time).
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
client = Client()
client.get("/")
started = rss()
for _ in range(3):
    for url in json.loads(os.environ["PMOLIB_URLS"]):
        assert client.get(url).status_code == 200, url
print(json.dumps({"after_setup_kb": started, "peak_kb": rss()}))
"""


def worker_memory(urls, log=print):
    """A fresh process (as a gunicorn worker) serving every URL three times: its
    peak resident memory (Linux's ``VmHWM``), and the same after setting up Django."""
    from django.db import connection

    env = dict(os.environ)
    env.update(
        PMOLIB_REPO=str(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        PMOLIB_URLS=json.dumps(urls),
        PMOLIB_BENCH_DB=connection.settings_dict["NAME"],
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
    )
    done = subprocess.run(
        [sys.executable, "-c", WORKER], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        log(f"  worker memory: the worker failed: {done.stderr[-2000:]}")
        return None
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    log(
        f"  worker: {figures['after_setup_kb'] // 1024} MB after setup, peak "
        f"{figures['peak_kb'] // 1024} MB after {3 * len(urls)} library requests"
    )
    return figures


# --- timing --------------------------------------------------------------------


@dataclass
class Timed:
    key: str
    label: str
    run: object  # callable
    n: int
    samples: list = field(default_factory=list)
    spent: float = 0.0
    stats: dict = field(default_factory=dict)


def bare_search(q, ranked=True):
    """Wagtail's own search, the yardstick: what a site's search view does. Unranked
    (``order_by_relevance=False``): for information."""

    def run():
        return list(SessionPage.objects.live().search(q, order_by_relevance=ranked)[:20])

    return run


def page_request(client, request):
    def run():
        return fetch(client, request)

    return run


def time_items(items, iterations, budget):
    """Interleaved rounds: each round times every item once, starting one item later
    each round, so drifting noise falls on all alike. An item that has spent
    ``budget`` seconds leaves the rounds once it has ``MIN_SAMPLES`` samples (so that
    a pathologically slow request cannot make the run last hours); its sample count
    is reported."""
    perf_counter = time.perf_counter
    gc.collect()
    for i in range(iterations):
        active = [item for item in items if len(item.samples) < MIN_SAMPLES or item.spent < budget]
        if not active:
            break
        shift = i % len(active)
        for item in active[shift:] + active[:shift]:
            started = perf_counter()
            item.run()
            elapsed = perf_counter() - started
            item.samples.append(elapsed * 1000)
            item.spent += elapsed
    for item in items:
        item.stats = summarise(item.samples)


def summarise(values):
    ordered = sorted(values)
    return {
        "median_ms": statistics.median(ordered),
        "p90_ms": ordered[round(0.9 * (len(ordered) - 1))],
        "min_ms": ordered[0],
        "max_ms": ordered[-1],
        "samples": len(ordered),
    }


# --- the whole search benchmark ---------------------------------------------------


def build(n, log=print):
    started = time.perf_counter()
    speakers = search_content.build_speakers()
    documents = search_content.build_documents()
    log(
        f"  {len(speakers)} speakers, {len(documents)} PDF handouts: "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    libraries = []
    for size in (SMALL, n):
        started = time.perf_counter()
        built = search_content.build_library(size, speakers, documents)
        search_content.check_library(built)
        built.seconds["check"] = time.perf_counter() - started - sum(built.seconds.values())
        built.seconds["total"] = time.perf_counter() - started
        log(
            f"  library of {size:,} sessions built in {built.seconds['total']:.1f} s ("
            + ", ".join(f"{k} {v:.1f} s" for k, v in built.seconds.items() if k != "total")
            + f"; indexing made {built.index_queries:,} queries)",
            flush=True,
        )
        libraries.append(built)
    return libraries


def run(n, iterations, budget, log=print):
    """Build, count, time; returns the results as a dict (JSON-ready) and the targets."""
    from django.db import connection

    vendor = connection.vendor
    log(f"Building the search libraries ({SMALL} and {n:,} sessions) …", flush=True)
    small, large = build(n, log)
    client = Client()
    requests = {built.n: make_requests(built) for built in (small, large)}
    log("Counting queries (1 warm-up and 2 counted requests each) and each request's peak …")
    for built in (small, large):
        count_queries(client, requests[built.n], log)
    log("Memory of a worker process serving the large library's requests …", flush=True)
    worker = worker_memory([request.url for request in requests[n]], log)

    items = []
    for built in (small, large):
        for request in requests[built.n]:
            if built is small and not request.case.timed_small:
                continue
            items.append(
                Timed(request.key, request.case.label, page_request(client, request), built.n)
            )
    for q in dict.fromkeys(case.q for case in CASES if case.q):
        label = f"SessionPage.objects.live().search({q!r}{{}})[:20]"
        if vendor != "sqlite":  # ranked, it takes 10-25 s a search there (see the README)
            items.append(Timed(f"bare:{q}", label.format(""), bare_search(q), n))
        items.append(
            Timed(
                f"unranked:{q}",
                label.format(", order_by_relevance=False"),
                bare_search(q, ranked=False),
                n,
            )
        )
    for item in items:  # warm up the search tables for the bare searches (untimed)
        if item.key.startswith(("bare:", "unranked:")):
            item.run()
    log(
        f"Timing {iterations} rounds of {len(items)} search requests "
        f"(at most {budget:g} s per request kind, at least {MIN_SAMPLES} sample(s) each) …",
        flush=True,
    )
    started = time.perf_counter()
    time_items(items, iterations, budget)
    log(f"  {time.perf_counter() - started:.1f} s", flush=True)

    by_key = {item.key: item for item in items}
    # Every search request at n sessions against the bare search for the same words
    # (the targets on PostgreSQL), and against the same search unranked (for information).
    ratios, unranked_ratios = {}, {}
    for case in (case for case in CASES if case.q):
        median = by_key[f"{case.key}@{n}"].stats["median_ms"]
        if f"bare:{case.q}" in by_key:
            ratios[case.key] = median / by_key[f"bare:{case.q}"].stats["median_ms"]
        unranked_ratios[case.key] = median / by_key[f"unranked:{case.q}"].stats["median_ms"]

    targets = []
    for small_request, large_request in zip(requests[SMALL], requests[n], strict=True):
        a, b = small_request.queries, large_request.queries
        stable = small_request.queries_stable and large_request.queries_stable
        targets.append(
            {
                "kind": "queries",
                "name": f"search queries {small_request.case.key}: {SMALL} vs {n:,}",
                "value": f"{a} vs {b}{'' if stable else '*'}",
                "limit": f"equal, <= {MAX_QUERIES}",
                "passed": a == b and b <= MAX_QUERIES and stable,
            }
        )
        if not (small_request.api_url and large_request.api_url):
            continue
        a, b = small_request.api_queries, large_request.api_queries
        stable = small_request.api_queries_stable and large_request.api_queries_stable
        targets.append(
            {
                "kind": "queries",
                "name": f"API search queries {small_request.case.key}: {SMALL} vs {n:,}",
                "value": f"{a} vs {b}{'' if stable else '*'}",
                "limit": f"equal, <= {MAX_API_QUERIES}",
                "passed": a == b and b <= MAX_API_QUERIES and stable,
            }
        )
    for key in RATIO_CASES:
        if vendor == "sqlite" and n <= 10_000:
            median = by_key[f"{key}@{n}"].stats["median_ms"]
            targets.append(
                {
                    "kind": "time",
                    "name": f"search time {key} median, SQLite ({n:,})",
                    "value": round(median, 1),
                    "limit": f"<= {MAX_SQLITE_MS} ms",
                    "passed": median <= MAX_SQLITE_MS,
                }
            )
        elif key in ratios:
            targets.append(
                {
                    "kind": "time",
                    "name": f"search time {key} / bare search ({n:,})",
                    "value": round(ratios[key], 3),
                    "limit": f"<= {MAX_SEARCH_RATIO}",
                    "passed": ratios[key] <= MAX_SEARCH_RATIO,
                }
            )
    results = {
        "sessions": [SMALL, n],
        "build": {
            str(built.n): {
                "seconds": {k: round(v, 3) for k, v in built.seconds.items()},
                "index_queries": built.index_queries,
            }
            for built in (small, large)
        },
        "requests": {
            request.key: {
                "case": request.case.key,
                "label": request.case.label,
                "sessions": request.n,
                "url": request.url,
                "queries": request.queries,
                "queries_stable": request.queries_stable,
                "api_url": request.api_url,
                "api_queries": request.api_queries,
                "api_queries_stable": request.api_queries_stable,
                "peak_kb": request.peak_kb,
                "found": request.found,
                "results_shown": request.results,
                "bytes": request.bytes,
                "sql": request.sql,
            }
            for size in (SMALL, n)
            for request in requests[size]
        },
        "worker_memory": worker,
        "timings": {
            item.key: {"label": item.label, "sessions": item.n}
            | {k: round(v, 4) for k, v in item.stats.items()}
            for item in items
        },
        "ratios": {k: round(v, 4) for k, v in ratios.items()},
        "ratios_unranked": {k: round(v, 4) for k, v in unranked_ratios.items()},
        "budget_seconds": budget,
        "iterations": iterations,
    }
    return results, targets, requests


# --- reporting -------------------------------------------------------------------


def print_report(results, requests, n):
    print()
    print(f"library search — {SMALL} and {n:,} sessions")
    print()
    for size, build in results["build"].items():
        seconds = build["seconds"]
        print(
            f"  build of {int(size):,} sessions: {seconds['total']:.1f} s ("
            + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items() if k != "total")
            + f"); indexing {build['index_queries']:,} queries"
        )
    print()
    sizes = f"{SMALL:>7} {n:>7,}"
    header = f"{'request':<18} {'what':<47} {sizes} {sizes} {sizes} {sizes}"
    print("SQL queries and tracemalloc peak (KB) of one library request (page; JSON API)")
    print(
        f"{'':<18} {'':<47} {'sessions found':>15} {'queries':>15} {'API queries':>15} "
        f"{'peak KB':>15}"
    )
    print(header)
    print("-" * len(header))

    def shown(request):
        return f"{request.queries}{'' if request.queries_stable else '*'}"

    def shown_api(request):
        if not request.api_url:
            return "404"
        return f"{request.api_queries}{'' if request.api_queries_stable else '*'}"

    for small, large in zip(requests[SMALL], requests[n], strict=True):
        print(
            f"{small.case.key:<18} {small.case.label:<47} {small.found:>7,} {large.found:>7,} "
            f"{shown(small):>7} {shown(large):>7} {shown_api(small):>7} {shown_api(large):>7} "
            f"{small.peak_kb:>7,} {large.peak_kb:>7,}"
        )
    if not all(
        r.queries_stable and r.api_queries_stable for size in requests for r in requests[size]
    ):
        print("* the query count changed between two requests")
    worker = results.get("worker_memory")
    if worker:
        print(
            f"worker process (peak RSS): {worker['after_setup_kb'] // 1024} MB after setup, "
            f"{worker['peak_kb'] // 1024} MB after serving every request of the {n:,}-session "
            "library three times"
        )
    print()
    timings = results["timings"]
    header = (
        f"{'timed':<28} {'sessions':>8} {'median ms':>10} {'p90 ms':>9} {'min ms':>9} "
        f"{'samples':>7}"
    )
    print(
        "time of one request (Client.get of the library URL; bare: Wagtail's search alone, "
        "ranked and unranked)"
    )
    print(header)
    print("-" * len(header))
    for key, t in timings.items():
        name = key.split("@")[0]
        print(
            f"{name:<28} {t['sessions']:>8,} {t['median_ms']:>10.2f} {t['p90_ms']:>9.2f} "
            f"{t['min_ms']:>9.2f} {t['samples']:>7}"
        )
    if any(t["samples"] < results["iterations"] for t in timings.values()):
        print(
            "(fewer samples than rounds: the request kind used up its time budget of "
            f"{results['budget_seconds']:g} s)"
        )
    print()
    for title, ratios in (
        ("bare search", results["ratios"]),
        ("bare search unranked", results["ratios_unranked"]),
    ):
        if ratios:
            print(
                f"full search request / {title}, medians, {n:,} sessions: "
                + "   ".join(f"{k}: {v:.2f}×" for k, v in ratios.items())
            )


def print_sql(requests, n, wanted):
    keys = {case.key for case in CASES} if "all" in wanted else set(wanted)
    for request in requests[n]:
        if request.case.key not in keys or not request.sql:
            continue
        print()
        print(
            f"SQL of one request {request.case.key} ({request.url}), "
            f"{n:,} sessions: {len(request.sql)} queries, "
            f"{sum(q['ms'] for q in request.sql):.1f} ms in the database"
        )
        for i, query in enumerate(request.sql, 1):
            print(f"  {i:>2}. [{query['ms']:.1f} ms] {query['sql']}")
