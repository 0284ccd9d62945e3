"""A fleet of simulated ward nodes against a real hub: steady polling and the burst of every
node at once, on SQLite and on PostgreSQL side by side in one run (issue [10]).

For each engine: a fresh hub (``central-hub serve`` on a free loopback port) with one unit per
node (Huế's 27 wards, then made-up communes) and one enrollment token each; every node enrolls
through ``/sync/v1/enroll`` from load-generator processes and makes its first sync (not timed
beyond its total); 300 directives to 5 to 64 units each are issued, so the first round of the
steady phase carries them. Then:

- steady: every node visits every ``--interval`` seconds at its own phase (open-loop): a push
  of 1 to 5 dossier changes on ``--push-fraction`` of the visits, then a sealed pull; the
  latency of each request (p50/p95/p99), errors, the hub's CPU and peak memory (from
  ``/proc``; for PostgreSQL the database server's too), the generators' CPU;
- burst: every node pulls at once; the time until the last is served (retries after a 503
  with ``Retry-After`` and jitter count inside it), and the nodes never served or served an
  answer that does not open (errors);
- growth: the store's size and the rows of the visit tables (``sync_events``, ``sync_visits``)
  from the end of the first round to the end of the steady phase, scaled to a day.

The machine's cores are shared by the hub, the database and the generators: the generators'
CPU is printed beside the hub's. Figures of the issue's throwaway probe are printed below the
table as measured elsewhere, never as a baseline of this run.

    python bench/bench_fleet.py [--nodes 3321] [--engines sqlite,postgresql]
        [--steady-seconds 120] [--interval 30] [--push-fraction 0.035] [--generators 2]
        [--seed 10] [--hub-env NAME=VALUE]... [--quick] [--json] [--save FILE]

The machine is shared: a line under the table warns when other work took more than a fifth
of a core during a phase; such figures are not comparable with a quiet machine's.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fleet_hub import (  # noqa: E402
    HubProcess,
    add_units,
    child_env,
    fleet_units,
    make_tokens,
    seed_directives,
    store_size,
)
from bench.fleet_load import generator  # noqa: E402
from bench.fleet_report import print_table, summarize  # noqa: E402
from bench.fleet_store import Engine, engines  # noqa: E402

DIRECTIVES = 300
BURST_DEADLINE = 120.0  # seconds a node keeps retrying in the burst before it counts as an error


def run_engine(engine: Engine, args: argparse.Namespace, say: Any) -> dict[str, Any]:
    """The whole benchmark on one engine; its raw figures."""
    raw: dict[str, Any] = {"engine": engine.name, "nodes": args.nodes}
    with tempfile.TemporaryDirectory(prefix="fleet-") as tmp, ExitStack() as stack:
        data = Path(tmp) / "hub"
        engine.init(data)
        codes = fleet_units(args.nodes)
        port = engine.free_port()
        url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        with engine.store(data) as conn:
            add_units(conn, codes)
            tokens = make_tokens(conn, data, codes, url)
        raw["setup_s"] = time.perf_counter() - started
        env = child_env(
            CENTRAL_HUB_SMS_INTERVAL="0",
            # One address enrolls a whole country here; the limit guards a hub from strangers.
            CENTRAL_HUB_ENROLL_PER_MINUTE=str(10 * args.nodes),
            **engine.env(),
            **dict(item.split("=", 1) for item in args.hub_env),
        )
        hub = HubProcess(data, port, env)
        stack.callback(hub.stop)
        pipes = start_generators(args.generators, url, args.seed, stack)

        say(f"[{engine.name}] enrolling {args.nodes} nodes through /sync/v1/enroll")
        pairs = list(zip(codes, tokens, strict=True))
        answers = ask(pipes, [("enroll", pairs[i :: len(pipes)]) for i in range(len(pipes))])
        raw["enroll"] = answers

        say(f"[{engine.name}] first sync of every node")
        raw["catch_up"] = ask(pipes, [("catch_up",)] * len(pipes))
        with engine.store(data) as conn:
            raw["routed_directives"] = seed_directives(conn, codes, DIRECTIVES, args.seed)

        say(
            f"[{engine.name}] steady: {args.steady_seconds:.0f} s, a visit every {args.interval:.0f} s"
        )
        raw["steady"], raw["growth"] = steady(engine, data, hub, pipes, args)

        say(f"[{engine.name}] burst: every node pulls at once")
        ask(pipes, [("seal_burst",)] * len(pipes))
        start = time.time() + 0.5
        send(pipes, [("burst", start, BURST_DEADLINE)] * len(pipes))
        time.sleep(max(0.0, start - time.time()))
        watches = engine.watches(hub.pid)
        for w in watches.values():
            w.start()
        raw["burst"] = collect(pipes)
        raw["burst_usage"] = {k: w.stop().as_dict() for k, w in watches.items()}
    return raw


def steady(
    engine: Engine, data: Path, hub: HubProcess, pipes: list[Any], args: argparse.Namespace
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The steady phase and the store's growth over it (from the end of the first round,
    which delivers the directives, when the phase lasts two rounds or more)."""
    with engine.store(data) as conn:
        sizes = [(time.time(), store_size(conn, engine.name))]
    start = time.time() + 1.0
    phase = ("steady", start, args.steady_seconds, args.interval, args.push_fraction)
    send(pipes, [phase] * len(pipes))
    time.sleep(max(0.0, start - time.time()))
    watches = engine.watches(hub.pid)
    for w in watches.values():
        w.start()
    if args.steady_seconds >= 2 * args.interval:
        time.sleep(max(0.0, start + args.interval - time.time()))
        with engine.store(data) as conn:
            sizes = [(time.time(), store_size(conn, engine.name))]
    answers = collect(pipes)
    usage = {k: w.stop().as_dict() for k, w in watches.items()}
    with engine.store(data) as conn:
        sizes.append((time.time(), store_size(conn, engine.name)))
    (t0, before), (t1, after) = sizes
    growth = {"window_s": t1 - t0, "before": before, "after": after}
    return {"generators": answers, "usage": usage}, growth


def start_generators(count: int, url: str, seed: int, stack: ExitStack) -> list[Any]:
    """``count`` generator processes (spawned: a clean interpreter each); their pipes."""
    context = multiprocessing.get_context("spawn")
    pipes = []
    for i in range(count):
        ours, theirs = context.Pipe()
        proc = context.Process(target=generator, args=(theirs, url, seed * 1000 + i), daemon=True)
        proc.start()
        pipes.append(ours)

        def stop(ours: Any = ours, proc: Any = proc) -> None:
            try:
                ours.send(("stop",))
            except OSError:
                pass
            proc.join(10)
            if proc.is_alive():
                proc.kill()

        stack.callback(stop)
    return pipes


def send(pipes: list[Any], commands: list[tuple[Any, ...]]) -> None:
    for pipe, command in zip(pipes, commands, strict=True):
        pipe.send(command)


def collect(pipes: list[Any]) -> list[dict[str, Any]]:
    answers = [pipe.recv() for pipe in pipes]
    failed = [a["error"] for a in answers if "error" in a]
    if failed:
        raise SystemExit(f"a load generator failed: {failed[0]}")
    return answers


def ask(pipes: list[Any], commands: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    send(pipes, commands)
    return collect(pipes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=3321)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--steady-seconds", type=float, default=120.0)
    parser.add_argument("--interval", type=float, default=30.0)
    parser.add_argument(
        "--push-fraction",
        type=float,
        default=0.035,
        help="visits that push first (0.035: about 100 pushes a node a day, a ward's working "
        "day in bench_growth.py)",
    )
    parser.add_argument("--generators", type=int, default=2, help="load-generator processes")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument(
        "--hub-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting of the hub's process (CENTRAL_HUB_MAX_INFLIGHT=-1...), repeatable",
    )
    parser.add_argument("--quick", action="store_true", help="50 nodes, 8 s at 2 s (the suite)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--save", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args()
    if args.quick:
        args.nodes, args.steady_seconds, args.interval = 50, 8.0, 2.0

    def say(text: str) -> None:
        print(text, file=sys.stderr if args.json else sys.stdout, flush=True)

    results = []
    for engine in engines(args.engines.split(",")):
        with engine:
            results.append(summarize(run_engine(engine, args, say), args))
    document = json.dumps({"results": results}, ensure_ascii=False, indent=1)
    if args.save:
        args.save.write_text(document + "\n", encoding="utf-8")
    if args.json:
        print(document)
    else:
        print_table(results)


if __name__ == "__main__":
    main()
