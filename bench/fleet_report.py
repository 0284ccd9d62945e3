"""The fleet benchmark's figures: what the generators and the watches measured, summed up per
engine (:func:`summarize`), and the table of the issue (:func:`print_table`) with the issue's
own probe below it, labelled as measured elsewhere."""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

DAY = 86_400

# Issue [10]'s throwaway probe on this 2-core machine, 2026-12-06: steady p50/p99 (its p95 was
# not published), errors, the hub's CPU, the burst; its store grew 70-80 MB an hour at 3,321.
PROBE = "measured elsewhere (issue [10] probe, 2026-12-06)"
PROBE_ROWS = [
    ("500", "sqlite", "6.4 / – / 12.3", "0", "7%", "–", "1.5 s", "0", "–"),
    ("2,000", "sqlite", "4.1 / – / 14.3", "0", "20%", "–", "5.7 s", "0", "–"),
    ("3,321", "sqlite", "3.8 / – / 23.1", "0", "30%", "–", "10.1 s", "0", "– (1.7–1.9 GB)"),
]
OTHERS_WARNING = 20  # % of a core used by other work beyond which the figures are flagged
HEADER = (
    "nodes",
    "engine",
    "steady p50 / p95 / p99 ms",
    "errors",
    "hub CPU",
    "hub RSS",
    "burst",
    "burst errors",
    "growth/day: store (visit tables)",
)


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values`` by the nearest rank; ``None`` when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def _ms(values: list[float]) -> dict[str, float | None]:
    return {
        f"p{q}": None if (v := percentile(values, q / 100)) is None else round(v * 1000, 2)
        for q in (50, 95, 99)
    }


def _merged(counters: list[dict[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for c in counters:
        total.update(c)
    return dict(total)


def summarize(raw: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """One engine's figures from the raw answers of the generators and the watches."""
    enroll, catch_up = raw["enroll"], raw["catch_up"]
    gens = raw["steady"]["generators"]
    pulls = [t for g in gens for t in g["pull"]]
    pushes = [t for g in gens for t in g["push"]]
    steady_errors = _merged([g["errors"] for g in gens])
    window = max(g["seconds"] for g in gens)
    growth = raw["growth"]
    before, after, span = growth["before"], growth["after"], max(growth["window_s"], 1e-9)

    def per_day(key: str) -> float:
        return (after[key] - before[key]) * DAY / span

    bursts = raw["burst"]
    served = [t for b in bursts for t in b["served"]]
    unserved = sum(b["unserved"] for b in bursts)
    bad = sum(b["bad_answers"] for b in bursts)
    burst_errors = unserved + bad
    return {
        "engine": raw["engine"],
        "nodes": raw["nodes"],
        "setup_s": round(raw["setup_s"], 1),
        "enroll": {
            "enrolled": sum(e["enrolled"] for e in enroll),
            "seconds": round(max(e["seconds"] for e in enroll), 1),
            "errors": _merged([e["errors"] for e in enroll]),
        },
        "first_sync": {
            "seconds": round(max(c["seconds"] for c in catch_up), 1),
            "entries": sum(c["entries"] for c in catch_up),
            "errors": _merged([c["errors"] for c in catch_up]),
        },
        "routed_directives": raw["routed_directives"],
        "steady": {
            "seconds": round(window, 1),
            "interval_s": args.interval,
            "pulls": len(pulls),
            "pushes": len(pushes),
            "entries_pulled": sum(g["entries"] for g in gens),
            "pull_ms": _ms(pulls),
            "pull_ms_after_first_round": _ms([t for g in gens for t in g["pull_later"]]),
            "push_ms": _ms(pushes),
            "all_ms": _ms(pulls + pushes),
            "errors": sum(steady_errors.values()),
            "error_kinds": steady_errors,
            "refused_503": sum(g["refused_503"] for g in gens),
            "start_lag_p99_ms": _ms([t for g in gens for t in g["lag"]])["p99"],
            "hub": raw["steady"]["usage"]["hub"],
            "db": raw["steady"]["usage"].get("db"),
            "generators_cpu_pct": round(100 * sum(g["cpu_s"] for g in gens) / window, 1),
            "machine": raw["steady"]["usage"]["machine"],
        },
        "burst": {
            "nodes": len(served) + unserved,
            "served": len(served),
            "seconds_to_last": round(max(served), 3) if served and not unserved else None,
            "served_p50_s": None if not served else round(percentile(served, 0.5) or 0, 3),
            "served_p99_s": None if not served else round(percentile(served, 0.99) or 0, 3),
            "errors": burst_errors,
            "unserved": unserved,
            "bad_answers": bad,
            "refused_503": sum(b["refused_503"] for b in bursts),
            "failed_attempts": _merged([b["failed_attempts"] for b in bursts]),
            "hub": raw["burst_usage"]["hub"],
            "db": raw["burst_usage"].get("db"),
            "generators_cpu_s": round(sum(b["cpu_s"] for b in bursts), 2),
            "machine": raw["burst_usage"]["machine"],
        },
        "growth_per_day": {
            "window_s": round(span, 1),
            "store_mb": round(per_day("store_bytes") / 1e6, 1),
            "visit_tables_mb": round(per_day("visit_bytes") / 1e6, 1),
            "sync_events_rows": round(per_day("sync_events_rows")),
            "sync_visits_rows": round(per_day("sync_visits_rows")),
            "sync_events_rows_now": after["sync_events_rows"],
            "sync_visits_rows_now": after["sync_visits_rows"],
        },
    }


def _cell_ms(figures: dict[str, float | None]) -> str:
    return " / ".join(
        "–" if figures[k] is None else f"{figures[k]:.1f}" for k in ("p50", "p95", "p99")
    )


def _cpu(usage: dict[str, Any], db: dict[str, Any] | None) -> str:
    text = f"{usage['cpu_pct']:.0f}%"
    return text + (f" (+{db['cpu_pct']:.0f}% db)" if db else "")


def _rss(usage: dict[str, Any], db: dict[str, Any] | None) -> str:
    text = f"{usage['rss_peak_mb']:.0f} MB"
    return text + (f" (+{db['rss_peak_mb']:.0f} MB db)" if db else "")


def others_pct(phase: dict[str, Any]) -> float:
    """The CPU of a phase, in % of a core, that was neither the hub, the database nor the
    generators: other work on a shared machine, which makes every figure worse."""
    machine = phase["machine"]
    ours = phase["hub"]["cpu_s"] + (phase["db"]["cpu_s"] if phase["db"] else 0)
    ours += phase.get(
        "generators_cpu_s", phase.get("generators_cpu_pct", 0) * machine["wall_s"] / 100
    )
    return 100 * max(0.0, machine["cpu_s"] - ours) / max(machine["wall_s"], 1e-9)


def _others(phase: dict[str, Any]) -> str:
    busy = phase["machine"]["cpu_pct"]
    return f"machine busy {busy:.0f}% of a core, others {others_pct(phase):.0f}%"


def row(result: dict[str, Any]) -> tuple[str, ...]:
    """A result as a row of the table."""
    steady, burst, growth = result["steady"], result["burst"], result["growth_per_day"]
    last = burst["seconds_to_last"]
    return (
        f"{result['nodes']:,}",
        result["engine"],
        _cell_ms(steady["pull_ms"]),
        str(steady["errors"]),
        _cpu(steady["hub"], steady["db"]),
        _rss(steady["hub"], steady["db"]),
        f"{last:.1f} s" if last is not None else "not all served",
        str(burst["errors"]),
        f"{growth['store_mb']:.0f} MB ({growth['visit_tables_mb']:.0f} MB)",
    )


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
        for r in [HEADER, *rows]
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return lines


def print_table(results: list[dict[str, Any]]) -> None:
    """The results as the issue's table, the details below, the issue's probe last."""
    print("\n".join(_table([row(r) for r in results])))
    print(
        "\nsteady: pulls' latency from connecting to the answer read; hub CPU in % of one core "
        "and peak RSS over the phase; burst: until the last node is served; growth: the store's "
        "bytes in use, scaled to a day."
    )
    for r in results:
        s, b, g = r["steady"], r["burst"], r["growth_per_day"]
        print(
            f"\n[{r['engine']}, {r['nodes']:,} nodes] enrolled {r['enroll']['enrolled']:,} in "
            f"{r['enroll']['seconds']:.1f} s; first sync {r['first_sync']['seconds']:.1f} s "
            f"({r['first_sync']['entries']:,} entries); {r['routed_directives']:,} directive "
            "entries routed before the steady phase"
        )
        print(
            f"  steady {s['seconds']:.0f} s: {s['pulls']:,} pulls, {s['pushes']:,} pushes "
            f"(p50/p95/p99 {_cell_ms(s['push_ms'])} ms), {s['entries_pulled']:,} entries pulled; "
            f"pulls after the first round {_cell_ms(s['pull_ms_after_first_round'])} ms; "
            f"errors {s['error_kinds'] or 0}; 503 answers (tried again) {s['refused_503']:,}; start lag p99 {s['start_lag_p99_ms']} ms; "
            f"generators' CPU {s['generators_cpu_pct']:.0f}% of a core; {_others(s)}"
        )
        print(
            f"  burst: {b['served']:,}/{b['nodes']:,} served, p50 {b['served_p50_s']} s, "
            f"p99 {b['served_p99_s']} s; 503 answers {b['refused_503']:,}; failed attempts "
            f"{b['failed_attempts'] or 0}; hub {_cpu(b['hub'], b['db'])}, "
            f"{_rss(b['hub'], b['db'])}; generators {b['generators_cpu_s']:.1f} CPU s; "
            f"{_others(b)}"
        )
        print(
            f"  growth a day: store {g['store_mb']:.1f} MB, visit tables {g['visit_tables_mb']:.1f} "
            f"MB, sync_events {g['sync_events_rows']:+,} rows, sync_visits "
            f"{g['sync_visits_rows']:+,} rows (over {g['window_s']:.0f} s; now "
            f"{g['sync_events_rows_now']:,} and {g['sync_visits_rows_now']:,})"
        )
    busy = [
        f"{r['engine']} {phase} {others_pct(r[phase]):.0f}%"
        for r in results
        for phase in ("steady", "burst")
        if others_pct(r[phase]) > OTHERS_WARNING
    ]
    if busy:
        print(
            "\nWARNING: other work used the machine's CPU meanwhile (in % of a core: "
            f"{', '.join(busy)}); these figures are not comparable with a quiet machine's."
        )
    print(f"\n{PROBE}:")
    print("\n".join(_table(list(PROBE_ROWS))))
