"""The citizens' portal address a ward prints (issue [11]): the hub tells it at each pull
(``portal_url``, from its ``PUBLIC_URL``: docs/protocol.md), the ward keeps it and sends
citizens there, on receipts and in SMS notices, never to its own intranet address."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from sync import get_meta
from tests.support import enrolled_node, synced_session
from ward_node import create_app as create_ward
from ward_node.dossiers.current import lookup_template


@pytest.mark.parametrize(
    ("hub_config", "told"),
    [
        ({"PUBLIC_URL": "https://dichvucong.hue.gov.vn/"}, "https://dichvucong.hue.gov.vn"),
        ({"PUBLIC_URL": ""}, None),  # unknown: the ward prints no address
        ({"PUBLIC_URL": "dichvucong.hue.gov.vn"}, None),  # not an address: never sent
    ],
)
def test_the_ward_learns_the_portal_address_at_each_pull(
    tmp_path: Path, hub: FlaskClient, hub_config: dict[str, Any], told: str | None
) -> None:
    data, transport = enrolled_node(tmp_path, hub)
    _session, conn = synced_session(data, transport)
    try:
        assert get_meta(conn, "sync.portal_url") == told
    finally:
        conn.close()
    ward = create_ward({"DATA": str(data), "SYNC_INTERVAL": 0})
    with ward.test_request_context():
        expected = f"{told}/tra-cuu/{{code}}" if told else ""
        assert lookup_template() == expected
        # The ward's own setting, an address the city gives it, comes first.
        ward.config["PUBLIC_LOOKUP_URL"] = "https://tracuu.hue.gov.vn/{code}"
        assert lookup_template() == "https://tracuu.hue.gov.vn/{code}"
