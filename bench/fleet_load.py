"""The load generators of the fleet benchmark: processes that each enroll and drive a slice of
the simulated nodes (``fleet_node.SimNode``) over real loopback HTTP, on commands from the
benchmark (a pipe), answering with what they measured.

Requests are sent open-loop: each node visits at its own phase of the interval, whatever
earlier requests are doing, so a slow hub shows as latency rather than as fewer requests.
A visit is what ``NodeSync.run`` sends: a push first when the desk wrote something (a
fraction of the visits), then pulls until the hub has nothing more. Each request opens its
own connection, as a node's sync run does after 30 s idle. Latency is from the connection
opened to the answer read in full; sealing before and opening after are the node's CPU,
counted in the generators' CPU, not in the latency.

In the burst every node pulls at once, its request sealed beforehand. A hub under pressure
may answer 503 with ``Retry-After``; the node waits as the ward's sync worker does (that long
plus a random part of it, at least a second: ``ward_node/sync_link/worker.py``) and tries
again with a newly sealed request, until served or the deadline. A failed attempt (a
connection refused or cut, a timeout, another status) waits the worker's first backoff, 1 to
3 s, and is counted.
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlsplit

from bench.fleet_node import SimNode, enroll_node
from sync import ENVELOPE_TYPE

REQUEST_TIMEOUT = 30.0  # sync/transport.py: READ_TIMEOUT
RETRY_WITHOUT_HEADER = 1.0  # seconds, when a 503 says nothing
FIRST_SYNC_DEADLINE = 600.0  # seconds a node's first sync may wait on a busy hub


def cpu_now() -> float:
    """CPU seconds (user and system) of this process so far, all its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Answer:
    """One HTTP answer: status, headers (lower-case names) and body."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def retry_after(self) -> float:
        """The seconds ``Retry-After`` asks for (1 when absent or not a number)."""
        try:
            return max(0.0, float(self.headers.get("retry-after", RETRY_WITHOUT_HEADER)))
        except ValueError:
            return RETRY_WITHOUT_HEADER


async def post(host: str, port: int, path: str, body: bytes) -> Answer:
    """POST an envelope on a connection of its own and read the whole answer."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {ENVELOPE_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        raw = await reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        length = headers.get("content-length")
        data = await (reader.readexactly(int(length)) if length else reader.read())
        return Answer(status, headers, data)
    finally:
        writer.close()


class Driver:
    """The nodes of one generator and the requests they send to the hub at ``url``."""

    def __init__(self, url: str, seed: int) -> None:
        split = urlsplit(url)
        self.url, self.host, self.port = url, split.hostname or "127.0.0.1", split.port or 80
        self.rng = random.Random(seed)
        self.nodes: list[SimNode] = []

    async def send(self, path: str, body: bytes) -> tuple[float, Answer]:
        started = time.perf_counter()
        answer = await asyncio.wait_for(post(self.host, self.port, path, body), REQUEST_TIMEOUT)
        return time.perf_counter() - started, answer

    # -- enrollment --------------------------------------------------------------------------

    def enroll(self, pairs: list[tuple[str, str]], workers: int = 4) -> dict[str, Any]:
        """Enroll a node for each ``(unit, token)``; what it cost."""
        cpu, started = cpu_now(), time.perf_counter()
        errors: Counter[str] = Counter()

        def one(pair: tuple[str, str]) -> SimNode | None:
            try:
                return enroll_node(self.url, *pair)
            except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
                errors[f"{type(exc).__name__}: {exc}"[:120]] += 1
                return None

        with ThreadPoolExecutor(workers) as pool:
            self.nodes = [n for n in pool.map(one, pairs) if n is not None]
        return {
            "enrolled": len(self.nodes),
            "errors": dict(errors),
            "seconds": time.perf_counter() - started,
            "cpu_s": cpu_now() - cpu,
        }

    # -- a visit -----------------------------------------------------------------------------

    async def visit(
        self, node: SimNode, push: int, out: dict[str, Any], until: float, later: bool = False
    ) -> None:
        """A push of ``push`` changes (none when 0), then pulls until nothing more; latencies,
        503 answers and errors into ``out``. A 503 is tried again after the wait it asks for
        (with the worker's jitter) while that ends before ``until`` (``loop.time()``); past
        it, and on any other failure, the visit ends with an error (the node would come back
        at its next interval). The pulls of a ``later`` visit (after the steady phase's first
        round, which delivers the directives) are also kept apart."""
        try:
            if push:
                changes = node.new_changes(push, self.rng)
                answer = await self._call(
                    "/sync/v1/push", lambda: node.push_body(changes), "push", out, until
                )
                if answer is None:
                    return
                node.take_ack(answer.body, changes)
            for _ in range(100):  # a node pulls until the hub has nothing more
                answer = await self._call(
                    "/sync/v1/pull", node.pull_body, "pull", out, until, later
                )
                if answer is None:
                    return
                entries, more = node.take_pull(answer.body)
                out["entries"] += entries
                if not more:
                    return
        except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
            out["errors"][type(exc).__name__] += 1

    async def _call(
        self,
        path: str,
        body: Any,
        kind: str,
        out: dict[str, Any],
        until: float,
        later: bool = False,
    ) -> Answer | None:
        """One request (sealed anew by ``body()`` for each try) until answered other than 503;
        the answer when 200, else ``None`` with the error counted."""
        loop = asyncio.get_running_loop()
        while True:
            took, answer = await self.send(path, body())
            if answer.status == 200:
                out[kind].append(took)
                if later and kind == "pull":
                    out["pull_later"].append(took)
                return answer
            if answer.status != 503:
                out["errors"][f"{kind} HTTP {answer.status}"] += 1
                return None
            out["refused_503"] += 1
            asked = answer.retry_after()
            wait = asked + self.rng.uniform(0, max(1.0, asked))
            if loop.time() + wait > until:
                out["errors"][f"{kind} 503 until the next visit"] += 1
                return None
            await asyncio.sleep(wait)

    @staticmethod
    def _record() -> dict[str, Any]:
        return {
            "pull": [],
            "pull_later": [],
            "push": [],
            "errors": Counter(),
            "refused_503": 0,
            "entries": 0,
            "lag": [],
        }

    # -- phases ------------------------------------------------------------------------------

    async def catch_up(self, parallel: int = 8) -> dict[str, Any]:
        """Every node's first sync, a few at a time (as after ``ward-node init``)."""
        out, cpu, started = self._record(), cpu_now(), time.perf_counter()
        gate = asyncio.Semaphore(parallel)

        async def one(node: SimNode) -> None:
            async with gate:
                await self.visit(
                    node, 0, out, asyncio.get_running_loop().time() + FIRST_SYNC_DEADLINE
                )

        await asyncio.gather(*(one(n) for n in self.nodes))
        return self._finish(out, cpu, started)

    async def steady(
        self, start_wall: float, seconds: float, interval: float, push_fraction: float
    ) -> dict[str, Any]:
        """Every node visits every ``interval`` seconds at its own phase, open-loop, for
        ``seconds`` from ``start_wall`` (``time.time()``)."""
        loop = asyncio.get_running_loop()
        t0 = loop.time() + (start_wall - time.time())
        end = t0 + seconds
        out = self._record()
        running: set[asyncio.Task[None]] = set()
        busy: set[str] = set()
        await asyncio.sleep(max(0.0, t0 - loop.time()))
        cpu, started = cpu_now(), time.perf_counter()

        async def visit(node: SimNode, at: float) -> None:
            out["lag"].append(loop.time() - at)
            # A node still busy with its previous visit (a hub that hangs) pulls without
            # pushing: its chain must not fork.
            push = 0
            if node.node_id not in busy and self.rng.random() < push_fraction:
                push = self.rng.randint(1, 5)
            busy.add(node.node_id)
            try:
                await self.visit(node, push, out, at + interval, later=at >= t0 + interval)
            finally:
                busy.discard(node.node_id)

        async def node_loop(node: SimNode) -> None:
            at = t0 + self.rng.uniform(0, interval)
            while at < end:
                await asyncio.sleep(max(0.0, at - loop.time()))
                task = loop.create_task(visit(node, at))
                running.add(task)
                task.add_done_callback(running.discard)
                at += interval

        await asyncio.gather(*(node_loop(n) for n in self.nodes))
        if running:
            await asyncio.wait(set(running), timeout=REQUEST_TIMEOUT * 3)
        return self._finish(out, cpu, started)

    def seal_burst(self) -> list[bytes]:
        """Each node's pull, sealed before the burst (a node's own CPU, not the hub's)."""
        return [node.pull_body() for node in self.nodes]

    async def burst(
        self, bodies: list[bytes], start_wall: float, deadline: float
    ) -> dict[str, Any]:
        """Every node pulls at ``start_wall``; when each was served (seconds from the start),
        503 answers and failed attempts along the way, nodes never served by ``deadline``."""
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, start_wall - time.time()))
        cpu, t0 = cpu_now(), loop.time()
        refused = 0
        failures: Counter[str] = Counter()
        served: list[tuple[SimNode, float, bytes]] = []
        unserved = 0

        async def one(node: SimNode, body: bytes) -> None:
            nonlocal refused, unserved
            while True:
                try:
                    _took, answer = await self.send("/sync/v1/pull", body)
                except Exception as exc:  # noqa: BLE001 - a node retries, and it is counted
                    failures[type(exc).__name__] += 1
                    wait = 2 * self.rng.uniform(0.5, 1.5)
                else:
                    if answer.status == 200:
                        served.append((node, loop.time() - t0, answer.body))
                        return
                    if answer.status == 503:
                        refused += 1
                        asked = answer.retry_after()
                        wait = asked + self.rng.uniform(0, max(1.0, asked))
                    else:
                        failures[f"HTTP {answer.status}"] += 1
                        wait = 2 * self.rng.uniform(0.5, 1.5)
                if loop.time() - t0 + wait > deadline:
                    unserved += 1
                    return
                await asyncio.sleep(wait)
                body = node.pull_body()

        await asyncio.gather(*(one(n, b) for n, b in zip(self.nodes, bodies, strict=True)))
        cpu_burst = cpu_now() - cpu
        bad = 0
        for node, _at, raw in served:  # opened after the timed part: the node's own work
            try:
                node.take_pull(raw)
            except Exception:  # noqa: BLE001 - a reply that does not open is an error
                bad += 1
        return {
            "served": [at for _node, at, _raw in served],
            "refused_503": refused,
            "failed_attempts": dict(failures),
            "unserved": unserved,
            "bad_answers": bad,
            "cpu_s": cpu_burst,
        }

    @staticmethod
    def _finish(out: dict[str, Any], cpu: float, started: float) -> dict[str, Any]:
        out["errors"] = dict(out["errors"])
        out["cpu_s"] = cpu_now() - cpu
        out["seconds"] = time.perf_counter() - started
        return out


def generator(pipe: Connection, url: str, seed: int) -> None:
    """A generator process: runs the benchmark's commands on its nodes until ``stop``.

    Commands: ``("enroll", pairs)``, ``("catch_up",)``, ``("steady", start, seconds, interval,
    push_fraction)``, ``("seal_burst",)``, ``("burst", start, deadline)``, ``("stop",)``;
    each is answered with a dict (``{"error": text}`` when it failed).
    """
    driver = Driver(url, seed)
    bodies: list[bytes] = []
    while True:
        command, *args = pipe.recv()
        try:
            if command == "stop":
                return
            if command == "enroll":
                answer = driver.enroll(args[0])
            elif command == "catch_up":
                answer = asyncio.run(driver.catch_up())
            elif command == "steady":
                answer = asyncio.run(driver.steady(*args))
            elif command == "seal_burst":
                bodies = driver.seal_burst()
                answer = {"sealed": len(bodies)}
            elif command == "burst":
                answer = asyncio.run(driver.burst(bodies, *args))
            else:
                answer = {"error": f"unknown command {command}"}
        except Exception as exc:  # noqa: BLE001 - the benchmark reports it and stops
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        pipe.send(answer)
