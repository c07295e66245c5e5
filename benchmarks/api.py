"""The JSON API beside the HTML: a session's detail (``GET {api}/sessions/{id}/``)
for every session page of the page benchmarks, and its 304. (The library search
through the API, ``GET {api}/libraries/{id}/search/``, is measured in
``search.py``, beside the HTML search requests, on the same libraries.)

Query counts are exact (two warm requests, which must agree); times are medians
of round-robin rounds, as for the pages (see README.md, "The JSON API").
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field

API = "/api/pmolib/"

# Session pages whose API detail is measured: every session page of the report.
SESSION_KEYS = (
    "seed",
    "handouts-1",
    "handouts-20",
    "handout-blocks-20",
    "speakers-1",
    "speakers-6",
    "votes-10",
    "votes-100000",
)
# Most queries of a session's detail (constant whatever its size: README, "Performance").
MAX_DETAIL_QUERIES = 22
# Most queries of a 304 answered from a session's ETag.
MAX_NOT_MODIFIED_QUERIES = 7


@dataclass
class ApiRequest:
    key: str
    label: str
    url: str
    html_key: str  # the HTML page or search request it stands beside
    headers: dict = field(default_factory=dict)
    status: int = 200
    queries: int = 0
    queries_stable: bool = True
    bytes: int = 0
    sql: list[str] = field(default_factory=list)
    samples: list[float] = field(default_factory=list)


def session_requests(pages) -> list[ApiRequest]:
    by_key = {bench.key: bench for bench in pages}
    return [
        ApiRequest(
            f"api/{key}",
            f"GET {API}sessions/{{id}}/ ({key})",
            f"{API}sessions/{by_key[key].page.pk}/",
            key,
        )
        for key in SESSION_KEYS
    ]


def _get(client, request: ApiRequest):
    response = client.get(request.url, headers=request.headers)
    if response.status_code != request.status:
        raise SystemExit(
            f"{request.key}: GET {request.url} answered {response.status_code}, "
            f"not {request.status}"
        )
    return response


def not_modified_request(client, seed_request: ApiRequest) -> ApiRequest:
    """The seed's detail asked again with the ETag it came with."""
    etag = _get(client, seed_request)["ETag"]
    return ApiRequest(
        "api/seed/304",
        f"GET {API}sessions/{{id}}/ with If-None-Match",
        seed_request.url,
        "seed",
        headers={"If-None-Match": etag},
        status=304,
    )


def measure(client, requests, warmup: int, iterations: int) -> None:
    """Warm up, count the queries of two warm requests, then time round-robin."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        for request in requests:
            request.bytes = len(_get(client, request).content)
    for request in requests:
        counts = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as ctx:
                _get(client, request)
            counts.append([q["sql"] for q in ctx.captured_queries])
        request.sql = counts[-1]
        request.queries = len(counts[-1])
        request.queries_stable = len(counts[0]) == len(counts[1])
    gc.collect()
    for i in range(iterations):
        shift = i % len(requests)
        for request in requests[shift:] + requests[:shift]:
            started = time.perf_counter()
            _get(client, request)
            request.samples.append((time.perf_counter() - started) * 1000)


def targets(requests) -> list[dict]:
    by_key = {request.key: request for request in requests}

    def same(a, b):
        qa, qb = by_key[a].queries, by_key[b].queries
        return {
            "kind": "queries",
            "name": f"API queries identical: {a} vs {b}",
            "value": f"{qa} vs {qb}",
            "limit": "equal",
            "passed": qa == qb,
        }

    def at_most(key, limit):
        queries = by_key[key].queries
        return {
            "kind": "queries",
            "name": f"queries of {key}",
            "value": queries,
            "limit": f"<= {limit}",
            "passed": queries <= limit and by_key[key].queries_stable,
        }

    found = [
        same("api/handouts-1", "api/handouts-20"),
        same("api/seed", "api/handout-blocks-20"),
        same("api/speakers-1", "api/speakers-6"),
        same("api/votes-10", "api/votes-100000"),
        at_most("api/seed", MAX_DETAIL_QUERIES),
        at_most("api/seed/304", MAX_NOT_MODIFIED_QUERIES),
    ]
    return found


def summary(requests, html_queries: dict, median) -> list[dict]:
    """One row a request, with the HTML figures it stands beside."""
    rows = []
    for request in requests:
        ordered = sorted(request.samples)
        rows.append(
            {
                "key": request.key,
                "label": request.label,
                "url": request.url,
                "status": request.status,
                "queries": request.queries,
                "queries_stable": request.queries_stable,
                "bytes": request.bytes,
                "median_ms": round(median(ordered), 4) if ordered else None,
                "html_key": request.html_key,
                "html_queries": html_queries.get(request.html_key),
                "html_miss_queries": html_queries.get(f"{request.html_key}/miss"),
                "sql": request.sql,
            }
        )
    return rows


def print_report(rows) -> None:
    print()
    print("JSON API beside the HTML (queries of one warm request; medians)")
    header = (
        f"{'request':<22} {'beside':<20} {'API queries':>11} {'HTML queries':>12} "
        f"{'HTML/miss':>9} {'API median ms':>13} {'KB':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        queries = f"{row['queries']}{'' if row['queries_stable'] else '*'}"
        html = "" if row["html_queries"] is None else str(row["html_queries"])
        miss = "" if row["html_miss_queries"] is None else str(row["html_miss_queries"])
        median = "" if row["median_ms"] is None else f"{row['median_ms']:.2f}"
        print(
            f"{row['key']:<22} {row['html_key']:<20} {queries:>11} {html:>12} {miss:>9} "
            f"{median:>13} {row['bytes'] / 1024:>6.1f}"
        )
    if not all(row["queries_stable"] for row in rows):
        print("* the query count changed between two warm requests")
