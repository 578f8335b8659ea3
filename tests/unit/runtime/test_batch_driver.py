"""runtime/batch.py, the task driver of Batch jobs: its S3 client signs as botocore does, and
speaks S3 to a real S3 server (moto's, on loopback)."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest

from mlc.runtime.batch import S3, Failure, Task, canonical, enc, item_key

NOW = datetime.datetime(2026, 11, 30, 12, 0, 0, tzinfo=datetime.timezone.utc)
CREDS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG",
         "AWS_SESSION_TOKEN": "token/with+chars"}


@pytest.mark.parametrize("method,key,query,body", [
    ("GET", "runs/r1/run.json", {}, b""),
    ("PUT", "runs/r1/steps/train/items/country=DE/outputs/model/a b+c%.txt", {}, b"data"),
    ("GET", "", {"list-type": "2", "prefix": "runs/r 1/", "continuation-token": "a/b=="}, b""),
])
def test_signature_matches_botocore(method, key, query, body) -> None:
    pytest.importorskip("botocore")
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    with mock.patch.dict("os.environ", CREDS):
        url, headers = S3("eu-west-1").signed(method, "my-bucket", key, query, body, now=NOW)
    request = AWSRequest(method=method, url=url, data=body,
                         headers={"x-amz-content-sha256": headers["x-amz-content-sha256"]})
    with mock.patch("botocore.auth.get_current_datetime",
                    return_value=NOW.replace(tzinfo=None)):
        S3SigV4Auth(Credentials(CREDS["AWS_ACCESS_KEY_ID"], CREDS["AWS_SECRET_ACCESS_KEY"],
                                CREDS["AWS_SESSION_TOKEN"]), "s3", "eu-west-1").add_auth(request)
    assert headers["authorization"] == request.headers["Authorization"]


def test_credentials_from_the_container_endpoint(tmp_path) -> None:
    """A Batch job's role: the ECS container credentials endpoint."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            assert self.path == "/v2/credentials/abc"
            body = json.dumps({"AccessKeyId": "ASIA1", "SecretAccessKey": "s", "Token": "t",
                               "Expiration": "2099-01-01T00:00:00Z"}).encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI":
           f"http://127.0.0.1:{server.server_port}/v2/credentials/abc"}
    try:
        with mock.patch.dict("os.environ", env, clear=True):
            creds = S3("us-east-1").credentials()
    finally:
        server.shutdown()
    assert (creds["key"], creds["secret"], creds["token"]) == ("ASIA1", "s", "t")


def test_no_credentials_is_a_clear_failure() -> None:
    with mock.patch.dict("os.environ", {}, clear=True):
        with pytest.raises(Failure, match="no AWS credentials"):
            S3("us-east-1").credentials()


def test_against_an_s3_server() -> None:
    """put, get, head, copy, list (paged past 1,000 keys), a missing key, odd characters."""
    moto_server = pytest.importorskip("moto.server")
    import boto3

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        with mock.patch.dict("os.environ", {"AWS_ACCESS_KEY_ID": "testing",
                                            "AWS_SECRET_ACCESS_KEY": "testing"}):
            boto = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)
            boto.create_bucket(Bucket="mlc-test")
            s3 = S3("us-east-1", endpoint)
            key = "runs/r1/steps/s/items/k=a%20b/outputs/o/ü x+y.txt"
            s3.put("mlc-test", key, "héllo".encode())
            assert s3.get("mlc-test", key) == "héllo".encode()
            assert boto.get_object(Bucket="mlc-test", Key=key)["Body"].read() == "héllo".encode()
            assert s3.get("mlc-test", "missing") is None
            assert s3.head("mlc-test", "missing") is None and s3.head("mlc-test", key) is not None
            s3.copy("mlc-test", key, "copy/" + key)
            assert s3.get("mlc-test", "copy/" + key) == "héllo".encode()
            for i in range(1005):
                boto.put_object(Bucket="mlc-test", Key=f"many/{i:04d}", Body=b"")
            keys = s3.list("mlc-test", "many/")
            assert keys == [f"many/{i:04d}" for i in range(1005)]
    finally:
        server.stop()


def test_item_keys_match_the_items_task() -> None:
    """The driver carries its own copy of SPEC 5.3 text and keys: it agrees with items.py."""
    from mlc.runtime import items

    for value in ["DE", "a b", ".x", "ü", 1, 1.5, True]:
        assert canonical(value) == items.canonical(value)
        assert enc(value) == items.enc(value)
    assert item_key(["c", "n"], {"c": "a/b", "n": 2}) == items.item_key(["c", "n"], ["a/b", 2])


def test_slots_resolve_without_templating(tmp_path) -> None:
    """Values land in the config as data: a value that looks like a slot stays text."""
    task = Task({"store": "s3://b", "region": "us-east-1", "pipeline": "p", "step": "s"},
                {"MLC_RUN_ID": "r1", "MLC_DATA_DIR": str(tmp_path)}, s3=object())
    task.run = {"run": {"id": "r1"}, "params": {"x": '{"\\u0000": ["param"]}'}}
    task.item = {"c": "DE"}
    config = {"p": {"\u0000": ["param", "", "x", []]},
              "t": {"\u0000t": ["in ", ["foreach", "", "c", []], "!"]},
              "path": {"\u0000": ["path", "", "outputs/o", []]}}
    assert task.resolve(config) == {"p": '{"\\u0000": ["param"]}', "t": "in DE!",
                                    "path": str(tmp_path / "outputs" / "o")}
