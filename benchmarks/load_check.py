"""The load test's figures and verdicts, from the recorded responses, the
editor's changes and the stored votes (plain data: no Django, no network).

Records are dicts as ``load_client.Record.as_dict()`` gives them; events are
the editor's JSON lines (``load_site.py edit``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

HIDING = ("unpublish", "restrict")


def percentile(ordered, fraction):
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def kind_table(records, elapsed, kinds):
    """Per kind (and all together): requests, req/s, p50/p95 ms, and statuses."""
    rows = []
    groups = [(kind, [r for r in records if r["kind"] == kind]) for kind in kinds]
    if len(kinds) > 1:
        groups.append(("all", records))
    for kind, chosen in groups:
        times = sorted(r["ms"] for r in chosen)
        statuses = Counter(r["status"] // 100 for r in chosen)
        rows.append(
            {
                "kind": kind,
                "requests": len(chosen),
                "per_second": round(len(chosen) / elapsed, 1) if elapsed else None,
                "p50_ms": round(percentile(times, 0.5), 1) if times else None,
                "p95_ms": round(percentile(times, 0.95), 1) if times else None,
                "2xx": statuses[2],
                "3xx": statuses[3],
                "4xx": statuses[4],
                "5xx": statuses[5],
                "failed": statuses[0],  # no response: connection error or timeout
            }
        )
    return rows


def own_token(path, urls):
    """The probe token whose own page (or feedback endpoint) ``path`` is, or None."""
    for token, url in urls.items():
        if path == url or path.startswith(url):
            return token
    return None


def _ends(record):
    return record["start"] + record["ms"] / 1000


def check_hidden(records, events, probes):
    """No probe session shown after the commit that unpublished or restricted it.

    For every response whose request started after such a commit: the session's
    token is nowhere in the body (listing, search result, facet, suggestion,
    neighbour, "other sessions by"), and its own page and feedback endpoint do not
    answer 2xx (an unpublished page answers 404, a login-only one the login
    redirect). Also counts, as evidence that the check can fail, how often each
    kind of response showed a probe session while it was visible.
    """
    urls = {p["token"]: p["url"] for p in probes}
    urls.update({e["token"]: e["url"] for e in events})
    hidden = {}
    for event in sorted(events, key=lambda e: e["committed"] or math.inf):
        if event["action"] in HIDING and event["committed"] and event["token"] not in hidden:
            hidden[event["token"]] = event
    violations, shown_before = [], Counter()
    own_after = Counter()
    for record in records:
        own = own_token(record["path"], urls)
        for token, where in record.get("tokens", {}).items():
            change = hidden.get(token)
            if change is None or record["start"] <= change["committed"]:
                shown_before[record["kind"]] += 1
                continue
            if token == own:
                continue  # judged by its status below
            violations.append(_violation(record, change, "shown in " + "+".join(where or ["body"])))
        change = hidden.get(own) if own else None
        if change is not None and record["start"] > change["committed"]:
            own_after[(change["action"], record["status"])] += 1
            if 200 <= record["status"] < 300:
                violations.append(
                    _violation(record, change, f"own page answered {record['status']}")
                )
    by_surface = Counter(v["kind"] for v in violations)
    return {
        "hidden_sessions": len(hidden),
        "violations": len(violations),
        "by_kind": dict(by_surface),
        "by_action": dict(Counter(v["action"] for v in violations)),
        "max_lag_s": round(max((v["lag_s"] for v in violations), default=0), 3),
        "examples": sorted(violations, key=lambda v: -v["lag_s"])[:10],
        "own_page_after_change": {f"{a} → {s}": n for (a, s), n in sorted(own_after.items())},
        "probe_shown_while_visible": dict(shown_before),
    }


def _violation(record, change, what):
    return {
        "kind": record["kind"],
        "path": record["path"],
        "status": record["status"],
        "token": change["token"],
        "action": change["action"],
        "what": what,
        "lag_s": round(record["start"] - change["committed"], 3),
    }


def check_published(records, events, probes, library_url, run_started):
    """New sessions are shown from their publication's commit on: the library's
    first page (newest first, no filters) shows the newest probe session, and a
    probe's own page answers 200, in every response whose request started after
    the publication committed and ended before any change hiding it began."""
    publications = [(run_started, p["token"]) for p in probes]
    publications += [
        (e["committed"], e["token"]) for e in events if e["action"] == "publish" and e["committed"]
    ]
    publications.sort()
    hiding_began = {}
    for event in events:
        if event["action"] in HIDING:
            hiding_began.setdefault(event["token"], event["started"])
    urls = {p["token"]: p["url"] for p in probes}
    urls.update({e["token"]: e["url"] for e in events})
    published_at = {token: at for at, token in publications}
    missing, checked_pages, stale_pages = [], 0, []
    for record in records:
        start, end = record["start"], _ends(record)
        if record["kind"] == "browse" and record["path"] == library_url and record["status"] == 200:
            newest = [t for at, t in publications if at < start]
            if not newest:
                continue
            token = newest[-1]
            if hiding_began.get(token, math.inf) <= end:
                continue
            checked_pages += 1
            if token not in record.get("tokens", {}):
                missing.append(
                    {
                        "path": record["path"],
                        "token": token,
                        "what": "first library page without the newest session",
                        "lag_s": round(start - published_at[token], 3),
                    }
                )
        own = own_token(record["path"], urls)
        if (
            own
            and record["kind"] == "session"
            and published_at.get(own, math.inf) < start
            and hiding_began.get(own, math.inf) > end
            and record["status"] != 200
        ):
            stale_pages.append(
                {
                    "path": record["path"],
                    "token": own,
                    "what": f"own page answered {record['status']}",
                    "lag_s": round(start - published_at[own], 3),
                }
            )
    return {
        "first_pages_checked": checked_pages,
        "first_pages_without_newest": len(missing),
        "own_pages_not_200": len(stale_pages),
        "violations": len(missing) + len(stale_pages),
        "examples": (missing + stale_pages)[:10],
    }


def check_votes(records, stored, page_ids):
    """Acknowledged votes = stored votes.

    Acknowledged: a 2xx answer. One visitor's votes on one page count once (a
    re-vote replaces the rating), so the distinct (page, visitor) pairs
    acknowledged must be exactly the stored rows, each with the rating of the
    visitor's last acknowledged vote; and every page's stored summary must count
    its stored ratings.
    """
    attempts = defaultdict(list)
    for record in sorted((r for r in records if r["kind"] == "vote"), key=lambda r: r["start"]):
        page = page_ids.get(record["path"].removesuffix("feedback/"))
        attempts[(page, record["agent"])].append(record)
    acknowledged = {}
    for pair, tries in attempts.items():
        good = [r for r in tries if 200 <= r["status"] < 300]
        if good:
            acknowledged[pair] = good[-1]["rating"]
    rows = {(row["page_id"], row["agent"]): row for row in stored["rows"]}
    lost = [pair for pair in acknowledged if pair not in rows]
    wrong = [
        pair
        for pair, rating in acknowledged.items()
        if pair in rows and rows[pair]["rating"] != rating
    ]
    unacknowledged = [pair for pair in rows if pair not in acknowledged]
    unacknowledged_statuses = Counter(
        r["status"] for pair in unacknowledged for r in attempts.get(pair, [])
    )
    counted = Counter()
    for row in stored["rows"]:
        summary = stored["summaries"].get(str(row["page_id"]))
        if (
            row["rating"] is not None
            and row["status"] != "spam"
            and summary
            and row["period"] == summary["period"]
        ):
            counted[row["page_id"]] += 1
    summary_mismatches = {
        page: (summary["count"], counted[int(page)])
        for page, summary in stored["summaries"].items()
        if summary["count"] != counted[int(page)]
    }
    answered = Counter(r["status"] for tries in attempts.values() for r in tries)
    return {
        "votes_sent": sum(len(t) for t in attempts.values()),
        "answers": {str(k): v for k, v in sorted(answered.items())},
        "acknowledged_pairs": len(acknowledged),
        "stored_rows": len(rows),
        "summary_count": sum(s["count"] for s in stored["summaries"].values()),
        "lost": len(lost),
        "wrong_rating": len(wrong),
        "stored_unacknowledged": len(unacknowledged),
        "stored_unacknowledged_answers": {str(k): v for k, v in unacknowledged_statuses.items()},
        "summary_mismatches": summary_mismatches,
        "unknown_visitors": sum(1 for row in stored["rows"] if row["agent"] is None),
        "equal": not lost
        and not wrong
        and not unacknowledged
        and not summary_mismatches
        and len(acknowledged) == len(rows),
    }
