"""The task driver of AWS Batch jobs (SPEC 8: Step Functions). Standard library only.

Batch stages nothing, so every job of a compiled state machine runs this program first: it
reads the run's values from S3, downloads the job's input artifacts, writes the step config,
runs the command with the `MLC_*` environment, and uploads the outputs. The same program runs
mlc's generated tasks (run info, items, select-best, the deploy decision): their commands are
runtime modules, their inputs and outputs are staged the same way.

As a script: MLC_TASK (JSON, fixed per job definition: see `lower/stepfunctions/tasks.py`),
MLC_RUN_ID (the execution's name), and per item or trial MLC_ITEM_INDEX or MLC_ITEM_KEY with
MLC_ITEM_JSON, and MLC_TRIAL_INDEX. S3 is reached with the job's role (the ECS container
credentials endpoint) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; MLC_S3_ENDPOINT points at
another S3 (path-style), as the tests do.

Layout under `<artifact_store>/<pipeline>/`: runs/<run id>/run.json; runs/<run id>/groups/
<owner>/{items.json,count,index.json}; runs/<run id>/steps/<step>/[items/<item key>/]
[trials/<n>/]outputs/<output>; cache/<key>/{outputs/...,done}.
"""

import datetime
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
SLOT = "\u0000"   # a dict {SLOT: [kind, step, name, dims]} in a template is a run-time value
TEXT = "\u0000t"  # a dict {TEXT: [piece, ...]} is a string of literal pieces and slots


class Failure(Exception):
    """A problem to report in one line, failing the attempt."""


# -- SPEC 5.3 canonical text and item keys (runtime/items.py has the same) ------------------
def canonical(value):
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def enc(value):
    out = []
    for i, byte in enumerate(canonical(value).encode("utf-8")):
        ch = chr(byte)
        if ch in SAFE and not (i == 0 and ch == "."):
            out.append(ch)
        else:
            out.append("%%%02X" % byte)
    return "".join(out)


def item_key(dims, item):
    return "/".join(f"{d}={enc(item[d])}" for d in dims)


# -- S3 with Signature Version 4 ---------------------------------------------------------------
class S3:
    def __init__(self, region, endpoint=None):
        self.region = region
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self._creds = None

    def credentials(self):
        if self._creds and self._creds.get("expires", float("inf")) > time.time() + 300:
            return self._creds
        env = os.environ
        if env.get("AWS_ACCESS_KEY_ID"):
            self._creds = {"key": env["AWS_ACCESS_KEY_ID"],
                           "secret": env["AWS_SECRET_ACCESS_KEY"],
                           "token": env.get("AWS_SESSION_TOKEN")}
            return self._creds
        url = env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        if not url and env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
            url = "http://169.254.170.2" + env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]
        if not url:
            raise Failure("no AWS credentials: give the job a role (targets.stepfunctions."
                          "job_role) or set AWS_ACCESS_KEY_ID")
        request = urllib.request.Request(url)
        if env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN"):
            request.add_header("Authorization", env["AWS_CONTAINER_AUTHORIZATION_TOKEN"])
        with urllib.request.urlopen(request, timeout=10) as fh:
            data = json.load(fh)
        expires = datetime.datetime.fromisoformat(data["Expiration"].replace("Z", "+00:00"))
        self._creds = {"key": data["AccessKeyId"], "secret": data["SecretAccessKey"],
                       "token": data.get("Token"), "expires": expires.timestamp()}
        return self._creds

    def _url(self, bucket, key, query):
        quoted = urllib.parse.quote(key, safe="/-_.~")
        if self.endpoint:
            base, path = self.endpoint, f"/{bucket}/{quoted}"
        else:
            base, path = f"https://{bucket}.s3.{self.region}.amazonaws.com", f"/{quoted}"
        qs = "&".join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
                      for k, v in sorted(query.items()))
        return base, path, qs

    def signed(self, method, bucket, key="", query=None, body=b"", headers=None, now=None):
        """(url, headers) of a request signed with Signature Version 4."""
        query = query or {}
        base, path, qs = self._url(bucket, key, query)
        host = urllib.parse.urlparse(base).netloc
        creds = self.credentials()
        now = now or datetime.datetime.now(datetime.timezone.utc)
        stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        payload = hashlib.sha256(body).hexdigest()
        hdrs = {"host": host, "x-amz-date": stamp, "x-amz-content-sha256": payload}
        if creds.get("token"):
            hdrs["x-amz-security-token"] = creds["token"]
        for k, v in (headers or {}).items():
            hdrs[k.lower()] = v
        names = sorted(hdrs)
        canonical_request = "\n".join([method, path, qs] + [f"{n}:{hdrs[n].strip()}" for n in names]
                                      + ["", ";".join(names), payload])
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope,
                             hashlib.sha256(canonical_request.encode()).hexdigest()])
        k = ("AWS4" + creds["secret"]).encode()
        for part in (day, self.region, "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        hdrs["authorization"] = (f"AWS4-HMAC-SHA256 Credential={creds['key']}/{scope}, "
                                 f"SignedHeaders={';'.join(names)}, Signature={signature}")
        del hdrs["host"]
        return base + path + ("?" + qs if qs else ""), hdrs

    def request(self, method, bucket, key="", query=None, body=b"", headers=None):
        url, hdrs = self.signed(method, bucket, key, query, body, headers)
        request = urllib.request.Request(url, data=body if method in ("PUT", "POST") else None,
                                         method=method, headers=hdrs)
        for attempt in range(5):
            try:
                with urllib.request.urlopen(request, timeout=60) as fh:
                    return fh.status, fh.read(), dict(fh.headers)
            except urllib.error.HTTPError as exc:
                if exc.code >= 500 and attempt < 4:
                    time.sleep(2 ** attempt)
                    continue
                return exc.code, exc.read(), dict(exc.headers)
            except urllib.error.URLError as exc:
                if attempt == 4:
                    raise Failure(f"S3 {method} s3://{bucket}/{key}: {exc.reason}") from None
                time.sleep(2 ** attempt)

    def get(self, bucket, key):
        """The object's bytes, or None if there is none."""
        status, body, _ = self.request("GET", bucket, key)
        if status == 404:
            return None
        if status != 200:
            raise Failure(f"S3 GET s3://{bucket}/{key}: HTTP {status}: {body[:200]!r}")
        return body

    def head(self, bucket, key):
        status, _, headers = self.request("HEAD", bucket, key)
        return headers if status == 200 else None

    def put(self, bucket, key, body):
        # an explicit type: urllib would send form data's, which servers may parse away
        status, text, _ = self.request("PUT", bucket, key, body=body,
                                       headers={"content-type": "application/octet-stream"})
        if status != 200:
            raise Failure(f"S3 PUT s3://{bucket}/{key}: HTTP {status}: {text[:200]!r}")

    def copy(self, bucket, src, dst):
        source = "/" + bucket + "/" + urllib.parse.quote(src, safe="/-_.~")
        status, text, _ = self.request("PUT", bucket, dst, headers={"x-amz-copy-source": source})
        if status != 200:
            raise Failure(f"S3 copy s3://{bucket}/{src}: HTTP {status}: {text[:200]!r}")

    def list(self, bucket, prefix):
        """Every key under `prefix`, in order."""
        keys, token = [], None
        while True:
            query = {"list-type": "2", "prefix": prefix}
            if token:
                query["continuation-token"] = token
            status, body, _ = self.request("GET", bucket, "", query)
            if status != 200:
                raise Failure(f"S3 list s3://{bucket}/{prefix}: HTTP {status}: {body[:200]!r}")
            root = ET.fromstring(body)
            ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
            keys += [c.find(ns + "Key").text for c in root.findall(ns + "Contents")]
            truncated = root.find(ns + "IsTruncated")
            token_node = root.find(ns + "NextContinuationToken")
            if truncated is None or truncated.text != "true" or token_node is None:
                return keys
            token = token_node.text


# -- the task ----------------------------------------------------------------------------------
class Task:
    def __init__(self, spec, env, s3=None):
        self.spec = spec
        self.env = env
        bucket, _, prefix = spec["store"][len("s3://"):].partition("/")
        self.bucket = bucket
        self.root = (prefix.strip("/") + "/" if prefix.strip("/") else "") + spec["pipeline"] + "/"
        self.s3 = s3 or S3(spec["region"], env.get("MLC_S3_ENDPOINT"))
        self.run_id = env["MLC_RUN_ID"]
        self.run_prefix = f"{self.root}runs/{self.run_id}/"
        self.run = None
        self.item = None
        self.key = ""
        self.trial = None
        self.outputs_cache = {}
        self.data_dir = env.get("MLC_DATA_DIR") or "/mlc"

    def path(self, relative):
        """A path of the job's data directory (inputs/, outputs/, config.json, out/)."""
        return os.path.join(self.data_dir, relative)

    # values ------------------------------------------------------------------------------
    def read_json(self, key, what):
        body = self.s3.get(self.bucket, key)
        if body is None:
            raise Failure(f"{what} not found at s3://{self.bucket}/{key}")
        return json.loads(body.decode("utf-8"))

    def load(self):
        if self.spec.get("kind") != "run":
            self.run = self.read_json(self.run_prefix + "run.json", "the run's values")
        env = self.env
        if env.get("MLC_ITEM_INDEX"):
            items = self.read_json(f"{self.run_prefix}groups/{self.spec['group']}/items.json",
                                   "the items")
            entry = items[int(env["MLC_ITEM_INDEX"])]
            self.key, self.item = entry["key"], json.loads(entry["json"])
        elif env.get("MLC_ITEM_KEY") is not None and env.get("MLC_ITEM_JSON"):
            self.key, self.item = env["MLC_ITEM_KEY"], json.loads(env["MLC_ITEM_JSON"])
        if env.get("MLC_TRIAL_INDEX"):
            index = int(env["MLC_TRIAL_INDEX"])
            self.trial = {"index": index, "values": self.spec["trials"][index]}

    def step_prefix(self, step, key=None, trial=None):
        key = self.key if key is None else key
        out = f"{self.run_prefix}steps/{step}/"
        if key:
            out += f"items/{key}/"
        if trial is not None:
            out += f"trials/{trial}/"
        return out

    def producer_key(self, dims):
        return item_key(dims, self.item) if dims else ""

    def value(self, slot):
        kind, step, name, dims = slot
        if kind in ("param", "param_json"):
            return self.run["params"][name]
        if kind in ("foreach", "foreach_json"):
            return self.item[name]
        if kind in ("trial", "trial_value_json"):
            return self.trial["values"][name]
        if kind in ("run", "run_field_json"):
            return self.run["run"][name]
        if kind == "run_json":
            return self.run["run"]
        if kind == "item_json":
            return self.item or {}
        if kind == "trial_json":
            return self.trial
        if kind in ("output", "output_json"):
            ref = (step, name, tuple(dims))
            if ref not in self.outputs_cache:
                key = self.step_prefix(step, self.producer_key(dims)) + "outputs/" + name
                self.outputs_cache[ref] = self.read_json(key, f"output {step}.{name}")
            return self.outputs_cache[ref]
        if kind == "target":
            return "stepfunctions"
        if kind == "path":
            return self.path(name)
        raise Failure(f"unknown value kind {kind}")

    def text(self, pieces):
        return "".join(p if isinstance(p, str) else canonical(self.value(p)) for p in pieces)

    def resolve(self, node):
        if isinstance(node, dict):
            if SLOT in node:
                return self.value(node[SLOT])
            if TEXT in node:
                return self.text(node[TEXT])
            return {k: self.resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v) for v in node]
        return node

    # staging -----------------------------------------------------------------------------
    def download(self, prefix, path, directory):
        """An object or every object under `prefix/` to `path`; False if there is none."""
        if not directory:
            body = self.s3.get(self.bucket, prefix)
            if body is None:
                return False
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(body)
            return True
        keys = self.s3.list(self.bucket, prefix + "/")
        os.makedirs(path, exist_ok=True)
        for key in keys:
            target = os.path.join(path, key[len(prefix) + 1:])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(self.s3.get(self.bucket, key) or b"")
        return bool(keys)

    def stage_in(self, entry):
        path = self.path(entry["path"])
        if "collection" in entry:
            col = entry["collection"]
            if "partitions" in col:
                values = self.value(["output", col["producer"], "partitions", []])
                index = sorted(({"key": {col["partitions"]: v},
                                 "path": f"{col['partitions']}={enc(v)}"} for v in values),
                               key=lambda e: e["path"])
                base = self.step_prefix(col["producer"], "") + "outputs/" + col["output"]
                self.download(base, path, True)
            else:
                index = self.read_json(f"{self.run_prefix}groups/{col['group']}/index.json",
                                       "the collection's index")
                for e in index:
                    src = self.step_prefix(col["producer"], e["path"]) + "outputs/" + col["output"]
                    if not self.download(src, os.path.join(path, e["path"]), col["directory"]):
                        raise Failure(f"input {entry['name']}: item {e['path']} has no "
                                      f"output {col['output']}")
            os.makedirs(path, exist_ok=True)
            with open(os.path.join(path, "index.json"), "w", encoding="utf-8") as fh:
                json.dump(index, fh, indent=2)
            return
        key = self.step_prefix(entry["producer"], self.producer_key(entry.get("dims", [])))
        src = key + "outputs/" + entry["output"]
        if entry.get("partition"):
            src += "/" + self.key
        if not self.download(src, path, entry["directory"]):
            raise Failure(f"input {entry['name']}: nothing at s3://{self.bucket}/{src}")

    def upload(self, path, key):
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    full = os.path.join(root, name)
                    rel = os.path.relpath(full, path).replace(os.sep, "/")
                    with open(full, "rb") as fh:
                        self.s3.put(self.bucket, key + "/" + rel, fh.read())
        else:
            with open(path, "rb") as fh:
                self.s3.put(self.bucket, key, fh.read())

    # the cache (SPEC 6.7) ----------------------------------------------------------------
    def cache_key(self, material):
        digest = hashlib.sha256()
        digest.update(json.dumps({"material": material, "item": self.item, "trial": self.trial,
                                  "params": {p: self.run["params"][p]
                                             for p in self.spec.get("params", [])}},
                                 sort_keys=True, separators=(",", ":"),
                                 ensure_ascii=False).encode("utf-8"))
        for entry in self.spec.get("inputs", []):
            digest.update(b"\0" + entry["name"].encode() + b"\0" +
                          tree_digest(self.path(entry["path"])).encode())
        return digest.hexdigest()

    def cache_hit(self, key, prefix):
        marker = self.s3.head(self.bucket, f"{self.root}cache/{key}/done")
        if marker is None:
            return False
        max_age = self.spec["cache"].get("max_age")
        if max_age is not None:
            stamp = marker.get("Last-Modified") or marker.get("last-modified")
            written = datetime.datetime.strptime(stamp, "%a, %d %b %Y %H:%M:%S %Z")
            age = datetime.datetime.utcnow() - written
            if age.total_seconds() > max_age:
                return False
        for src in self.s3.list(self.bucket, f"{self.root}cache/{key}/outputs/"):
            self.s3.copy(self.bucket, src, prefix + src[len(f"{self.root}cache/{key}/"):])
        return True

    def cache_store(self, key, prefix):
        for src in self.s3.list(self.bucket, prefix + "outputs/"):
            self.s3.copy(self.bucket, src, f"{self.root}cache/{key}/" + src[len(prefix):])
        self.s3.put(self.bucket, f"{self.root}cache/{key}/done", b"")

    # running -----------------------------------------------------------------------------
    def environment(self):
        env = {k: v for k, v in self.env.items()
               if not k.startswith("MLC_") or k.startswith("MLC_SECRET_")}
        for name, value in self.spec.get("env", {}).items():
            env[name] = self.text(value)
        for name, value in self.spec.get("literal_env", {}).items():
            env[name] = value
        for name, value in self.spec.get("path_env", {}).items():
            env[name] = self.path(value)
        if self.spec.get("kind") == "run":
            args = json.loads(self.env.get("MLC_ARGS") or "{}")
            for name, value in args.items():
                env["MLC_ARG_" + name.upper()] = canonical(value)
            env["MLC_RUN_NAME"] = self.run_id
            env["MLC_CREATED"] = self.env["MLC_CREATED"]
        return env

    def command(self):
        command = self.spec["command"]
        if "module" in command:
            return [sys.executable, "-c", self.env[command["module"]]]
        if "shell" in command:
            return ["/bin/sh", "-c", self.text(command["shell"])]
        return [self.text(a) for a in command["argv"]]

    def execute(self):
        self.load()
        spec = self.spec
        prefix = self.step_prefix(spec["step"], trial=self.trial["index"] if self.trial else None)
        for entry in spec.get("inputs", []):
            self.stage_in(entry)
        cache_key = None
        if spec.get("cache"):
            cache_key = self.cache_key(spec["cache"]["material"])
            if self.cache_hit(cache_key, prefix):
                print(f"mlc: {spec['step']}: cache hit ({cache_key[:12]})", flush=True)
                return 0
        for out in spec.get("outputs", []):
            if out["directory"]:
                os.makedirs(self.path(out["path"]), exist_ok=True)
            else:
                os.makedirs(os.path.dirname(self.path(out["path"])), exist_ok=True)
        if spec.get("config") is not None:
            path = self.path(spec["config_path"])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                json.dump(self.resolve(spec["config"]), fh, indent=2, sort_keys=True)
        env = self.environment()
        if spec.get("kind") == "select":
            self.select_inputs(env)
        sys.stdout.flush()
        code = subprocess.call(self.command(), env=env)
        if code != 0 and not (spec.get("kind") == "decide" and code == 1):
            print(f"mlc: {spec['step']}: the command exited with {code}", file=sys.stderr)
            return code if 0 < code < 256 else 1
        for out in spec.get("outputs", []):
            if not os.path.exists(self.path(out["path"])):
                raise Failure(f"output {out['name']} was not written ({self.path(out['path'])})")
            self.upload(self.path(out["path"]), prefix + out["to"])
        if spec.get("gates") is not None:
            self.gates(prefix, env)
        if spec.get("kind") == "items":
            self.publish_items()
        if spec.get("kind") == "run":
            self.publish_run(env)
        if spec.get("kind") == "select":
            self.promote(prefix)
        if cache_key is not None:
            self.cache_store(cache_key, prefix)
        return code

    def gates(self, prefix, env):
        """The gate check after an evaluate step's command (runtime/gates.py)."""
        gates = self.spec["gates"]
        out = self.path(gates["out"])
        env = dict(env, MLC_GATES=json.dumps(self.resolve(gates["spec"])), MLC_OUT=out,
                   MLC_METRICS_PATH=self.path(gates["metrics"]), MLC_CONSUMED="true")
        code = subprocess.call([sys.executable, "-c", self.env["MLC_GATES_SCRIPT"]], env=env)
        if code != 0:
            raise Failure("the gate check failed")
        self.upload(os.path.join(out, "passed"), prefix + "outputs/passed")
        self.upload(os.path.join(out, "gates.json"), prefix + "gates.json")
        if self.env.get("MLC_ITEM_INDEX"):
            self.upload(os.path.join(out, "gates.json"),
                        self.step_prefix(self.spec["step"], "") + "at/" +
                        self.env["MLC_ITEM_INDEX"] + "/gates.json")

    def publish_items(self):
        out = self.path(self.spec["path_env"]["MLC_OUT"])
        base = f"{self.run_prefix}groups/{self.spec['group']}/"
        with open(os.path.join(out, "items"), encoding="utf-8") as fh:
            items = json.load(fh)
        self.s3.put(self.bucket, base + "items.json", json.dumps(items).encode("utf-8"))
        self.s3.put(self.bucket, base + "count", str(len(items)).encode())
        index = sorted(({"key": json.loads(e["json"]), "path": e["key"]} for e in items),
                       key=lambda e: e["path"])
        self.s3.put(self.bucket, base + "index.json", json.dumps(index, indent=2).encode("utf-8"))

    def publish_run(self, env):
        out = self.path(self.spec["path_env"]["MLC_OUT"])
        with open(os.path.join(out, "run-json"), encoding="utf-8") as fh:
            run = json.load(fh)
        params = {}
        for name in json.loads(env.get("MLC_PARAMS", "{}")):
            with open(os.path.join(out, "pj-" + name), encoding="utf-8") as fh:
                params[name] = json.load(fh)
        self.s3.put(self.bucket, self.run_prefix + "run.json",
                    json.dumps({"run": run, "params": params}, sort_keys=True).encode("utf-8"))

    def select_inputs(self, env):
        """MLC_RESULTS and MLC_TRIALS of runtime/select.py, from each trial's metrics."""
        sweep = self.spec["sweep"]
        results, trials = [], []
        for index, values in enumerate(sweep["trials"]):
            key = self.step_prefix(sweep["step"], trial=index) + "outputs/" + sweep["metrics"]
            results.append({"index": index, "metrics": self.read_json(key, f"trial {index}'s metrics")})
            trials.append({"index": str(index), "json": json.dumps({"index": index, "values": values})})
        # files, not environment strings: Linux refuses one over 128 KiB (MAX_ARG_STRLEN)
        os.makedirs(self.path("payloads"), exist_ok=True)
        for name, value in (("results", results), ("trials", trials)):
            path = self.path(f"payloads/{name}.json")
            with open(path, "w", encoding="utf-8") as fh:
                json.dump(value, fh)
            env[f"MLC_{name.upper()}_FILE"] = path

    def promote(self, prefix):
        """The best trial's outputs become the step's (S3 copies), with best_params, trials."""
        sweep = self.spec["sweep"]
        out = self.path(self.spec["path_env"]["MLC_OUT"])
        with open(os.path.join(out, "best"), encoding="utf-8") as fh:
            best = int(fh.read())
        src = self.step_prefix(sweep["step"], trial=best) + "outputs/"
        for key in self.s3.list(self.bucket, src):
            self.s3.copy(self.bucket, key, prefix + "outputs/" + key[len(src):])
        for name in ("best_params", "trials"):
            self.upload(os.path.join(out, name), prefix + "outputs/" + name)


def tree_digest(path):
    digest = hashlib.sha256()
    if os.path.isfile(path):
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(root, name)
            rel = os.path.relpath(full, path).replace(os.sep, "/")
            digest.update(rel.encode("utf-8") + b"\0" + tree_digest(full).encode() + b"\n")
    return digest.hexdigest()


def main():
    try:
        spec = json.loads(os.environ["MLC_TASK"])
        code = Task(spec, dict(os.environ)).execute()
    except Failure as exc:
        sys.exit(f"mlc: {exc}")
    sys.exit(code)


if __name__ == "__main__":
    main()
