"""Fuzzing the hub's push endpoint: whatever arrives, a clear 4xx in JSON and no state change.

docs/protocol.md, "Errors": the hub rejects bad signatures, unknown senders, envelopes addressed to
someone else, tampered bytes, malformed payloads and schema violations "with a clear 4xx error
and no state change". Hypothesis starts from valid push envelopes of a real enrolled node and
mutates them: bytes flipped, cut, extended, spliced, duplicated; headers rewritten as valid
JSON with wrong fields; and payloads re-sealed and re-signed with the node's own keys (so the
mutation reaches the content checks behind the signature).

The valid envelopes are pushed once before the run: a mutation that happens to give one of
them back is a replay, which must answer 200 and change nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from central_hub import create_app as create_hub
from central_hub.setup import init_hub
from sync import ChangeLog, KeyPair, NodeSync, PublicKeys, Replica, canonical, pack_payload, seal
from tests.hub.conftest import HubEngine
from tests.support import AppTransport, enrollment_token
from tests.support.hubstore import hub_db
from ward_node.dossiers import Dossiers
from ward_node.store import identity, load_clock, open_store
from ward_node.sync_link import init_node
from webapp import User

UNIT = "19786"
INT64 = (-(2**63), 2**63 - 1)


@dataclass
class Fuzz:
    """A hub with one enrolled node, and what it takes to forge bodies as that node."""

    hub_dir: Path
    client: FlaskClient
    node_id: str
    node_keys: KeyPair
    hub_id: str
    hub_keys: PublicKeys
    valid: list[bytes]
    payloads: list[dict[str, Any]]

    def seal(self, payload: bytes, kind: str = "push", **header: Any) -> bytes:
        """``payload`` sealed to the hub and signed by the node, as a node would send it."""
        return seal(
            payload,
            sender=self.node_id,
            keys=self.node_keys,
            recipient=self.hub_id,
            recipient_keys=self.hub_keys,
            kind=kind,
            envelope_id=str(uuid.uuid4()),
            **header,
        )

    def app(self, **config: Any) -> FlaskClient:
        """Another app over the same store, with other limits."""
        return create_hub({"DATA": str(self.hub_dir), **config}).test_client()


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory, hub_engine: HubEngine) -> Fuzz:
    tmp = tmp_path_factory.mktemp("fuzz")
    hub_dir = tmp / "hub"
    hub_engine.use(hub_dir)
    init_hub(hub_dir, name="Hub thử")
    client = create_hub({"DATA": str(hub_dir)}).test_client()  # not TESTING: a crash is a 500
    token = enrollment_token(tmp, UNIT)
    ward = tmp / "ward"
    transport = AppTransport(client)
    init_node(ward, unit=UNIT, hub_url="http://hub.test", token=token, transport=transport)
    conn = open_store(ward)
    ident = identity(conn)
    session = NodeSync(
        conn,
        node_id=ident.node_id,
        keys=KeyPair.load(ward / "keys"),
        hub=ident.hub,
        replica=Replica(conn),
        clock=load_clock(conn),
        transport=transport,
    )
    session.run()
    service = Dossiers(conn, load_clock(conn))
    for name in ("Lê Văn Tám", "Hồ Thị Hoa"):
        service.receive(
            {"procedure_code": "1.001193", "applicant": {"full_name": name}},
            User("canbo", "officer", "Cán bộ"),
        )
    changes = ChangeLog(conn, ident.node_id).read(0, 100)
    runs = [changes[:2], changes[2:], changes]
    valid = [session.push_envelope(run) for run in runs]
    payloads = [_push_payload(ident.node_id, run) for run in runs]
    for body in valid:  # known to the hub: a mutation giving one back is a harmless replay
        assert client.post("/sync/v1/push", data=body).status_code == 200
    valid.append(session.pull_envelope(0))  # a valid envelope of the wrong kind for /push
    conn.close()
    return Fuzz(
        hub_dir,
        client,
        ident.node_id,
        KeyPair.load(ward / "keys"),
        ident.hub.hub_id,
        ident.hub.keys,
        valid,
        payloads,
    )


def _push_payload(node_id: str, run: list[Any]) -> dict[str, Any]:
    return {
        "kind": "push",
        "origin": node_id,
        "prev": run[0].prev,
        "tip": run[-1].hash,
        "changes": [
            {k: v for k, v in c.to_wire().items() if k not in ("origin", "prev", "hash")}
            for c in run
        ],
    }


def _digest(hub_dir: Path) -> str:
    """A digest of what a push may change: journal, routes, records, conflicts, node positions."""
    digest = hashlib.sha256()
    with hub_db(hub_dir) as db:
        for query in (
            "SELECT * FROM journal ORDER BY jseq",
            "SELECT * FROM routes ORDER BY unit, jseq",
            "SELECT * FROM dossier ORDER BY id",
            "SELECT * FROM dossier_step ORDER BY id",
            "SELECT * FROM conflicts ORDER BY id",
            "SELECT * FROM held ORDER BY origin, seq",
            "SELECT node_id, last_seq, last_hash, status FROM nodes ORDER BY node_id",
            "SELECT key, value FROM meta WHERE key = 'hlc'",
        ):
            digest.update(repr(db.execute(query).fetchall()).encode())
    return digest.hexdigest()


def _assert_refused(resp: Any, *statuses: int) -> dict[str, Any]:
    """A 4xx (one of ``statuses`` if given) with the API's JSON error body."""
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.data[:300])
    if statuses:
        assert resp.status_code in statuses, (resp.status_code, resp.data[:300])
    assert resp.mimetype == "application/json", resp.data[:300]
    error = resp.get_json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    body: dict[str, Any] = error
    return body


# -- mutations ---------------------------------------------------------------------------------

# Integers stay within 64 bits: beyond, the hub answers 500 (see "bugs found" below).
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(*INT64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["hub", "push", "pull", UNIT, "0" * 64, "f" * 64, "1.001193"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _split(body: bytes) -> tuple[dict[str, Any], bytes]:
    """An envelope's header, parsed, and what follows it (signature and ciphertext)."""
    (n,) = struct.unpack(">I", body[4:8])
    return json.loads(body[8 : 8 + n]), body[8 + n :]


def _reheaded(body: bytes, head: bytes) -> bytes:
    """``body`` with other header bytes in front of its signature and ciphertext."""
    return b"WSE1" + struct.pack(">I", len(head)) + head + _split(body)[1]


def _sorted_json(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


@st.composite
def byte_mutations(draw: st.DrawFn, fz: Fuzz) -> tuple[str, bytes]:
    body = draw(st.sampled_from(fz.valid))
    other = draw(st.sampled_from(fz.valid))
    i = draw(st.integers(0, len(body)))
    j = draw(st.integers(i, len(body)))
    op = draw(
        st.sampled_from(
            [
                "flip",
                "truncate",
                "extend",
                "splice",
                "duplicate",
                "delete",
                "random",
                "magic",
                "empty",
            ]
        )
    )
    if op == "flip":
        out = bytearray(body)
        for at, mask in draw(
            st.lists(
                st.tuples(st.integers(0, len(body) - 1), st.integers(1, 255)),
                min_size=1,
                max_size=6,
            )
        ):
            out[at] ^= mask
        return op, bytes(out)
    if op == "truncate":
        return op, body[:i]
    if op == "extend":
        return op, body + draw(st.binary(min_size=1, max_size=64))
    if op == "splice":
        return op, body[:i] + other[draw(st.integers(0, len(other))) :]
    if op == "duplicate":
        return op, body[:j] + body[i:j] + body[j:]
    if op == "delete":
        return op, body[:i] + body[j:]
    if op == "random":
        return op, draw(st.binary(max_size=1024))
    if op == "magic":
        return op, b"WSE1" + draw(st.binary(max_size=256))
    return op, b""


@st.composite
def header_mutations(draw: st.DrawFn, fz: Fuzz) -> tuple[str, bytes]:
    """Valid JSON headers with wrong fields, kept in front of the original signature."""
    body = draw(st.sampled_from(fz.valid))
    header, _rest = _split(body)
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from([*header, "seq_from", "seq_to", "extra"]))
        if draw(st.booleans()) and key in header:
            del header[key]
        else:
            header[key] = draw(json_values)
    head = canonical(header) if draw(st.booleans()) else json.dumps(header).encode()
    return "header", _reheaded(body, head)


@st.composite
def resealed(draw: st.DrawFn, fz: Fuzz) -> tuple[str, bytes]:
    """A mutated payload, sealed and signed with the node's real keys."""
    payload = json.loads(json.dumps(draw(st.sampled_from(fz.payloads))))
    op = draw(st.sampled_from(["top", "change", "fields", "list", "kind", "whole"]))
    changes = payload["changes"]
    if op == "top":
        key = draw(st.sampled_from([*payload, "cursor", "acked_seq", "extra"]))
        if draw(st.booleans()):
            payload.pop(key, None)
        else:
            payload[key] = draw(json_values)
    elif op in ("change", "fields"):
        target = changes[draw(st.integers(0, len(changes) - 1))]
        if op == "fields":
            target = target["fields"]
        key = draw(st.sampled_from([*target, "origin", "jseq", "extra"]))
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(json_values)
    elif op == "list":
        how = draw(st.sampled_from(["empty", "reverse", "double", "drop_first", "drop_last"]))
        payload["changes"] = {
            "empty": [],
            "reverse": changes[::-1],
            "double": changes + changes,
            "drop_first": changes[1:],
            "drop_last": changes[:-1],
        }[how]
        op = f"list:{how}"
    elif op == "kind":
        payload["kind"] = draw(st.sampled_from(["pull", "push_ack", "pull_batch", "enroll", "x"]))
    else:
        payload = draw(json_values)
    encoding = draw(st.sampled_from(["zlib-json", "zlib-json", "zlib-json", "raw", "zlib-raw"]))
    if encoding == "zlib-json":
        data = zlib.compress(json.dumps(payload).encode())
    elif encoding == "raw":
        data = draw(st.binary(max_size=64))
    else:
        data = zlib.compress(draw(st.binary(max_size=64)))
    kind = draw(st.sampled_from(["push", "push", "push", "pull", "enroll", "push_ack"]))
    note(f"payload={payload!r} encoding={encoding} kind={kind}")
    harmless = encoding == "zlib-json" and kind == "push" and _replays(payload, fz)
    return f"reseal:{op}:{encoding}:{kind}:{'replay' if harmless else 'new'}", fz.seal(data, kind)


def _replays(payload: Any, fz: Fuzz) -> bool:
    """Whether a push payload carries only changes the hub already holds (or none)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("changes", []), list):
        return False
    known = [_chained(c) for c in fz.payloads[-1]["changes"]]
    changes = payload.get("changes", [])
    return all(isinstance(c, dict) and _chained(c) in known for c in changes)


def _chained(change: dict[str, Any]) -> dict[str, Any]:
    """What a change's hash covers (its ``origin`` is the sender's, ``jseq`` is for pulls)."""
    return {k: v for k, v in change.items() if k not in ("origin", "jseq")}


def test_mutated_envelopes_are_refused_in_json_and_change_nothing(fuzz: Fuzz) -> None:
    before = _digest(fuzz.hub_dir)
    statuses: dict[int, int] = {}

    @settings(
        max_examples=2000,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        st.one_of(byte_mutations(fuzz), header_mutations(fuzz), resealed(fuzz)),
    )
    def run(mutation: tuple[str, bytes]) -> None:
        label, body = mutation
        note(f"{label}: {len(body)} bytes")
        resp = fuzz.client.post("/sync/v1/push", data=body)
        statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
        if resp.status_code == 200 and (body in fuzz.valid or label.endswith(":replay")):
            return  # a known envelope again, or a payload of known changes re-signed
        _assert_refused(resp)

    run()
    assert _digest(fuzz.hub_dir) == before
    assert sum(statuses.values()) >= 1000
    assert set(statuses) - {200} <= set(range(400, 500)), statuses


# -- explicit cases ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        zlib.compress(b'{"kind": "push", "changes": [}'),  # valid zlib, invalid JSON
        zlib.compress(b"\xff\xfe not utf-8"),
        zlib.compress(b'["push"]'),  # valid JSON of the wrong shape
        zlib.compress(b'{"kind": "push", "changes": {"seq": 1}}'),
        zlib.compress(b'{"kind": "push", "origin": 7, "changes": []}'),
        zlib.compress(b"null"),
        b"not zlib at all",
    ],
)
def test_malformed_content_in_a_valid_envelope_is_refused(fuzz: Fuzz, payload: bytes) -> None:
    before = _digest(fuzz.hub_dir)
    resp = fuzz.client.post("/sync/v1/push", data=fuzz.seal(payload))
    error = _assert_refused(resp, 400, 422)
    assert error["code"] in ("tampered", "validation_error", "bad_changeset", "origin_mismatch")
    assert _digest(fuzz.hub_dir) == before


def test_an_oversized_body_is_refused_with_413(fuzz: Fuzz) -> None:
    before = _digest(fuzz.hub_dir)
    client = fuzz.app(MAX_BODY_BYTES=4096)
    body = fuzz.seal(pack_payload({"kind": "push", "changes": [], "pad": os.urandom(8000).hex()}))
    assert len(body) > 4096
    _assert_refused(client.post("/sync/v1/push", data=body), 413)
    _assert_refused(client.post("/sync/v1/push", data=b"\0" * 5000), 413)
    assert _digest(fuzz.hub_dir) == before


def test_a_decompression_bomb_in_a_valid_envelope_is_refused_with_413(fuzz: Fuzz) -> None:
    before = _digest(fuzz.hub_dir)
    client = fuzz.app(MAX_INFLATED_BYTES=64 * 1024)
    bomb = zlib.compress(b" " * (64 * 1024 * 1024), 9)  # 64 MiB of blanks in about 64 KiB
    assert len(bomb) < 100_000
    error = _assert_refused(client.post("/sync/v1/push", data=fuzz.seal(bomb)), 413)
    assert error["code"] == "too_large"
    assert _digest(fuzz.hub_dir) == before


# -- what fuzzing found (each was a 500 before its fix) -------------------------------------


def test_a_header_with_a_huge_integer_is_refused(fuzz: Fuzz) -> None:
    header, _rest = _split(fuzz.valid[0])
    body = _reheaded(fuzz.valid[0], _sorted_json({**header, "created_at": 2**64}))
    _assert_refused(fuzz.client.post("/sync/v1/push", data=body), 400)


def test_a_deeply_nested_header_is_refused(fuzz: Fuzz) -> None:
    header, _rest = _split(fuzz.valid[0])
    head = _sorted_json({**header, "extra": None})
    head = head.replace(b'"extra":null', b'"extra":' + b"[" * 1500 + b"]" * 1500)
    assert len(head) < 4096
    body = _reheaded(fuzz.valid[0], head)
    _assert_refused(fuzz.client.post("/sync/v1/push", data=body), 400)


def test_a_deeply_nested_payload_is_refused(fuzz: Fuzz) -> None:
    before = _digest(fuzz.hub_dir)
    body = fuzz.seal(zlib.compress(b"[" * 100_000 + b"]" * 100_000))
    _assert_refused(fuzz.client.post("/sync/v1/push", data=body), 400, 422)
    assert _digest(fuzz.hub_dir) == before


@pytest.mark.parametrize(
    "where",
    ["hlc", "seq", "fields"],
)
def test_a_change_with_a_huge_integer_is_refused(fuzz: Fuzz, where: str) -> None:
    before = _digest(fuzz.hub_dir)
    payload = json.loads(json.dumps(fuzz.payloads[-1]))
    change = payload["changes"][-1]
    if where == "fields":
        change["fields"]["fee"] = 2**64
    else:
        change[where] = 2**64
    body = fuzz.seal(zlib.compress(json.dumps(payload).encode()))
    _assert_refused(fuzz.client.post("/sync/v1/push", data=body))
    assert _digest(fuzz.hub_dir) == before


def test_a_pull_from_a_huge_cursor_is_refused(fuzz: Fuzz) -> None:
    body = fuzz.seal(zlib.compress(b'{"kind": "pull", "cursor": 18446744073709551616}'), "pull")
    _assert_refused(fuzz.client.post("/sync/v1/pull", data=body))
