"""Resumable downloads (Range, ETag) and the OpenAPI document generated from the route table
and the schemas, over fakeredis with the Flask test client."""

from __future__ import annotations

import pytest
from flask import Blueprint

from api import create_app
from api.openapi import UndocumentedRouteError, build_spec
from api.schemas import RECORD_OPTIONS, CreateOptionsSchema
from tests.api.test_views import RecordingEnqueuer

CONTENT = bytes(range(256)) * 400  # 102 400 bytes


@pytest.fixture
def app(make_stores):
    stores = make_stores()
    writer = stores.blobs.open_writer("datasets/abc/parts/train-00000.avro")
    writer.write(CONTENT)
    writer.commit()
    return create_app(stores.settings, stores, RecordingEnqueuer()), stores


def _link(stores) -> str:
    url = stores.links.url("datasets/abc/parts/train-00000.avro", 60)
    return url.removeprefix(stores.settings.public_url)


def test_a_download_answers_ranges_with_206_and_resumes_byte_exact(app):
    flask_app, stores = app
    client, link = flask_app.test_client(), _link(stores)
    whole = client.get(link)
    assert whole.status_code == 200 and whole.data == CONTENT
    assert whole.headers["Content-Length"] == str(len(CONTENT))
    assert whole.headers["Accept-Ranges"] == "bytes"
    etag = whole.headers["ETag"]
    assert etag.startswith('"') and len(etag) > 10

    first = client.get(link, headers={"Range": "bytes=0-49999"})
    assert first.status_code == 206 and len(first.data) == 50000
    assert first.headers["Content-Range"] == f"bytes 0-49999/{len(CONTENT)}"
    rest = client.get(link, headers={"Range": "bytes=50000-", "If-Range": etag})
    assert rest.status_code == 206
    assert rest.headers["Content-Length"] == str(len(CONTENT) - 50000)
    assert first.data + rest.data == CONTENT
    tail = client.get(link, headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.data == CONTENT[-100:]
    longer = client.get(link, headers={"Range": f"bytes=-{len(CONTENT) * 2}"})  # RFC 9110:
    assert longer.status_code == 206 and longer.data == CONTENT  # the whole representation
    assert longer.headers["Content-Range"] == f"bytes 0-{len(CONTENT) - 1}/{len(CONTENT)}"


def test_stale_if_range_gets_the_whole_file_and_a_range_past_the_end_is_416(app):
    flask_app, stores = app
    client, link = flask_app.test_client(), _link(stores)
    stale = client.get(link, headers={"Range": "bytes=10-20", "If-Range": '"not-it"'})
    assert stale.status_code == 200 and stale.data == CONTENT
    del stale
    past = client.get(link, headers={"Range": f"bytes={len(CONTENT) + 5}-"})
    assert past.status_code == 416
    assert past.headers["Content-Range"] == f"bytes */{len(CONTENT)}"
    assert "outside the file" in past.get_json()["message"]
    many = client.get(link, headers={"Range": "bytes=0-1,5-6"})  # several ranges: whole file
    assert many.status_code == 200 and many.data == CONTENT


def test_every_route_and_every_create_option_is_in_the_document(app):
    flask_app, _ = app
    document = build_spec(flask_app)
    create = document["paths"]["/v1/datasets"]["post"]
    query = {p["name"] for p in create["parameters"] if p["in"] == "query"}
    assert set(RECORD_OPTIONS) | {"name", "type", "dry_run", "delimiter"} <= query
    assert query == {f.data_key or name for name, f in CreateOptionsSchema().fields.items()}
    assert {"Idempotency-Key"} == {p["name"] for p in create["parameters"] if p["in"] == "header"}
    form = document["components"]["schemas"]["CreateUpload"]["properties"]
    assert {"data", "eval_data", *RECORD_OPTIONS} <= set(form)
    download = document["paths"]["/v1/blobs/{key}"]["get"]
    assert {"Range", "If-Range"} <= {p["name"] for p in download["parameters"]}
    assert {"200", "206", "403", "404", "416"} <= set(download["responses"])
    listing = document["paths"]["/v1/datasets"]["get"]["parameters"]
    assert {"datasetType", "validationStatus", "before", "after", "limit", "offset"} <= {
        p["name"] for p in listing
    }


def test_a_route_without_a_declaration_fails_the_document(app):
    flask_app, _ = app
    extra = Blueprint("extra", __name__)
    extra.add_url_rule("/v1/secret", "secret", lambda: "x")
    flask_app.register_blueprint(extra)
    with pytest.raises(UndocumentedRouteError, match="/v1/secret"):
        build_spec(flask_app)


def test_one_declaration_documents_and_checks_a_request(app):
    """`@documented(query=...)` is the document's parameter list and the request's check."""
    from api.operation import documented
    from api.schemas import RowsQuerySchema

    flask_app, _ = app
    seen = {}

    @flask_app.get("/probe")
    @documented("probe", query=RowsQuerySchema, secured=False)
    def probe(query: dict) -> dict:
        seen.update(query)
        return {}

    client = flask_app.test_client()
    assert client.get("/probe?limit=7&file=eval").status_code == 200
    assert seen["limit"] == 7 and seen["file"] == "eval" and seen["offset"] == 0  # loaded
    refused = client.get("/probe?limit=1000")
    assert refused.status_code == 400 and refused.get_json() == {
        "message": "limit must be 1 to 100"
    }
    parameters = build_spec(flask_app)["paths"]["/probe"]["get"]["parameters"]
    assert {p["name"] for p in parameters if p["in"] == "query"} == set(RowsQuerySchema().fields)
