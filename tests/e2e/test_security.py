"""Security over real HTTP: tenant isolation on every endpoint the app routes, download URLs
bound to dataset, part and expiry, keys hashed at rest, storage names chosen by the server."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qs, quote, urlparse

import pytest
import redis
import requests

from tests.e2e.conftest import KEYS, wait_until

ROWS = b"".join(b'{"text": "secret of acme %d"}\n' % i for i in range(50))
OTHER = "globex"
FOREIGN_ID = "not-a-dataset-aaaaaaaaaaaaaaaaaaaaaaaaaa"


def _create(stack, org: str, name: str, **params: str) -> str:
    response = stack.create({"data": ("a.jsonl", ROWS)}, name, org, **params)
    assert response.status_code == 200, response.text
    return response.json()["id"]


@pytest.fixture(scope="module")
def acme_dataset(stack) -> dict:
    dataset_id = _create(stack, "acme", "acme-private", keep_original_file="true")
    dataset = stack.wait_final(dataset_id)
    assert dataset["validation_status"] == "validated"
    return dataset


def _routes(stack) -> set[tuple[str, str]]:
    """Every (method, rule) the Flask app routes, read from the app itself."""
    from api import create_app
    from store.settings import Settings

    app = create_app(Settings.from_env(stack.env))
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def _blob_key(url: str) -> str:
    return urlparse(url).path.removeprefix("/v1/blobs/")


# Each check: what org B can do with org A's dataset through that endpoint.
def _get_is_404(stack, dataset):
    response = requests.get(
        f"{stack.url}/v1/datasets/{dataset['id']}", headers=stack.headers(OTHER)
    )
    assert response.status_code == 404
    assert response.json() == {"message": "dataset not found"}
    assert (
        response.json()
        == requests.get(
            f"{stack.url}/v1/datasets/{FOREIGN_ID}", headers=stack.headers(OTHER)
        ).json()
    )  # indistinguishable from an id that does not exist


def _delete_is_404_and_deletes_nothing(stack, dataset):
    response = requests.delete(
        f"{stack.url}/v1/datasets/{dataset['id']}", headers=stack.headers(OTHER)
    )
    assert response.status_code == 404
    assert response.json() == {"message": "dataset not found"}
    still = requests.get(f"{stack.url}/v1/datasets/{dataset['id']}", headers=stack.headers())
    assert still.status_code == 200
    assert requests.get(dataset["dataset_parts"][0]["url"]).status_code == 200


def _list_never_shows_it(stack, dataset):
    queries = [
        {},
        {"limit": "1000"},
        {"datasetType": "embed-input"},
        {"validationStatus": "validated"},
        {"before": "2999-01-01T00:00:00Z"},
        {"after": "2000-01-01T00:00:00Z"},
        {"offset": "0", "limit": "1"},
    ]
    for query in queries:
        listed = stack.list(OTHER, **query)
        assert dataset["id"] not in [d["id"] for d in listed], query


def _usage_is_its_own(stack, dataset):
    before = stack.usage(OTHER)
    own = _create(stack, OTHER, "globex-own")
    assert stack.usage(OTHER) == before + len(ROWS)
    requests.delete(f"{stack.url}/v1/datasets/{own}", headers=stack.headers(OTHER))
    assert stack.usage(OTHER) == before
    assert stack.usage("acme") >= len(ROWS)  # the dataset counts where it belongs


def _create_never_hands_out_its_id(stack, dataset):
    key = {"Idempotency-Key": "same-key-both-orgs"}
    mine = requests.post(
        f"{stack.url}/v1/datasets",
        params={"name": "idem", "type": "embed-input"},
        files={"data": ("a.jsonl", ROWS)},
        headers={**stack.headers(), **key},
    ).json()["id"]
    theirs = requests.post(
        f"{stack.url}/v1/datasets",
        params={"name": "idem", "type": "embed-input"},
        files={"data": ("a.jsonl", ROWS)},
        headers={**stack.headers(OTHER), **key},
    ).json()["id"]
    assert mine != theirs
    for org, dataset_id in (("acme", mine), (OTHER, theirs)):
        requests.delete(f"{stack.url}/v1/datasets/{dataset_id}", headers=stack.headers(org))


def _blob_urls_are_bound_to_dataset_part_and_expiry(stack, dataset):
    from store.signing import UrlSigner

    part = dataset["dataset_parts"][0]
    url, original = part["url"], part["original_url"]
    assert requests.get(url).status_code == 200
    query = parse_qs(urlparse(url).query)
    expires, signature = query["expires"][0], query["signature"][0]
    key = _blob_key(url)
    other_dataset = key.replace(key.split("/")[1], "a" * 26)
    forged = {
        "other dataset": f"{stack.url}/v1/blobs/{other_dataset}?{urlparse(url).query}",
        "other part": url.replace("train-00000", "train-00001"),
        "the original file": f"{stack.url}/v1/blobs/{_blob_key(original)}?{urlparse(url).query}",
        "later expiry": url.replace(f"expires={expires}", f"expires={int(expires) + 3600}"),
        "no signature": url.split("?")[0],
        "bad signature": url.replace(signature, "0" * len(signature)),
    }
    for what, forged_url in forged.items():
        response = requests.get(forged_url)
        assert response.status_code == 403, what
        assert "invalid or has expired" in response.json()["message"], what
    signer = UrlSigner(stack.env["SIEVE_SECRET_KEY"])  # a genuine signature, but expired
    expired = f"{stack.url}/v1/blobs/{key}?{signer.sign(key, ttl_seconds=-5)}"
    assert requests.get(expired).status_code == 403


def _carries_no_tenant_data(path: str):
    def check(stack, dataset):
        response = requests.get(f"{stack.url}{path}", headers=stack.headers(OTHER))
        assert response.status_code < 500
        assert dataset["id"] not in response.text
        assert "secret of acme" not in response.text

    return check


def _upload_checks(check):
    """Run `check(stack, upload, send)` on a fresh acme upload with one part in, then abort it
    (`send(org, method, path, **kwargs)` is a request as that org)."""

    def run(stack, dataset):
        def send(org, method, path, **kwargs):
            headers = {**stack.headers(org), **kwargs.pop("headers", {})}
            return requests.request(method, f"{stack.url}{path}", headers=headers, **kwargs)

        declared = {"name": "up", "type": "embed-input", "filename": "a.jsonl", "size": len(ROWS)}
        upload = send("acme", "POST", "/v1/uploads", json=declared).json()["upload"]
        digest = {"X-Content-SHA256": hashlib.sha256(ROWS).hexdigest()}
        part = f"/v1/uploads/{upload['id']}/parts/1"
        assert send("acme", "PUT", part, data=ROWS, headers=digest).status_code == 200
        try:
            check(send, upload, digest)
            mine = send("acme", "GET", f"/v1/uploads/{upload['id']}").json()["upload"]
            assert mine["state"] == "open" and len(mine["parts"]) == 1
        finally:
            send("acme", "DELETE", f"/v1/uploads/{upload['id']}")

    return run


def _upload_is_404(send, upload, digest):
    unknown = send(OTHER, "GET", "/v1/uploads/upl-0123456789abcdef0123456789abcdef")
    answer = send(OTHER, "GET", f"/v1/uploads/{upload['id']}")
    assert answer.status_code == 404 and answer.json() == unknown.json()


def _part_is_404(send, upload, digest):
    path = f"/v1/uploads/{upload['id']}/parts/1"
    answer = send(OTHER, "PUT", path, data=b"other bytes", headers=digest)
    assert answer.status_code == 404


def _complete_is_404(send, upload, digest):
    path = f"/v1/uploads/{upload['id']}/complete"
    answer = send(OTHER, "POST", path, json={"sha256": digest["X-Content-SHA256"]})
    assert answer.status_code == 404


def _abort_is_404(send, upload, digest):
    assert send(OTHER, "DELETE", f"/v1/uploads/{upload['id']}").status_code == 404


def _open_reserves_for_its_own_org(send, upload, digest):
    usage = {org: send(org, "GET", "/v1/datasets/usage").json() for org in ("acme", OTHER)}
    declared = {"name": "theirs", "type": "embed-input", "filename": "a.jsonl", "size": 1000}
    theirs = send(OTHER, "POST", "/v1/uploads", json=declared).json()["upload"]
    assert theirs["id"] != upload["id"]
    after = send(OTHER, "GET", "/v1/datasets/usage").json()["organization_usage"]
    assert after == usage[OTHER]["organization_usage"] + 1000
    assert send("acme", "GET", "/v1/datasets/usage").json() == usage["acme"]
    send(OTHER, "DELETE", f"/v1/uploads/{theirs['id']}")


def _webhook_checks(check):
    """Run `check(send, webhook)` on a fresh acme webhook, then delete it."""

    def run(stack, dataset):
        def send(org, method, path, **kwargs):
            return requests.request(
                method, f"{stack.url}{path}", headers=stack.headers(org), **kwargs
            )

        hook = {"url": "https://93.184.216.34/acme-hook"}  # an address, resolved offline
        webhook = send("acme", "POST", "/v1/webhooks", json=hook).json()["webhook"]
        try:
            check(send, webhook)
            mine = send("acme", "GET", f"/v1/webhooks/{webhook['id']}")
            assert mine.status_code == 200 and mine.json()["webhook"]["url"] == hook["url"]
        finally:
            send("acme", "DELETE", f"/v1/webhooks/{webhook['id']}")

    return run


def _webhook_path_is_404(method: str, suffix: str = ""):
    def check(send, webhook):
        unknown = send(OTHER, method, f"/v1/webhooks/wh_{'0' * 24}{suffix}")
        answer = send(OTHER, method, f"/v1/webhooks/{webhook['id']}{suffix}")
        assert answer.status_code == 404 and answer.json() == unknown.json()
        assert webhook["url"] not in answer.text and webhook["secret"] not in answer.text

    return check


def _webhooks_listed_and_made_apart(send, webhook):
    theirs = send(OTHER, "POST", "/v1/webhooks", json={"url": "https://93.184.216.35/x"})
    theirs = theirs.json()["webhook"]
    try:
        assert theirs["secret"] != webhook["secret"]
        listed = send(OTHER, "GET", "/v1/webhooks").text
        assert webhook["id"] not in listed and webhook["url"] not in listed
        assert theirs["id"] not in send("acme", "GET", "/v1/webhooks").text
    finally:
        send(OTHER, "DELETE", f"/v1/webhooks/{theirs['id']}")


def _dataset_data_is_404(path: str):
    def check(stack, dataset):
        url = f"{stack.url}/v1/datasets/{dataset['id']}/{path}"
        answer = requests.get(url, headers=stack.headers(OTHER))
        assert answer.status_code == 404 and answer.json() == {"message": "dataset not found"}
        assert requests.get(url, headers=stack.headers()).status_code == 200

    return check


def _answers_as_under_v1(method: str, rule: str):
    """A path without /v1 (cohere 5.0-5.7) is the /v1 route itself: another organization's
    key gets the same answer there (404 for the dataset, its own list and usage)."""

    def check(stack, dataset):
        path = rule.replace("<dataset_id>", dataset["id"])
        files = {"data": ("a.jsonl", b'{"text": "mine"}\n')} if method == "POST" else None
        params = {"name": "other", "type": "embed-input"} if method == "POST" else None
        answers = [
            requests.request(
                method, f"{stack.url}{prefix}{path}", headers=stack.headers(OTHER),
                files=files, params=params,
            )
            for prefix in ("", "/v1")
        ]  # fmt: skip
        assert answers[0].status_code == answers[1].status_code, path
        if method != "POST":  # two creates: two ids
            assert answers[0].json() == answers[1].json(), path
        assert dataset["id"] not in answers[0].text or method == "DELETE"

    return check


def _status_counts_its_own_datasets(stack, dataset):
    mine = requests.get(f"{stack.url}/v1/status", headers=stack.headers()).json()
    theirs = requests.get(f"{stack.url}/v1/status", headers=stack.headers(OTHER)).json()
    assert sum(mine["datasets_by_status"].values()) >= 1
    assert sum(theirs["datasets_by_status"].values()) == len(stack.list(OTHER, limit="1000"))
    assert isinstance(theirs["workers_alive"], int)  # no host names for a tenant


UNVERSIONED = [
    ("GET", "/datasets/<dataset_id>/report"),
    ("GET", "/datasets/<dataset_id>/rows"),
    ("GET", "/datasets/<dataset_id>/profile"),
    ("GET", "/datasets/<dataset_id>"),
    ("DELETE", "/datasets/<dataset_id>"),
    ("GET", "/datasets"),
    ("GET", "/datasets/usage"),
    ("POST", "/datasets"),
]

MATRIX = {
    **{route: _answers_as_under_v1(*route) for route in UNVERSIONED},
    ("GET", "/v1/datasets/<dataset_id>/report"): _dataset_data_is_404("report"),
    ("GET", "/v1/datasets/<dataset_id>/rows"): _dataset_data_is_404("rows"),
    ("GET", "/v1/datasets/<dataset_id>/profile"): _dataset_data_is_404("profile"),
    ("POST", "/v1/uploads"): _upload_checks(_open_reserves_for_its_own_org),
    ("GET", "/v1/uploads/<upload_id>"): _upload_checks(_upload_is_404),
    ("PUT", "/v1/uploads/<upload_id>/parts/<int:number>"): _upload_checks(_part_is_404),
    ("POST", "/v1/uploads/<upload_id>/complete"): _upload_checks(_complete_is_404),
    ("DELETE", "/v1/uploads/<upload_id>"): _upload_checks(_abort_is_404),
    ("GET", "/v1/datasets/<dataset_id>"): _get_is_404,
    ("DELETE", "/v1/datasets/<dataset_id>"): _delete_is_404_and_deletes_nothing,
    ("GET", "/v1/datasets"): _list_never_shows_it,
    ("GET", "/v1/datasets/usage"): _usage_is_its_own,
    ("POST", "/v1/datasets"): _create_never_hands_out_its_id,
    ("GET", "/v1/blobs/<path:key>"): _blob_urls_are_bound_to_dataset_part_and_expiry,
    ("GET", "/v1/status"): _status_counts_its_own_datasets,
    ("POST", "/v1/webhooks"): _webhook_checks(_webhooks_listed_and_made_apart),
    ("GET", "/v1/webhooks"): _webhook_checks(_webhooks_listed_and_made_apart),
    ("GET", "/v1/webhooks/<webhook_id>"): _webhook_checks(_webhook_path_is_404("GET")),
    ("DELETE", "/v1/webhooks/<webhook_id>"): _webhook_checks(_webhook_path_is_404("DELETE")),
    ("GET", "/v1/webhooks/<webhook_id>/deliveries"): _webhook_checks(
        _webhook_path_is_404("GET", "/deliveries")
    ),
    ("POST", "/v1/webhooks/<webhook_id>/test"): _webhook_checks(
        _webhook_path_is_404("POST", "/test")
    ),
    ("GET", "/metrics"): _carries_no_tenant_data("/metrics"),
    ("GET", "/healthz"): _carries_no_tenant_data("/healthz"),
    ("GET", "/readyz"): _carries_no_tenant_data("/readyz"),
    ("GET", "/openapi.json"): _carries_no_tenant_data("/openapi.json"),
    ("GET", "/v1/dataset-types"): _carries_no_tenant_data("/v1/dataset-types"),
    ("GET", "/v1/dataset-types/<name>"): _carries_no_tenant_data("/v1/dataset-types/embed-input"),
    ("GET", "/docs"): _carries_no_tenant_data("/docs"),
    ("GET", "/"): _carries_no_tenant_data("/"),
    ("GET", "/console/<name>"): _carries_no_tenant_data("/console/console.js"),
    ("GET", "/favicon.ico"): _carries_no_tenant_data("/favicon.ico"),
    ("GET", "/docs/init.js"): _carries_no_tenant_data("/docs/init.js"),
    ("GET", "/docs/assets/<name>"): _carries_no_tenant_data("/docs/assets/swagger-ui.css"),
}


def test_the_matrix_covers_every_route(stack):
    assert _routes(stack) == set(MATRIX), "a route without a tenant-isolation check"


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_another_organization_cannot_reach_the_dataset(stack, acme_dataset, route):
    MATRIX[route](stack, acme_dataset)


def test_every_authenticated_route_refuses_a_missing_or_wrong_key(stack, acme_dataset):
    authenticated = [
        ("GET", "/v1/datasets"),
        ("POST", "/v1/datasets"),
        ("GET", "/v1/datasets/usage"),
        ("GET", f"/v1/datasets/{acme_dataset['id']}"),
        ("DELETE", f"/v1/datasets/{acme_dataset['id']}"),
    ]
    for method, path in authenticated:
        for headers in ({}, {"Authorization": "Bearer sk-wrong"}, {"Authorization": "Basic x"}):
            response = requests.request(method, f"{stack.url}{path}", headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert set(response.json()) == {"message"}


def test_a_signed_key_outside_the_storage_root_is_not_served(stack):
    from store.signing import UrlSigner

    signer = UrlSigner(stack.env["SIEVE_SECRET_KEY"])  # even with the secret itself
    for key in ("../stack.log", "datasets/../../stack.log", "/etc/passwd"):
        url = f"{stack.url}/v1/blobs/{quote(key, safe='')}?{signer.sign(key, 60)}"
        response = requests.get(url)
        assert response.status_code in (403, 404), (key, response.status_code)
        assert set(response.json()) == {"message"}  # an error, not the file


def test_keys_are_hashed_at_rest(stack, acme_dataset):
    from store.apikeys import hash_key

    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    dumped = []
    for key in client.scan_iter(count=1000):
        dumped.append(key)
        dumped.append(client.dump(key) or b"")
    everything = b"\n".join(dumped)
    for org, api_key in KEYS.items():
        assert api_key.encode() not in everything, org
        assert hash_key(api_key).encode() in everything, org
    log = (stack.storage.parent / "stack.log").read_bytes()
    assert not any(api_key.encode() in log for api_key in KEYS.values())


STORED_NAME = re.compile(
    r"datasets/[a-z2-7]{26}/(upload/(train|eval)/\d{5}|parts/(train|eval)-\d{5}(\.[0-9a-f]{8})?\.avro"
    r"|report/(train|eval)-(\d{5}\.[0-9a-f]{8}|file)\.ndjson)"
)


def test_stored_file_names_never_derive_from_user_input(stack):
    hostile = "../../../evil\x00name"
    response = stack.create(
        {
            "data": ("../../etc/passwd\x00.jsonl", ROWS),
            "eval_data": ("/tmp/../../root/.ssh/id_rsa.jsonl", ROWS),
        },
        hostile,
        keep_original_file="true",
    )
    assert response.status_code == 200, response.text
    dataset = stack.wait_final(response.json()["id"])
    assert dataset["validation_status"] == "validated"
    token = dataset["id"].rsplit("-", 1)[1]

    def mine() -> list[str]:
        stored = [p.relative_to(stack.storage).as_posix() for p in stack.stored_files()]
        return [p for p in stored if token in p]

    folders = lambda: {p.split("/")[2] for p in mine()}  # noqa: E731
    assert wait_until(lambda: folders() - {"report"} == {"upload", "parts"}), mine()
    assert all(STORED_NAME.fullmatch(p) for p in mine()), mine()  # row hashes gone, too
    outside = [p for p in stack.storage.parent.rglob("*") if stack.storage not in p.parents]
    assert not [p for p in outside if "evil" in p.name or "passwd" in p.name or "id_rsa" in p.name]
    requests.delete(f"{stack.url}/v1/datasets/{dataset['id']}", headers=stack.headers())
    assert not [p for p in stack.stored_files() if token in str(p)]
