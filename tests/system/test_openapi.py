"""The OpenAPI 3.1 descriptions of both apps (``GET /api/v1/openapi.json``; webapp/openapi.py):
valid by openapi-spec-validator, every ``/api/v1`` route of the app described and nothing
described that the app lacks, records referred to in ``schemas/`` rather than copied."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from webapp import described_routes, openapi


@pytest.fixture(params=["hub", "ward"])
def app(request: pytest.FixtureRequest) -> Flask:
    client: FlaskClient = request.getfixturevalue("hub" if request.param == "hub" else "client")
    return client.application


def served(app: Flask) -> Any:
    resp = app.test_client().get("/api/v1/openapi.json")
    assert resp.status_code == 200
    assert resp.content_type == "application/json"
    return resp.get_json()


def test_the_description_is_valid_openapi_3_1(app: Flask) -> None:
    doc = served(app)
    assert doc["openapi"] == "3.1.0"
    validate(doc, cls=OpenAPIV31SpecValidator)


def test_every_route_is_described_and_nothing_else(app: Flask) -> None:
    doc = served(app)
    in_app = described_routes(app)
    in_doc = openapi.described(doc)
    assert in_app - in_doc == set(), "routes without a description"
    assert in_doc - in_app == set(), "described routes the app lacks"
    assert len(in_app) >= 38


def test_an_undescribed_route_is_caught(app: Flask) -> None:
    """The check above fails for a route added without its description."""
    app.add_url_rule("/api/v1/new-thing", "new_thing", lambda: "", methods=["POST"])
    assert ("post", "/api/v1/new-thing") in described_routes(app) - openapi.described(served(app))


def test_records_are_referred_to_not_copied(app: Flask) -> None:
    doc = served(app)
    text = json.dumps(doc["paths"])
    assert '"$ref": "#/components/schemas/dossier/properties/' in text
    # The bundled record is the file in schemas/, only its $id and $schema left out.
    source = json.loads((openapi.SCHEMA_DIR / "dossier.json").read_text(encoding="utf-8"))
    del source["$id"], source["$schema"]
    assert doc["components"]["schemas"]["dossier"] == source
    # No record's field list is written out in the paths.
    assert '"pattern"' not in text


def test_flask_rules_become_openapi_paths() -> None:
    assert (
        openapi.openapi_path("/api/v1/conflicts/<int:conflict_id>")
        == "/api/v1/conflicts/{conflict_id}"
    )
    assert (
        openapi.openapi_path("/api/v1/directives/<directive_id>/<any(pause, resume, cancel):move>")
        == "/api/v1/directives/{directive_id}/{move}"
    )
