#!/usr/bin/env python
"""Speed and query-count benchmarks for wagtail-pmolib session pages.

    .venv/bin/python benchmarks/run.py [--iterations 200] [--warmup 5]
        [--database-url postgres://postgres@127.0.0.1:5432/test] [--check]
        [--sql seed] [--search-sessions 10000 | --no-search] [--search-sql q-common]
        [--output benchmarks/results/latest.json]

Builds a throw-away database (see benchmarks/settings.py), fills it with the
seed session, its variants and two plain Wagtail pages to compare with, then
requests every page through Django's test client: a few warm-up requests,
exact SQL query counts on a warm request, and ``--iterations`` timed rounds
that visit the pages round-robin. Then the library search (benchmarks/search.py):
query counts per library request for 20 and ``--search-sessions`` generated
sessions, and the time of a full search request against Wagtail's bare search.
Prints tables and the targets, writes JSON.
See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DEFAULT_OUTPUT = BENCH_DIR / "results" / "latest.json"

# The pages of the report, in its order (benchmarks/content.py builds them).
PAGE_KEYS = (
    "bare",
    "plain",
    "seed",
    "handouts-1",
    "handouts-20",
    "handout-blocks-20",
    "speakers-1",
    "speakers-6",
)
# Added by benchmarks/feedback.py: the seed session with 10 and 100,000 stored votes.
VOTE_KEYS = ("votes-10", "votes-100000")

# Session pages are measured twice: as visitors usually get them (the rendered
# article comes from the fragment cache) and with the article rendered anew
# ("/miss": the first view after any content change).
SESSION_KEYS = tuple(k for k in PAGE_KEYS if k not in ("bare", "plain")) + VOTE_KEYS

# The search benchmarks' requests (benchmarks/search.py's CASES; repeated here because
# that module needs Django set up, and checked against it when the run starts).
SEARCH_KEYS = (
    "browse",
    "browse-top-rated",
    "q-common",
    "q-two-words",
    "q-rare",
    "q-filters",
    "q-speaker",
    "q-top-rated",
    "q-page-3",
)

MAX_SEED_QUERIES = 15
MAX_TIME_RATIO = 1.2
MAX_MISS_RATIO = 2.0  # the article rendered anew, against the plain page (issue 8)
MAX_VOTES_RATIO = 1.2


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time wagtail-pmolib session pages against a plain Wagtail page and "
        "count their SQL queries."
    )
    parser.add_argument(
        "--iterations",
        type=int,
        default=200,
        help="timed rounds; each round requests every page once (default: 200)",
    )
    parser.add_argument(
        "--votes",
        type=int,
        default=500,
        help="votes to post through the feedback endpoint for votes/s (default: 500)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=5,
        help="untimed requests per page before measuring (default: 5)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="database server to use, as dj-database-url reads it (default: $DATABASE_URL, "
        "else a SQLite file in a temporary folder). The database named in the URL is not "
        "touched: a throw-away database 'pmolib_bench' is created on the same server and "
        "dropped at the end.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 when a target is missed (default: always exit 0)",
    )
    parser.add_argument(
        "--check-queries",
        action="store_true",
        help="exit with status 1 when a query-count target is missed; timings are reported "
        "but not judged (for CI, where the machine's speed varies)",
    )
    parser.add_argument(
        "--sql",
        action="append",
        default=[],
        metavar="PAGE",
        help="print the SQL of one warm request to PAGE (a key from the table, or 'all'); "
        "may be repeated",
    )
    parser.add_argument(
        "--profile",
        metavar="PAGE",
        help="after the run, profile --iterations requests to PAGE with cProfile and print "
        "the functions that cost most",
    )
    parser.add_argument(
        "--profile-templates",
        metavar="PAGE",
        help="after the run, time --iterations requests to PAGE and print each template's "
        "own share (a block's content counts for the template it extends, the outermost)",
    )
    parser.add_argument(
        "--search-sessions",
        type=int,
        default=10_000,
        metavar="N",
        help="sessions in the large generated library of the search benchmarks (default: "
        "10000; the small one has 20)",
    )
    parser.add_argument(
        "--no-search",
        action="store_true",
        help="skip the search benchmarks",
    )
    parser.add_argument(
        "--search-budget",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="time budget of each timed search request kind: once spent, it is timed no more "
        "(after at least one sample) (default: 20)",
    )
    parser.add_argument(
        "--search-sql",
        action="append",
        default=[],
        metavar="REQUEST",
        help="print the SQL (with each query's time) of one warm request of the large search "
        "library (a key of the search table, or 'all'); may be repeated",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"where to write the JSON results (default: {DEFAULT_OUTPUT.relative_to(REPO_DIR)})",
    )
    args = parser.parse_args(argv)
    for key in [*args.sql, args.profile, args.profile_templates]:
        known = (*PAGE_KEYS, *(f"{k}/miss" for k in SESSION_KEYS), "all")
        if key is not None and key not in known:
            parser.error(f"unknown page {key!r}; the pages are {', '.join(known)}")
    if args.profile == "all" or args.profile_templates == "all":
        parser.error("--profile and --profile-templates take one page")
    for key in args.search_sql:
        if key not in (*SEARCH_KEYS, "all"):
            parser.error(f"unknown search request {key!r}; they are {', '.join(SEARCH_KEYS)}")
    if args.search_sessions < 1:
        parser.error("--search-sessions must be at least 1")
    if args.iterations < 1:
        parser.error("--iterations must be at least 1")
    if args.warmup < 1:
        parser.error("--warmup must be at least 1 (the first request makes renditions and embeds)")
    return args


def setup_django(args, work_dir):
    """Point Django at benchmarks.settings; must run before anything imports a model."""
    if str(REPO_DIR) not in sys.path:
        sys.path.insert(0, str(REPO_DIR))
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["PMOLIB_BENCH_WORKDIR"] = str(work_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    import django

    django.setup()


# --- measuring -------------------------------------------------------------


def with_miss_variants(pages):
    import dataclasses

    misses = [
        dataclasses.replace(
            bench, key=f"{bench.key}/miss", label=f"{bench.label} (not cached)", miss=True
        )
        for bench in pages
        if bench.key in SESSION_KEYS
    ]
    return pages + misses


def before_request(bench):
    """For a /miss page, make the cached article stale (not timed)."""
    if bench.miss:
        from wagtail_pmolib.invalidation import invalidate_everything

        invalidate_everything()


def fetch(client, bench):
    before_request(bench)
    response = client.get(bench.url)
    if response.status_code != 200:
        raise SystemExit(f"{bench.key}: GET {bench.url} answered {response.status_code}")
    return response


def check_content(bench, html):
    for text, count in bench.expect:
        found = html.count(text)
        if (count is None and not found) or (count is not None and found != count):
            wanted = "at least once" if count is None else f"{count} time(s)"
            raise SystemExit(
                f"{bench.key}: expected {text!r} {wanted} in {bench.url}, found it {found} time(s)"
            )


def warm_up(client, pages, rounds):
    """The first requests fill caches (embeds, renditions, site root paths, templates);
    the last one's HTML is checked, so that a page that renders wrong stops the run."""
    for _ in range(rounds):
        for bench in pages:
            response = fetch(client, bench)
            bench.bytes = len(response.content)
    for bench in pages:
        check_content(bench, fetch(client, bench).content.decode())


def count_queries(client, pages):
    """Exact queries of a warm request, measured twice: they must not change between requests."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for bench in pages:
        if not bench.miss:
            fetch(client, bench)  # a /miss page measured before made it stale
        runs = []
        for _ in range(2):
            before_request(bench)  # not counted: the miss is what is measured
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(bench.url)
            assert response.status_code == 200, (bench.key, response.status_code)
            runs.append([q["sql"] for q in ctx.captured_queries])
        bench.sql = runs[-1]
        bench.queries = len(runs[-1])
        bench.queries_stable = len(runs[0]) == len(runs[1])


def time_pages(client, pages, iterations):
    """Round-robin: each round requests every page once, starting one page later each round,
    so that drifting noise (CPU frequency, other processes, GC) is shared by all pages.

    A "/miss" request makes every cached article stale, so each round times the
    misses first, then re-warms the cached pages (untimed) and times them.
    """
    samples = {bench.key: [] for bench in pages}
    misses = [bench for bench in pages if bench.miss]
    others = [bench for bench in pages if not bench.miss]
    gc.collect()
    perf_counter = time.perf_counter

    def timed(group, shift):
        shift %= len(group)
        for bench in group[shift:] + group[:shift]:
            before_request(bench)
            started = perf_counter()
            response = client.get(bench.url)
            elapsed = perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{bench.key}: GET {bench.url} answered {response.status_code}")
            samples[bench.key].append(elapsed * 1000)

    for i in range(iterations):
        if misses:
            timed(misses, i)
            for bench in others:
                fetch(client, bench)
        timed(others, i)
    return samples


def summarise(values):
    ordered = sorted(values)
    return {
        "median_ms": statistics.median(ordered),
        "mean_ms": statistics.fmean(ordered),
        "p90_ms": ordered[round(0.9 * (len(ordered) - 1))],
        "min_ms": ordered[0],
        "max_ms": ordered[-1],
        "stdev_ms": statistics.stdev(ordered) if len(ordered) > 1 else 0.0,
    }


# --- targets -----------------------------------------------------------------


def same_queries(by_key, a, b):
    qa, qb = by_key[a].queries, by_key[b].queries
    return {
        "kind": "queries",
        "name": f"queries identical: {a} vs {b}",
        "value": f"{qa} vs {qb}",
        "limit": "equal",
        "passed": qa == qb,
    }


def evaluate_targets(by_key, ratio, miss_ratio):
    def seed_queries(key):
        queries = by_key[key].queries
        return {
            "kind": "queries",
            "name": f"queries of the {key} page",
            "value": queries,
            "limit": f"<= {MAX_SEED_QUERIES}",
            "passed": queries <= MAX_SEED_QUERIES,
        }

    return [
        same_queries(by_key, "handouts-1/miss", "handouts-20/miss"),
        same_queries(by_key, "seed/miss", "handout-blocks-20/miss"),
        same_queries(by_key, "speakers-1/miss", "speakers-6/miss"),
        same_queries(by_key, "handouts-1", "handouts-20"),
        same_queries(by_key, "speakers-1", "speakers-6"),
        seed_queries("seed"),
        seed_queries("seed/miss"),
        {
            "kind": "time",
            "name": "median time ratio seed / plain",
            "value": round(ratio, 3),
            "limit": f"<= {MAX_TIME_RATIO}",
            "passed": ratio <= MAX_TIME_RATIO,
        },
        {
            "kind": "time",
            "name": "median time ratio seed/miss / plain",
            "value": round(miss_ratio, 3),
            "limit": f"<= {MAX_MISS_RATIO}",
            "passed": miss_ratio <= MAX_MISS_RATIO,
        },
    ]


# --- reporting ---------------------------------------------------------------


def database_version(connection):
    if connection.vendor == "sqlite":
        return ".".join(str(p) for p in connection.Database.sqlite_version_info)
    if connection.vendor == "postgresql":
        version = connection.pg_version  # e.g. 150020
        return f"{version // 10000}.{version % 10000}"
    return ""


def environment(args):
    import django
    import wagtail
    from django.db import connection

    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "wagtail": wagtail.__version__,
        "database": connection.vendor,
        "database_version": database_version(connection),
        "database_name": connection.settings_dict["NAME"],
        "machine": platform.machine(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "iterations": args.iterations,
        "warmup": args.warmup,
    }


def print_report(env, pages, ratios, targets):
    print()
    print(
        f"wagtail-pmolib benchmarks — {env['database']} {env['database_version']}, "
        f"Python {env['python']}, Django {env['django']}, Wagtail {env['wagtail']}, "
        f"{env['iterations']} rounds after {env['warmup']} warm-up requests per page"
    )
    print(
        f"{env['cpus']} CPUs, load average at the end {env['load_average'][0]} "
        "(other work on the machine slows every page alike; ratios and query counts hold)"
    )
    print()
    header = (
        f"{'page':<23} {'what':<46} {'median ms':>9} {'p90 ms':>8} {'min ms':>8} "
        f"{'queries':>7} {'KB':>6}"
    )
    print(header)
    print("-" * len(header))
    for bench in pages:
        s = bench.stats
        queries = f"{bench.queries}{'' if bench.queries_stable else '*'}"
        print(
            f"{bench.key:<23} {bench.label:<46} {s['median_ms']:>9.2f} {s['p90_ms']:>8.2f} "
            f"{s['min_ms']:>8.2f} {queries:>7} {bench.bytes / 1024:>6.1f}"
        )
    if not all(bench.queries_stable for bench in pages):
        print("* the query count changed between two warm requests: something is not cached")
    print()
    print(
        f"seed / plain median time: {ratios['seed_over_plain']:.2f}×   "
        f"seed/miss / plain: {ratios['seed_miss_over_plain']:.2f}×   "
        f"seed / bare: {ratios['seed_over_bare']:.2f}×   "
        f"plain / bare: {ratios['plain_over_bare']:.2f}×"
    )
    print()
    print("targets")
    for target in targets:
        print_target(target)


def print_target(target):
    verdict = "PASS" if target["passed"] else "FAIL"
    print(f"  {verdict}  {target['name']:<46} {target['value']!s:>8}  (target {target['limit']})")


def print_sql(pages, wanted):
    keys = {bench.key for bench in pages} if "all" in wanted else set(wanted)
    for bench in pages:
        if bench.key not in keys:
            continue
        print()
        print(f"SQL of one warm request to {bench.key} ({bench.url}): {bench.queries} queries")
        for n, sql in enumerate(bench.sql, 1):
            print(f"  {n:>2}. {sql}")


def profile_templates(client, bench, iterations, limit=30):
    """Each template's own time per request to ``bench`` (``--profile-templates``):
    without the templates it includes, with whatever its tags and the lazy values
    of its context ran (queries included). A block's content counts for the
    outermost template, which renders it."""
    from collections import Counter

    from django.template.base import Template

    totals, stack = Counter(), []
    render = Template._render

    def timed(self, context):
        stack.append(0.0)
        start = time.perf_counter()
        try:
            return render(self, context)
        finally:
            took = time.perf_counter() - start
            totals[self.name] += took - stack.pop()
            if stack:
                stack[-1] += took

    Template._render = timed
    try:
        for _ in range(iterations):
            before_request(bench)
            client.get(bench.url)
    finally:
        Template._render = render
    print()
    print(f"Time of each template's own rendering, per request to {bench.key} ({bench.url})")
    for name, took in totals.most_common(limit):
        print(f"  {took / iterations * 1000:8.3f} ms  {name}")


def profile_page(client, bench, iterations, limit=40):
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    for _ in range(iterations):
        before_request(bench)  # a /miss page: make it stale, unprofiled
        profiler.enable()
        client.get(bench.url)
        profiler.disable()
    print()
    print(
        f"cProfile of {iterations} requests to {bench.key} ({bench.url}); "
        "the timings above were taken without the profiler"
    )
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats("wagtail_pmolib", limit)  # ours only
    stats.strip_dirs()
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit // 2)


def write_json(path, env, pages, ratios, targets, voting=None, search=None, api=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "environment": env,
        "pages": {
            bench.key: {
                "label": bench.label,
                "url": bench.url,
                "depth": bench.page.depth,
                "page_type": f"{bench.page._meta.app_label}.{type(bench.page).__name__}",
                **{k: round(v, 4) for k, v in bench.stats.items()},
                "queries": bench.queries,
                "queries_stable": bench.queries_stable,
                "bytes": bench.bytes,
                "sql": bench.sql,
            }
            for bench in pages
        },
        "ratios": {k: round(v, 4) for k, v in ratios.items()},
        "votes": voting,
        "search": search,
        "api": api,
        "targets": targets,
        "passed": all(t["passed"] for t in targets),
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- main --------------------------------------------------------------------


def run(args):
    from django.db import connection
    from django.test import Client

    from benchmarks import api as api_bench
    from benchmarks import content
    from benchmarks import feedback as feedback_bench
    from benchmarks import search as search_bench

    assert tuple(case.key for case in search_bench.CASES) == SEARCH_KEYS

    old_name = connection.settings_dict["NAME"]
    print(f"Creating the benchmark database on {connection.vendor} …", flush=True)
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        pages = content.build()
        assert tuple(bench.key for bench in pages) == PAGE_KEYS
        print("Storing votes …", flush=True)
        seed = pages[PAGE_KEYS.index("seed")]
        pages += feedback_bench.build_vote_pages(
            seed,
            [link.speaker for link in seed.page.session_speakers.all()],
            seed.page.body[1].value["document"],
        )
        pages = with_miss_variants(pages)
        client = Client()
        print(f"Warming up ({args.warmup} requests per page) …", flush=True)
        warm_up(client, pages, args.warmup)
        count_queries(client, pages)
        print(f"Timing {args.iterations} rounds of {len(pages)} pages …", flush=True)
        samples = time_pages(client, pages, args.iterations)
        for bench in pages:
            bench.stats = summarise(samples[bench.key])
        by_key = {bench.key: bench for bench in pages}
        median = {key: bench.stats["median_ms"] for key, bench in by_key.items()}
        ratios = {
            "seed_over_plain": median["seed"] / median["plain"],
            "seed_miss_over_plain": median["seed/miss"] / median["plain"],
            "seed_over_bare": median["seed"] / median["bare"],
            "plain_over_bare": median["plain"] / median["bare"],
        }
        ratios["votes_100000_over_10"] = median["votes-100000"] / median["votes-10"]
        ratios["votes_100000_over_10_miss"] = median["votes-100000/miss"] / median["votes-10/miss"]
        targets = evaluate_targets(
            by_key, ratios["seed_over_plain"], ratios["seed_miss_over_plain"]
        )
        targets += [
            same_queries(by_key, "votes-10", "votes-100000"),
            same_queries(by_key, "votes-10/miss", "votes-100000/miss"),
            {
                "kind": "time",
                "name": "median time ratio 100,000 / 10 votes",
                "value": round(ratios["votes_100000_over_10"], 3),
                "limit": f"<= {MAX_VOTES_RATIO}",
                "passed": ratios["votes_100000_over_10"] <= MAX_VOTES_RATIO,
            },
        ]
        print("JSON API: session details …", flush=True)
        api_requests = api_bench.session_requests(pages)
        api_requests.append(api_bench.not_modified_request(client, api_requests[0]))
        api_bench.measure(client, api_requests, args.warmup, args.iterations)
        api_rows = api_bench.summary(
            api_requests, {key: bench.queries for key, bench in by_key.items()}, statistics.median
        )
        api_targets = api_bench.targets(api_requests)
        targets += api_targets
        print(f"Posting {args.votes} votes through the feedback endpoint …", flush=True)
        voting = feedback_bench.votes_per_second(by_key["votes-10"].page, args.votes)
        page_targets = [t for t in targets if t not in api_targets]
        search = search_requests = None
        if not args.no_search:
            search, search_targets, search_requests = search_bench.run(
                args.search_sessions, args.iterations, args.search_budget
            )
            targets += search_targets
        env = environment(args)
        print_report(env, pages, ratios, page_targets)
        api_bench.print_report(api_rows)
        print()
        print("API targets")
        for target in api_targets:
            print_target(target)
        print()
        print(
            f"votes through POST {{page.url}}feedback/ (JSON, distinct visitors, 1 in 10 a change "
            f"of rating): {voting['votes_per_second']} votes/s, median {voting['median_ms']} ms, "
            f"p90 {voting['p90_ms']} ms; {voting['stored_rows']} rows stored, summary "
            f"count {voting['summary_count']}"
        )
        print(
            f"100,000 / 10 stored votes, median time: {ratios['votes_100000_over_10']:.2f}× "
            f"(article not cached: {ratios['votes_100000_over_10_miss']:.2f}×)"
        )
        if search is not None:
            search_bench.print_report(search, search_requests, args.search_sessions)
            print()
            print("search targets")
            for target in search_targets:
                print_target(target)
        if args.sql:
            print_sql(pages, args.sql)
        if search is not None and args.search_sql:
            search_bench.print_sql(search_requests, args.search_sessions, args.search_sql)
        if args.profile:
            profile_page(client, by_key[args.profile], args.iterations)
        if args.profile_templates:
            profile_templates(client, by_key[args.profile_templates], args.iterations)
        write_json(args.output, env, pages, ratios, targets, voting, search, api_rows)
        print()
        print(f"JSON written to {args.output}")
        return targets
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main(argv=None):
    args = parse_args(argv)
    args.output = args.output.resolve()
    work_dir = Path(tempfile.mkdtemp(prefix="pmolib-bench-"))
    try:
        setup_django(args, work_dir)
        targets = run(args)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    if args.check and not all(t["passed"] for t in targets):
        print("Some targets were missed (--check): exit status 1.")
        return 1
    if args.check_queries and not all(t["passed"] for t in targets if t["kind"] == "queries"):
        print("Some query-count targets were missed (--check-queries): exit status 1.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
