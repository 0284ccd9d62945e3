"""What a hostile request costs the hub, beside an honest push of the same size.

Each request goes through the hub's real push or enrollment endpoint (its Flask app in this
process), sealed and signed by a really enrolled node, so it reaches the content checks
behind the signature. For each: the answer, the time it took, and the peak of Python
allocations while it ran (``tracemalloc``), against the bound of docs/security.md,
"Resource bounds": refused in under a second and under 100 MB.

    python bench/bench_hostile.py
"""

from __future__ import annotations

import base64
import json
import sys
import tempfile
import time
import tracemalloc
import uuid
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import dossier_rows  # noqa: E402
from central_hub import create_app as create_hub  # noqa: E402
from central_hub import nodes  # noqa: E402
from central_hub.setup import init_hub, load_keys  # noqa: E402
from central_hub.store import open_store as open_hub  # noqa: E402
from sync import KeyPair, PublicKeys, Write, canonical, seal  # noqa: E402
from tests.support import AppTransport, node_session  # noqa: E402
from ward_node.store import capture, load_clock  # noqa: E402
from ward_node.sync_link import init_node  # noqa: E402

UNIT = "19786"
MIB = 1024 * 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        init_hub(tmp / "hub", name="Hub đo")
        client = create_hub({"DATA": str(tmp / "hub")}).test_client()
        conn = open_hub(tmp / "hub")
        token = nodes.make_token(
            conn,
            unit=UNIT,
            name=UNIT,
            hub_url="http://hub.test",
            hub_keys=load_keys(tmp / "hub"),
            hours=1,
        )
        conn.close()
        transport = AppTransport(client)
        init_node(
            tmp / "ward", unit=UNIT, hub_url="http://hub.test", token=token, transport=transport
        )
        session, wconn = node_session(tmp / "ward", transport)
        rows = dossier_rows(5000)
        capture(wconn, load_clock(wconn)).write_many(
            [Write("dossier", r["id"], UNIT, r) for r in rows], actor="canbo"
        )
        changes = session.log.read(0, 5000)
        honest = session.push_envelope(changes)
        # About what the hub inflates: the changes as the node sends them.
        honest_inflated = len(
            canonical(
                [
                    {k: v for k, v in c.to_wire().items() if k not in ("origin", "prev", "hash")}
                    for c in changes
                ]
            )
        )
        keys = KeyPair.load(tmp / "ward" / "keys")
        hub_keys = session.hub.keys

        def sealed(raw: bytes, kind: str = "push") -> bytes:
            return seal(
                zlib.compress(raw, 6),
                sender=session.node_id,
                keys=keys,
                recipient=session.hub.hub_id,
                recipient_keys=hub_keys,
                kind=kind,
                envelope_id=str(uuid.uuid4()),
            )

        cases: list[tuple[str, str, bytes]] = [
            (
                f"honest push: 5,000 dossiers, {honest_inflated / MIB:.1f} MiB inflated",
                "/sync/v1/push",
                honest,
            ),
            (
                "16 MiB of empty lists (5.6 million values)",
                "/sync/v1/push",
                sealed(b'{"kind":"push","changes":[' + b"[]," * 5_592_405 + b"[]]}"),
            ),
            (
                "4,999 empty changes (every field missing)",
                "/sync/v1/push",
                sealed(json.dumps({"kind": "push", "changes": [{}] * 4999}).encode()),
            ),
            (
                "5,001 changes (one over the cap)",
                "/sync/v1/push",
                sealed(
                    json.dumps({"kind": "push", "changes": [{"seq": 1, "x": 1}] * 5001}).encode()
                ),
            ),
            (
                "24 MiB string in one field (at the inflated limit)",
                "/sync/v1/push",
                sealed(b'{"kind":"push","pad":"' + b"a" * (24 * MIB - 40) + b'"}'),
            ),
            (
                "24 MiB of 290,000 strings (at both limits)",
                "/sync/v1/push",
                sealed(b'{"kind":"push","pad":["' + b'","'.join([b"a" * 82] * 290_000) + b'"]}'),
            ),
            (
                "25 MiB of blanks (over the inflated limit)",
                "/sync/v1/push",
                sealed(b" " * (25 * MIB)),
            ),
            (
                "100,000 nested lists",
                "/sync/v1/push",
                sealed(b"[" * 100_000 + b"]" * 100_000),
            ),
            ("enrollment holding 21,000 wrong items", "/sync/v1/enroll", _enrollment(client)),
        ]
        print(f"{'request':58} {'answer':>6} {'code':>16} {'ms':>8} {'MB':>7}")
        for name, path, body in cases:
            tracemalloc.start()
            started = time.perf_counter()
            resp = client.post(path, data=body, environ_base={"REMOTE_ADDR": "10.0.0.9"})
            elapsed = (time.perf_counter() - started) * 1000
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            code = resp.get_json()["error"]["code"] if resp.status_code >= 400 else "ok"
            print(f"{name:58} {resp.status_code:>6} {code:>16} {elapsed:>8.1f} {peak:>7.1f}")
        print(
            "\nbound (docs/security.md, 'Resource bounds'): every refusal under 1,000 ms and "
            "100 MB; the honest push is the baseline of the same size."
        )


def _enrollment(client: Any) -> bytes:
    hello = client.get("/sync/v1/hello").get_json()
    keys = KeyPair.generate()
    envelope = seal(
        zlib.compress(b'{"kind":"enroll","changes":[' + b"{}," * 21_000 + b"{}]}", 9),
        sender="new-node",
        keys=keys,
        recipient=hello["hub_id"],
        recipient_keys=PublicKeys.from_json(hello["keys"]),
        kind="enroll",
        envelope_id=str(uuid.uuid4()),
    )
    return json.dumps(
        {"keys": keys.public.to_json(), "envelope": base64.b64encode(envelope).decode()}
    ).encode()


if __name__ == "__main__":
    main()
