"""Every request from a ward or the internet costs the hub a bounded, small amount of memory
and time, whatever its content (docs/security.md, "Resource bounds"), and a refusal is
recorded under a unit only when that unit really sent the request.

Memory is measured with ``tracemalloc`` (deterministic, unlike time): each hostile request
must be refused within 100 MB of Python allocations. ``bench/bench_hostile.py`` prints the
times and memory beside an honest push of the same size.
"""

from __future__ import annotations

import tracemalloc
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from sync import (
    Change,
    KeyPair,
    SyncReport,
    ValidationError,
    get_meta,
    pack_payload,
    seal,
    validate,
)
from tests.hub.conftest import HubEngine
from tests.hub.protocol.test_fuzz import Fuzz, _assert_refused, _digest, fuzz  # noqa: F401  (a fixture)
from tests.support import enrolled_node, synced_session
from tests.support.hubstore import hub_db
from ward_node.dossiers import Dossiers
from webapp import User

MB = 1_000_000


@pytest.fixture(scope="module")
def hub_engine() -> HubEngine:
    """The hub's store for the ``fuzz`` fixture: its file (these limits are the protocol's,
    whatever the engine; tests/hub runs the fuzzing on both)."""
    return HubEngine("sqlite")


def _peak(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``fn()`` and the peak of Python allocations while it ran, in MB."""
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def test_a_changeset_of_many_wrong_items_is_judged_from_its_first_errors() -> None:
    def check() -> str:
        with pytest.raises(ValidationError) as refused:
            validate("changeset", {"kind": "push", "changes": [{}] * 20_000})
        return refused.value.message

    message, peak = _peak(check)
    assert "changes.0.seq" in message
    assert peak < 5, f"{peak:.1f} MB to explain one wrong changeset"


def test_a_push_of_many_wrong_changes_is_refused_cheaply(fuzz: Fuzz) -> None:  # noqa: F811
    before = _digest(fuzz.hub_dir)
    body = fuzz.seal(pack_payload({"kind": "push", "origin": fuzz.node_id, "changes": [{}] * 4999}))
    resp, peak = _peak(lambda: fuzz.client.post("/sync/v1/push", data=body))
    _assert_refused(resp, 422)
    assert peak < 100, f"{peak:.1f} MB"
    assert _digest(fuzz.hub_dir) == before


def test_a_payload_of_tiny_values_is_refused_before_it_is_parsed(fuzz: Fuzz) -> None:  # noqa: F811
    before = _digest(fuzz.hub_dir)
    # 16 MiB of empty lists in a 16 KiB envelope: 5.6 million Python lists if parsed.
    raw = b'{"kind":"push","changes":[' + b"[]," * 5_592_405 + b"[]]}"
    body = fuzz.seal(zlib.compress(raw, 9))
    assert len(body) < 64 * 1024
    resp, peak = _peak(lambda: fuzz.client.post("/sync/v1/push", data=body))
    error = _assert_refused(resp, 413)
    assert error["code"] == "too_many_values"
    assert peak < 100, f"{peak:.1f} MB"
    assert _digest(fuzz.hub_dir) == before


@pytest.mark.parametrize(
    "pad",
    [
        b'"' + b"a" * (24 * 1024 * 1024 - 40) + b'"',
        b'["' + b'","'.join([b"a" * 82] * 290_000) + b'"]',
    ],
    ids=["one long string", "many strings"],
)
def test_a_payload_at_the_size_limits_is_parsed_in_bounded_memory(
    fuzz: Fuzz,  # noqa: F811
    pad: bytes,
) -> None:
    before = _digest(fuzz.hub_dir)
    body = fuzz.seal(zlib.compress(b'{"kind":"push","pad":' + pad + b"}", 6))
    resp, peak = _peak(lambda: fuzz.client.post("/sync/v1/push", data=body))
    _assert_refused(resp, 422)
    assert peak < 100, f"{peak:.1f} MB"
    assert _digest(fuzz.hub_dir) == before


def test_a_push_of_more_changes_than_the_hub_takes_is_refused(fuzz: Fuzz) -> None:  # noqa: F811
    before = _digest(fuzz.hub_dir)
    change = fuzz.payloads[-1]["changes"][0]
    body = fuzz.seal(
        pack_payload({"kind": "push", "origin": fuzz.node_id, "changes": [change] * 5001})
    )
    error = _assert_refused(fuzz.client.post("/sync/v1/push", data=body), 413)
    assert error["code"] == "too_many_changes" and "5000" in error["message"]
    assert _digest(fuzz.hub_dir) == before


def test_an_enrollment_request_costs_little_whatever_it_holds(fuzz: Fuzz) -> None:  # noqa: F811
    import base64
    import json

    keys = KeyPair.generate()
    hello = fuzz.client.get("/sync/v1/hello").get_json()
    from sync import PublicKeys

    hub_keys = PublicKeys.from_json(hello["keys"])
    payload = zlib.compress(b'{"kind":"enroll","changes":[' + b"{}," * 21_000 + b"{}]}", 9)
    envelope = seal(
        payload,
        sender="new-node",
        keys=keys,
        recipient=hello["hub_id"],
        recipient_keys=hub_keys,
        kind="enroll",
        envelope_id=str(uuid.uuid4()),
    )
    body = json.dumps(
        {"keys": keys.public.to_json(), "envelope": base64.b64encode(envelope).decode()}
    ).encode()
    resp, peak = _peak(
        lambda: fuzz.client.post(
            "/sync/v1/enroll", data=body, environ_base={"REMOTE_ADDR": "10.9.9.9"}
        )
    )
    _assert_refused(resp)
    assert peak < 10, f"{peak:.1f} MB"


def test_enrollment_is_rate_limited_per_address(fuzz: Fuzz) -> None:  # noqa: F811
    def attempt(addr: str) -> Any:
        return fuzz.client.post("/sync/v1/enroll", data=b"{}", environ_base={"REMOTE_ADDR": addr})

    answers = [attempt("10.1.2.3").status_code for _ in range(10)]
    assert set(answers) == {422}
    limited = attempt("10.1.2.3")
    _assert_refused(limited, 429)
    assert "đăng ký nút" in limited.get_json()["error"]["message"]
    assert attempt("10.1.2.4").status_code == 422  # another address is not held back


@pytest.mark.parametrize("notes", [None, "Đ" * 2000], ids=["many changes", "many bytes"])
def test_a_ward_never_pushes_more_than_the_hub_takes(
    tmp_path: Path, hub: FlaskClient, notes: str | None
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    session, conn = synced_session(data, transport)
    officer = User("canbo", "officer", "Cán bộ")
    service = Dossiers(conn, session.clock)
    # Without notes: 6,000 changes (over 5,000); with 4 KB of notes each: 9 MB (over the 3.75 MiB a push carries).
    for _ in range(3000 if notes is None else 2000):
        service.receive(
            {
                "procedure_code": "1.001193",
                "applicant": {"full_name": "Lê Văn Tám"},
                "notes": notes,
            },
            officer,
        )
    total = get_meta(conn, "acked_seq", 0) + (6000 if notes is None else 4000)
    transport.sent.clear()
    session.chunk = 50_000
    report = SyncReport()
    session.push(report)
    pushes = [body for path, body in transport.sent if path == "/sync/v1/push"]
    assert len(pushes) >= 2
    assert get_meta(conn, "acked_seq") == total


def _forged_by_a_stranger(fuzz: Fuzz) -> bytes:  # noqa: F811
    """A push whose header names the real node, signed by someone else's key."""
    stranger = KeyPair.generate()
    body = seal(
        pack_payload({"kind": "push", "origin": fuzz.node_id, "changes": []}),
        sender=fuzz.node_id,
        keys=stranger,
        recipient=fuzz.hub_id,
        recipient_keys=fuzz.hub_keys,
        kind="push",
        envelope_id=str(uuid.uuid4()),
    )
    # The header carries the stranger's key fingerprint: put the node's in, as a forger would.
    return body.replace(
        stranger.public.fingerprint.encode(), fuzz.node_keys.public.fingerprint.encode()
    )


def _events(fuzz: Fuzz) -> list[tuple]:  # noqa: F811
    with hub_db(fuzz.hub_dir) as db:
        return db.execute(
            "SELECT unit, outcome FROM sync_events WHERE outcome = 'refused'"
        ).fetchall()


def test_a_forged_request_is_not_recorded_against_the_unit_it_names(fuzz: Fuzz) -> None:  # noqa: F811
    before = _events(fuzz)
    resp = fuzz.client.post("/sync/v1/push", data=_forged_by_a_stranger(fuzz))
    _assert_refused(resp, 401)
    assert _events(fuzz) == before
    with hub_db(fuzz.hub_dir) as db:
        counted = db.execute(
            "SELECT sum(count) FROM unverified_refusals WHERE kind = 'push'"
        ).fetchone()[0]
    assert counted >= 1


def test_a_refusal_of_what_the_node_really_sent_is_in_its_history(fuzz: Fuzz) -> None:  # noqa: F811
    before = len(_events(fuzz))
    with hub_db(fuzz.hub_dir) as db:
        seq, prev = db.execute("SELECT last_seq, last_hash FROM nodes").fetchone()
    wrong = Change.linked(
        fuzz.node_id, seq + 1, 1, "procedure", "x", "H57", {"fee": 1}, {}, "u", prev
    )
    payload = {
        "kind": "push",
        "origin": fuzz.node_id,
        "prev": prev,
        "tip": wrong.hash,
        "changes": [
            {k: v for k, v in wrong.to_wire().items() if k not in ("origin", "prev", "hash")}
        ],
    }
    _assert_refused(fuzz.client.post("/sync/v1/push", data=fuzz.seal(pack_payload(payload))))
    events = _events(fuzz)
    assert len(events) == before + 1 and events[-1][0] == "19786"
