"""A fault-injecting HTTP proxy between ward nodes and the hub, driven by a seed.

Ward nodes are enrolled with the proxy's URL as their hub, so every sync request passes through
it. Per request, a ``random.Random(seed)`` decides (with the probabilities of a
:class:`FaultConfig`) whether to forward it untouched or to inject one fault:

``drop``
    read the request, then close the connection without forwarding anything;
``delay``
    sleep up to ``delay_max_ms`` before forwarding;
``cut_request``
    forward the head and part of the body to the hub, then close both sides;
``cut_response``
    forward the whole request, read the hub's whole answer (so the hub has done the work),
    send the node only part of it, then close;
``duplicate``
    send the same request bytes to the hub twice (one after the other, or both at once) and
    return one of the two answers;
``replay``
    forward the request, answer it, then send the hub again one of the last 32 requests that
    crossed the proxy (a stale copy arriving late), its answer thrown away.

Keep-alive: the proxy works on whole requests and forces ``Connection: close`` semantics. It
reads one request per client connection (head up to the blank line, then exactly
``Content-Length`` bytes of body; chunked request bodies are refused by closing), rewrites the
``Connection`` header to ``close``, opens a fresh connection to the hub for it, reads the hub's
answer to end of stream (the hub closes after answering a ``Connection: close`` request),
rewrites the answer's head to say ``Connection: close`` too, and closes the client connection
after relaying it. The node's ``requests`` session therefore never reuses a connection (no race
between its next request and the proxy's close), and each request meets its own fate.

The proxy can be switched at run time between ``faulty`` and ``clean``, and taken ``down``
(the listening socket is closed, so connections are refused, and connections in flight are
cut: a partition) and back ``up`` on the same port. :attr:`FaultProxy.counts` counts each
fault injected, by kind.

Determinism: decision *n* is drawn from the seeded generator for the *n*-th request taken in,
a fixed number of draws per request, so a seed replays the same sequence of decisions; which
request is the *n*-th depends on the timing of the processes around it.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass

KINDS = ("drop", "delay", "cut_request", "cut_response", "duplicate", "replay")
MAX_HEAD = 64 * 1024
MAX_BODY = 64 * 1024 * 1024
MAX_ANSWER = 128 * 1024 * 1024


@dataclass(frozen=True)
class FaultConfig:
    """Probability of each fault per request while the proxy is faulty (the rest pass)."""

    drop: float = 0.07
    delay: float = 0.12
    cut_request: float = 0.07
    cut_response: float = 0.12
    duplicate: float = 0.12
    replay: float = 0.05
    delay_max_ms: int = 400

    def __post_init__(self) -> None:
        total = sum(getattr(self, k) for k in KINDS)
        if not 0 <= total <= 1:
            raise ValueError(f"fault probabilities add up to {total}, not within [0, 1]")


@dataclass(frozen=True)
class Decision:
    """What the proxy does with one request."""

    kind: str | None  # None: forward untouched
    fraction: float  # how much of the body/answer gets through (cuts), or of the delay
    variant: int  # duplicate: 0 sequential, 1 concurrent
    answer: int  # duplicate: which of the two answers is returned
    pick: float  # replay: which earlier request is sent again


class ProxyClosed(Exception):
    """The client went away, or the request could not be read."""


class FaultProxy:
    """A threaded TCP proxy on 127.0.0.1 in front of ``upstream_port``. Use :meth:`start`,
    then :meth:`stop` (or as a context manager); every loop and socket wait is bounded."""

    def __init__(
        self,
        upstream_port: int,
        *,
        seed: int,
        config: FaultConfig | None = None,
        port: int = 0,
        io_timeout: float = 35.0,
    ) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.config = config or FaultConfig()
        self.io_timeout = io_timeout
        self.counts: Counter[str] = Counter()
        self.requests = 0  # requests taken in (whatever their fate)
        self.upstream_unreachable = 0  # requests the hub could not take (it was down)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._port = port
        self._faulty = False
        self._down = False
        self._hanging = False  # a black hole: connections accepted, nothing answered
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()
        self._history: deque[bytes] = deque(maxlen=32)
        self._acceptor: threading.Thread | None = None

    # -- control -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def mode(self) -> str:
        if self._down:
            return "down"
        return "faulty" if self._faulty else "clean"

    def start(self) -> FaultProxy:
        self._listen()
        self._acceptor = threading.Thread(target=self._accept_loop, name="fault-proxy", daemon=True)
        self._acceptor.start()
        return self

    def stop(self) -> None:
        """Stop accepting, cut every connection in flight, and wait for the threads."""
        self._stop.set()
        if self._acceptor is not None:
            self._acceptor.join(5)
        self._close_listener()
        self._abort_all()
        with self._lock:
            workers = list(self._workers)
        deadline = time.monotonic() + 10
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_faulty(self, faulty: bool = True) -> None:
        """Inject faults (``True``) or forward everything untouched (``False``)."""
        self._faulty = faulty

    def set_clean(self) -> None:
        self._faulty = False

    def go_down(self) -> None:
        """A partition: refuse new connections and cut those in flight."""
        with self._lock:
            self._down = True
            self._close_listener()
        self._abort_all()

    def hang(self) -> None:
        """A hung hub, or a router that black-holes packets: connections are accepted and
        requests read, and nothing is answered until :meth:`release`."""
        self._hanging = True

    def release(self) -> None:
        """End the hang: what was held is cut (no answer ever came), new requests pass."""
        self._hanging = False

    def come_up(self) -> None:
        """End the partition: listen again on the same port."""
        with self._lock:
            if self._down:
                self._listen()
                self._down = False

    def snapshot(self) -> dict[str, int]:
        """Faults injected so far, by kind (every kind present, zero if never)."""
        with self._lock:
            return {k: self.counts.get(k, 0) for k in KINDS}

    # -- accepting -----------------------------------------------------------------------------

    def _listen(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", self._port))
            except OSError:
                sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
                continue
            sock.listen(64)
            sock.settimeout(0.05)
            self._port = sock.getsockname()[1]
            self._listener = sock
            return

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                listener = self._listener
            if listener is None:  # down
                self._stop.wait(0.02)
                continue
            try:
                client, _addr = listener.accept()
            except (TimeoutError, OSError):
                continue  # timeout (poll the stop flag), or the listener closed under us
            client.settimeout(self.io_timeout)
            worker = threading.Thread(
                target=self._serve, args=(client,), name="fault-proxy-conn", daemon=True
            )
            with self._lock:
                if self._down:
                    client.close()
                    continue
                self._sockets.add(client)
                self._workers.add(worker)
            worker.start()

    def _abort_all(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _track(self, sock: socket.socket) -> bool:
        with self._lock:
            if self._down or self._stop.is_set():
                return False
            self._sockets.add(sock)
            return True

    def _untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        sock.close()

    # -- one connection, one request -----------------------------------------------------------

    def _serve(self, client: socket.socket) -> None:
        try:
            head, body = self._read_request(client)
            data = _close_semantics(head) + body
            if self._hanging:
                deadline = time.monotonic() + self.io_timeout
                while self._hanging and time.monotonic() < deadline:
                    if self._stop.wait(0.05):
                        break
                return  # the request was never answered
            decision = self._decide()
            with self._lock:
                self._history.append(data)
                stale = self._history[int(decision.pick * len(self._history))]
            if decision.kind is not None:
                with self._lock:
                    self.counts[decision.kind] += 1
            if decision.kind == "drop":
                return
            if decision.kind == "delay":
                self._stop.wait(decision.fraction * self.config.delay_max_ms / 1000)
            if decision.kind == "cut_request":
                cut = len(data) - len(body) + int(len(body) * decision.fraction)
                self._send_partial(data[: max(1, min(cut, len(data) - 1))])
                return
            if decision.kind == "duplicate":
                answer = self._duplicate(data, decision)
            else:
                answer = self._exchange(data)
            if answer is None:
                with self._lock:
                    self.upstream_unreachable += 1
                return
            answer = _answer_closes(answer)
            if decision.kind == "cut_response":
                answer = answer[: int(len(answer) * decision.fraction)]
            client.sendall(answer)
            if decision.kind == "replay":
                self._exchange(stale)
        except (ProxyClosed, OSError):
            pass
        finally:
            with self._lock:
                self._workers.discard(threading.current_thread())
            self._untrack(client)

    def _decide(self) -> Decision:
        with self._lock:
            self.requests += 1
            # Always five draws per request, so decision n depends only on the seed and n.
            u, fraction, variant, answer, pick = (self._rng.random() for _ in range(5))
            if not self._faulty:
                return Decision(None, 0.0, 0, 0, pick)
        threshold = 0.0
        for kind in KINDS:
            threshold += getattr(self.config, kind)
            if u < threshold:
                return Decision(kind, fraction, int(variant * 2), int(answer * 2), pick)
        return Decision(None, 0.0, 0, 0, pick)

    def _read_request(self, client: socket.socket) -> tuple[bytes, bytes]:
        buf = b""
        while b"\r\n\r\n" not in buf:
            if len(buf) > MAX_HEAD:
                raise ProxyClosed("request head too long")
            chunk = client.recv(65536)
            if not chunk:
                raise ProxyClosed("client closed before a whole head")
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"transfer-encoding":
                raise ProxyClosed("chunked request bodies are not supported")
        if length > MAX_BODY:
            raise ProxyClosed("request body too large")
        while len(body) < length:
            chunk = client.recv(min(65536, length - len(body)))
            if not chunk:
                raise ProxyClosed("client closed mid-body")
            body += chunk
        return head, body[:length]

    def _connect(self) -> socket.socket | None:
        try:
            up = socket.create_connection(self.upstream, timeout=self.io_timeout)
        except OSError:
            return None  # the hub is down
        if not self._track(up):
            up.close()
            return None
        return up

    def _exchange(self, data: bytes) -> bytes | None:
        """Send one request to the hub on a fresh connection; its whole answer, or ``None``."""
        up = self._connect()
        if up is None:
            return None
        try:
            up.sendall(data)
            chunks, size = [], 0
            deadline = time.monotonic() + self.io_timeout
            while time.monotonic() < deadline and size <= MAX_ANSWER:
                chunk = up.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            return b"".join(chunks) or None
        except OSError:
            return None
        finally:
            self._untrack(up)

    def _send_partial(self, data: bytes) -> None:
        up = self._connect()
        if up is None:
            return
        try:
            up.sendall(data)
        except OSError:
            pass
        finally:
            self._untrack(up)

    def _duplicate(self, data: bytes, decision: Decision) -> bytes | None:
        answers: list[bytes | None] = [None, None]
        if decision.variant == 0:
            answers[0] = self._exchange(data)
            answers[1] = self._exchange(data)
        else:

            def one(i: int) -> None:
                answers[i] = self._exchange(data)

            threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(self.io_timeout + 5)
        chosen = answers[decision.answer]
        return chosen if chosen is not None else answers[1 - decision.answer]


def _answer_closes(answer: bytes) -> bytes:
    """The hub's answer with a ``Connection: close`` head, so the client never reuses the
    connection (the proxy closes it after this answer)."""
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return answer  # not even a whole head: relay as is
    return _close_semantics(head) + body


def _close_semantics(head: bytes) -> bytes:
    """A head with ``Connection: close`` and no other hop-by-hop keep-alive header."""
    lines = head.split(b"\r\n")
    kept = [lines[0]]
    for line in lines[1:]:
        name = line.partition(b":")[0].strip().lower()
        if name not in (b"connection", b"keep-alive", b"proxy-connection"):
            kept.append(line)
    kept.append(b"Connection: close")
    return b"\r\n".join(kept) + b"\r\n\r\n"
