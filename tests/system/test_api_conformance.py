"""Schemathesis against a live hub and a live ward node (real waitress servers on loopback,
authenticated with API tokens): every operation of each app's OpenAPI description
(``/api/v1/openapi.json``) is called with generated requests, valid and invalid ones, a
bounded number per operation; no answer may be a 5xx or differ from the description (status
code, content type, body schema, headers). What it found was fixed in the apps, not excluded
(docs/architecture.md, "HTTP surfaces")."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from central_hub import api_description as hub_api
from tests.support import Cluster, add_hub_user, running_cluster, token, wait_until
from ward_node import api_description as ward_api
from webapp import openapi

UNIT = "19786"
# Examples per operation and mode: 38 operations a side fit in a few minutes on CI's machine.
EXAMPLES = int(os.environ.get("WARDSYNC_API_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
HUB_DOC = openapi.bundle(hub_api.describe())
WARD_DOC = openapi.bundle(ward_api.describe())


def operations(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((path, method) for method, path in openapi.described(doc))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A hub and one ward node, served; the ward syncs only when asked."""
    with running_cluster(tmp_path_factory.mktemp("conformance"), UNIT, interval=3600) as found:
        add_hub_user(found.hub_data, "quantri", "admin")
        yield found


@pytest.fixture(scope="module")
def seeded(cluster: Cluster) -> dict[str, str]:
    """Records to aim at: a dossier received at the ward and synced to the hub, a directive
    of the city; their ids are the explicit examples of the path parameters, so that the
    answers with a record are checked too, not only the 404s of generated ids."""
    ward, hub = cluster.wards[UNIT].url, cluster.hub_url
    officer, admin = token(ward), token(hub, "quantri")
    dossier = requests.post(
        ward + "/api/v1/dossiers",
        json={"procedure_code": "1.001193", "applicant": {"full_name": "Nguyễn Thị Lan"}},
        headers=officer,
        timeout=10,
    ).json()
    assert requests.post(ward + "/api/v1/sync/run", headers=officer, timeout=10).ok
    wait_until(
        lambda: (
            requests.get(
                f"{hub}/api/v1/dossiers/{dossier['id']}", headers=admin, timeout=10
            ).status_code
            == 200
        ),
        timeout=60,
    )
    directive = requests.post(
        hub + "/api/v1/directives",
        json={
            "title": "Rà soát hồ sơ",
            "content": "Báo cáo trước hạn.",
            "lead_unit": UNIT,
            "units": [UNIT],
            "deadline": "2027-01-31",
        },
        headers=admin,
        timeout=10,
    ).json()
    return {"dossier_id": dossier["id"], "code": dossier["code"], "directive_id": directive["id"]}


@pytest.fixture(scope="module")
def ward_url(cluster: Cluster, seeded: dict[str, str]) -> str:
    url = cluster.wards[UNIT].url
    # The description the ward serves is the one this module tests.
    assert served(url) == WARD_DOC
    return url


@pytest.fixture(scope="module")
def hub_url(cluster: Cluster, seeded: dict[str, str]) -> str:
    assert served(cluster.hub_url) == HUB_DOC
    return cluster.hub_url


def served(url: str) -> Any:
    resp = requests.get(url + "/api/v1/openapi.json", timeout=10)
    assert resp.status_code == 200
    return resp.json()


def with_examples(doc: dict[str, Any], examples: dict[str, str]) -> dict[str, Any]:
    """A copy of ``doc`` whose path parameters named in ``examples`` carry them."""
    doc = copy.deepcopy(doc)
    for spec in doc["paths"].values():
        for param in spec.get("parameters", []):
            if param["in"] == "path" and param["name"] in examples:
                param["example"] = examples[param["name"]]
    return doc


def exercise(
    doc: dict[str, Any],
    path: str,
    method: str,
    url: str,
    auth: dict[str, str],
    seeded: dict[str, str],
) -> None:
    """Generated requests for one operation against the server at ``url``, checked; first the
    explicit one, aimed at the seeded records."""
    schema = schemathesis.openapi.from_dict(with_examples(doc, seeded))
    operation = schema[path][method]
    spec = doc["paths"][path]
    has_input = bool(spec.get("parameters") or spec[method].get("parameters"))
    has_input = has_input or "requestBody" in spec[method]
    # An operation that takes nothing has no invalid request to make.
    for mode in MODES if has_input else MODES[:1]:

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
            database=None,
        )
        def run(case: Any) -> None:
            case.call_and_validate(base_url=url, headers=auth, checks=CHECKS, timeout=30)

        try:
            run()
        except Unsatisfiable:
            # Only a string path parameter to break, which any string satisfies.
            if mode is not schemathesis.GenerationMode.NEGATIVE:
                raise


@pytest.mark.parametrize(("path", "method"), operations(WARD_DOC))
def test_the_ward_node_answers_as_described(
    ward_url: str, seeded: dict[str, str], path: str, method: str
) -> None:
    exercise(WARD_DOC, path, method, ward_url, token(ward_url), seeded)


@pytest.mark.parametrize(("path", "method"), operations(HUB_DOC))
def test_the_hub_answers_as_described(
    hub_url: str, seeded: dict[str, str], path: str, method: str
) -> None:
    exercise(HUB_DOC, path, method, hub_url, token(hub_url, "quantri"), seeded)
