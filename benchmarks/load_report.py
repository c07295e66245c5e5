"""The load test's report: tables, verdicts, what ``--check`` fails on, and
the environment written with the JSON (``benchmarks/load.py``)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

from benchmarks.load_client import KINDS


def failures(result):
    """What ``--check`` fails on."""
    found = []
    for phase in ("yardstick", "mixed"):
        total = result[phase]["table"][-1]
        if total["5xx"] or total["failed"]:
            found.append(f"{phase}: {total['5xx']} × 5xx, {total['failed']} failed requests")
    if result["hidden"]["violations"]:
        found.append(f"{result['hidden']['violations']} hidden sessions shown")
    if result["published"]["violations"]:
        found.append(f"{result['published']['violations']} published sessions not shown")
    if not result["votes"]["equal"]:
        found.append("acknowledged votes ≠ stored votes")
    return found


def print_table(rows):
    header = (
        f"  {'kind':<9} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'2xx':>6} {'3xx':>5} {'4xx':>5} {'5xx':>5} {'failed':>6}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for row in rows:
        print(
            f"  {row['kind']:<9} {row['requests']:>8} {row['per_second']:>7} "
            f"{row['p50_ms'] or 0:>8.1f} {row['p95_ms'] or 0:>8.1f} {row['2xx']:>6} "
            f"{row['3xx']:>5} {row['4xx']:>5} {row['5xx']:>5} {row['failed']:>6}"
        )


def optional(details):
    """`` {…}`` after a figure, or nothing when there is nothing to detail."""
    return f" {details}" if details else ""


def verdict(ok):
    return "PASS" if ok else "FAIL"


def print_report(result, args):
    print()
    print(
        f"{result['label']}: gunicorn -w {args.workers}, {args.clients} clients, "
        f"{args.duration:g} s a phase"
    )
    print("\n  yardstick: Wagtail's bare page")
    print_table(result["yardstick"]["table"])
    print("\n  mixed traffic, editor at work")
    print_table(result["mixed"]["table"])
    bare = result["yardstick"]["table"][0]
    total = result["mixed"]["table"][-1]
    session = result["mixed"]["table"][KINDS.index("session")]
    if bare["per_second"] and total["per_second"]:
        print(
            f"\n  mixed / bare: {total['per_second'] / bare['per_second']:.2f}× the requests "
            f"per second, p50 {total['p50_ms'] / bare['p50_ms']:.1f}× "
            f"(session pages {(session['p50_ms'] or 0) / bare['p50_ms']:.1f}×)"
        )
    editor = result["editor"]
    print(
        f"  editor: {editor['changes']}, {editor['failed']} failed, "
        f"{editor['retries']} retried (locked database)"
    )
    hidden, published, votes = result["hidden"], result["published"], result["votes"]
    print()
    print(
        f"  {verdict(not hidden['violations'])}  unpublished or login-only sessions shown "
        f"after their change committed: {hidden['violations']} responses "
        f"({hidden['hidden_sessions']} sessions hidden; by kind {hidden['by_kind']}, by change "
        f"{hidden['by_action']}, up to {hidden['max_lag_s']} s after the commit)"
    )
    print(
        "        probe sessions shown while visible, by kind: "
        f"{hidden['probe_shown_while_visible']}; "
        f"own pages after the change: {hidden['own_page_after_change']}"
    )
    for example in hidden["examples"][:3]:
        print(
            f"        e.g. {example['kind']} {example['path']} {example['status']}: "
            f"{example['token']} ({example['action']}) {example['what']}, "
            f"{example['lag_s']} s after the commit"
        )
    print(
        f"  {verdict(not published['violations'])}  new sessions not shown after their "
        f"publication committed: {published['first_pages_without_newest']} of "
        f"{published['first_pages_checked']} first library pages, "
        f"{published['own_pages_not_200']} own pages not 200"
    )
    print(
        f"  {verdict(votes['equal'])}  acknowledged votes = stored votes: "
        f"{votes['acknowledged_pairs']} acknowledged (page, visitor), {votes['stored_rows']} "
        f"stored, summaries count {votes['summary_count']}; lost {votes['lost']}, wrong rating "
        f"{votes['wrong_rating']}, stored but not acknowledged {votes['stored_unacknowledged']}"
        f"{optional(votes['stored_unacknowledged_answers'])}; answers {votes['answers']}"
    )
    total_5xx = result["yardstick"]["table"][-1]["5xx"] + total["5xx"]
    ok = not total_5xx and not total["failed"]
    print(
        f"  {verdict(ok)}  5xx: {total_5xx}{optional(result['statuses_5xx'])}, "
        f"failed: {total['failed']}"
    )
    for line, count in result["server_errors"].items():
        print(f"        {count} × {line}")


def environment(args):
    from importlib.metadata import version

    return {
        "python": platform.python_version(),
        **{name: version(name) for name in ("django", "wagtail", "aiohttp", "psycopg", "redis")},
        "gunicorn": subprocess.run(
            [sys.executable, "-m", "gunicorn", "--version"], capture_output=True, text=True
        ).stdout.strip(),
        "cpus": os.cpu_count(),
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "workers": args.workers,
        "clients": args.clients,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "editor_interval_s": args.editor_interval,
        "seed": args.seed,
    }
