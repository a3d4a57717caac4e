"""The AWS calls a moto_server receives, as IAM would see them: one JSON line per distinct call.

With MOTO_CALL_LOG_DIR set, the launcher (moto_server.py) appends to <dir>/calls-<pid>.jsonl, for
every signed request, who made it (the access key id of its SigV4 signature, or of a presigned
URL's X-Amz-Credential), the service and action, and the request fields IAM authorizes on: table,
index and partition key values (dynamodb:LeadingKeys), queue URL, bucket and object key, KMS key,
SES source, recipients and configuration set, Secrets Manager secret id. Nothing else of a request is kept, and a line already written is not
written again, so the log stays small however many calls a test suite makes.

Reading a request is protocol knowledge only (X-Amz-Target and a JSON body, an Action= form, or an
S3 method and path): what the code under test meant to do is never consulted.
"""
import io
import json
import os
import re
import threading
import time
from urllib.parse import parse_qs, unquote

# "<key id>/<yyyymmdd>/<region>/<service>/aws4_request", in an Authorization header or a presigned URL.
_CREDENTIAL = re.compile(r"([^/,\s=]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_JSON_FIELDS = ("TableName", "IndexName", "QueueUrl", "KeyId", "SecretId")
_FORM_FIELDS = ("Source", "ConfigurationSetName", "QueueUrl", "KeyId")
_RECIPIENTS = ("ToAddresses", "CcAddresses", "BccAddresses")
_TRANSACT_KINDS = ("Put", "Update", "Delete", "ConditionCheck", "Get")


def _scalar(value):
    """An AttributeValue's scalar as a string ({"S": "a"} -> "a", {"N": "1"} -> "1")."""
    if isinstance(value, dict) and len(value) == 1:
        inner = next(iter(value.values()))
        if isinstance(inner, str):
            return inner
    return None


def _hash_key(key_schema):
    return next((k.get("AttributeName") for k in key_schema or [] if k.get("KeyType") == "HASH"), None)


class _Schemas:
    """Partition key names of the tables and indexes, learnt from the CreateTable and UpdateTable requests seen.

    Learnt from requests rather than read from moto's state, so a call to a table deleted since (or
    never created) still names its partition key as its table had it.
    """

    def __init__(self):
        self._keys = {}  # (region, table) -> {None: table's partition key, index name: index's}

    def learn(self, region, action, data):
        name = data.get("TableName")
        if action == "CreateTable" and isinstance(name, str):
            keys = {None: _hash_key(data.get("KeySchema"))}
            for index in (data.get("GlobalSecondaryIndexes") or []) + (data.get("LocalSecondaryIndexes") or []):
                keys[index.get("IndexName")] = _hash_key(index.get("KeySchema"))
            self._keys[(region, name)] = keys
        elif action == "UpdateTable" and isinstance(name, str):
            for update in data.get("GlobalSecondaryIndexUpdates") or []:
                create = update.get("Create") or {}
                if create.get("IndexName"):
                    self._keys.setdefault((region, name), {})[create["IndexName"]] = _hash_key(create.get("KeySchema"))

    def partition_key(self, region, table_name, index_name=None):
        return self._keys.get((region, table_name), {}).get(index_name or None)


def _query_leading_key(data, key_name):
    """The value a Query's KeyConditionExpression gives the partition key (`pk = :v` or `#n = :v`)."""
    names = data.get("ExpressionAttributeNames") or {}
    values = data.get("ExpressionAttributeValues") or {}
    for attr, placeholder in re.findall(r"(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)", data.get("KeyConditionExpression", "")):
        if names.get(attr, attr) == key_name:
            return _scalar(values.get(placeholder))
    return None


def _dynamodb_params(region, action, data, schemas):
    schemas.learn(region, action, data)
    params = {f: data[f] for f in _JSON_FIELDS if isinstance(data.get(f), str)}

    def leading_keys(op, table_name):
        key_name = schemas.partition_key(region, table_name)
        item = op.get("Key") or op.get("Item") or {}
        value = _scalar(item.get(key_name)) if key_name else None
        return [value] if value is not None else []

    if action in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        params["LeadingKeys"] = leading_keys(data, data.get("TableName"))
    elif action == "Query":
        key_name = schemas.partition_key(region, data.get("TableName"), data.get("IndexName"))
        value = _query_leading_key(data, key_name) if key_name else None
        params["LeadingKeys"] = [value] if value is not None else []
    elif action in ("TransactWriteItems", "TransactGetItems"):
        items = []
        for entry in data.get("TransactItems") or []:
            for kind, op in entry.items():
                if kind in _TRANSACT_KINDS and isinstance(op, dict):
                    table_name = op.get("TableName")
                    items.append({kind: {"TableName": table_name, "LeadingKeys": leading_keys(op, table_name)}})
        params["TransactItems"] = items
    elif action in ("BatchWriteItem", "BatchGetItem"):
        request_items = data.get("RequestItems") or {}
        params["RequestItems"] = sorted(request_items.keys())
        # Per table, the partition key values of its items (a batch is authorized table by table).
        batch_keys = {}
        for table_name, entry in request_items.items():
            ops = entry.get("Keys") or [] if isinstance(entry, dict) else []
            if isinstance(entry, list):  # BatchWriteItem: [{"PutRequest": {"Item"}}, {"DeleteRequest": {"Key"}}]
                ops = [(w.get("PutRequest") or {}).get("Item") or (w.get("DeleteRequest") or {}).get("Key") or {} for w in entry]
            values = set()
            for key in ops:
                values.update(leading_keys({"Key": key}, table_name))
            batch_keys[table_name] = sorted(values)
        params["BatchLeadingKeys"] = batch_keys
    return params


def _form_params(form):
    params = {f: form[f][0] for f in _FORM_FIELDS if f in form}
    destination = {}
    for kind in _RECIPIENTS:
        prefix = f"Destination.{kind}.member."
        members = sorted((int(k[len(prefix) :]), v[0]) for k, v in form.items() if k.startswith(prefix) and k[len(prefix) :].isdigit())
        if members:
            destination[kind] = [v for _, v in members]
    if destination:
        params["Destination"] = destination
    return params


def _s3_call(method, path, query, headers):
    """An S3 path-style request's action (the SDK names it in `x-id` when it can) and its bucket and key (`path` decoded)."""
    bucket, _, key = path.lstrip("/").partition("/")
    subresources = sorted(k for k in query if not k.lower().startswith("x-amz-") and k != "x-id")
    action = query.get("x-id", [None])[0]
    if not action and key:
        if method == "PUT":
            action = "CopyObject" if "x-amz-copy-source" in headers else "PutObject"
        else:
            action = {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(method)
    if not action and not key:
        if method == "GET" and query.get("list-type", [None])[0] == "2":
            action = "ListObjectsV2"
        elif not subresources:
            action = {"GET": "ListObjects", "PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket"}.get(method)
    params = {"Bucket": bucket}
    if key:
        params["Key"] = key
    if action == "CopyObject":
        # IAM's s3:x-amz-copy-source (bucket/key, as sent) and s3:x-amz-metadata-directive.
        params["CopySource"] = unquote(headers.get("x-amz-copy-source", "")).lstrip("/")
        params["MetadataDirective"] = headers.get("x-amz-metadata-directive", "COPY")
    if not action:
        action = f"{method} /{bucket}{'/<key>' if key else ''}{'?' + '&'.join(subresources) if subresources else ''}"
    return action, params


def _signer(headers, query):
    """(access key id, region, service) of a SigV4-signed request or presigned URL, or None."""
    found = _CREDENTIAL.search(headers.get("authorization", "")) or _CREDENTIAL.search(query.get("X-Amz-Credential", [""])[0])
    return found.groups() if found else None


def describe(method, path, query_string, headers, body, schemas):
    """The call as IAM sees it, or None for a request that is not a signed AWS call (moto-api, JWKS, health)."""
    query = parse_qs(query_string, keep_blank_values=True)
    signer = _signer(headers, query)
    if not signer:
        return None
    key, region, service = signer
    target = headers.get("x-amz-target")
    content_type = headers.get("content-type", "")
    if target:
        action = target.rsplit(".", 1)[-1]
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if service == "dynamodb":
            params = _dynamodb_params(region, action, data, schemas)
        elif service == "events" and action == "PutEvents":
            # PutEvents is authorized once per bus its entries name (no name: the account's default bus).
            entries = data.get("Entries") if isinstance(data.get("Entries"), list) else []
            buses = {e.get("EventBusName") or "default" for e in entries if isinstance(e, dict)}
            params = {"EventBusNames": sorted(str(b) for b in buses)}
        else:
            params = {f: data[f] for f in _JSON_FIELDS if isinstance(data.get(f), str)}
    elif content_type.startswith("application/x-www-form-urlencoded") and body:
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        action = form.get("Action", [f"{method} {path}"])[0]
        params = _form_params(form)
    elif service == "s3":
        action, params = _s3_call(method, path, query, headers)
    else:
        action, params = f"{method} {path}", {}
    return {"key": key, "region": region, "service": service, "action": action, "params": params}


def _wants_body(headers):
    return bool(headers.get("x-amz-target")) or headers.get("content-type", "").startswith("application/x-www-form-urlencoded")


class CallLog:
    """Appends each distinct call to <directory>/calls-<pid>.jsonl (line-buffered: readable while moto runs)."""

    def __init__(self, directory):
        os.makedirs(directory, exist_ok=True)
        self._file = open(os.path.join(directory, f"calls-{os.getpid()}.jsonl"), "a", buffering=1, encoding="utf-8")
        self._seen = set()
        self._lock = threading.Lock()
        self._schemas = _Schemas()

    def record(self, method, path, query_string, headers, body):
        try:
            call = describe(method, path, query_string, headers, body, self._schemas)
        except Exception as e:  # logged as unreadable (the check fails on it), never dropped
            signer = _signer(headers, parse_qs(query_string, keep_blank_values=True))
            if not signer:
                return
            key, region, service = signer
            call = {"key": key, "region": region, "service": service, "action": f"{method} {path}", "params": {}, "error": repr(e)}
        if call is None:
            return
        line = json.dumps(call, sort_keys=True)
        with self._lock:
            if line in self._seen:
                return
            self._seen.add(line)
            self._file.write(json.dumps({**call, "t": int(time.time() * 1000)}, sort_keys=True) + "\n")

    def record_environ(self, environ):
        """Records a WSGI request; a body it reads is put back for moto."""
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        body = None
        if _wants_body(headers):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
        path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")  # WSGI hands the decoded bytes as latin-1
        self.record(environ.get("REQUEST_METHOD", "GET"), path, environ.get("QUERY_STRING", ""), headers, body)

    def record_envelope(self, envelope):
        """Records a call described by a proxy that answered it itself (an injected fault): {method, path, headers, body}."""
        raw_path, _, query_string = envelope.get("path", "/").partition("?")
        headers = {k.lower(): v for k, v in (envelope.get("headers") or {}).items()}
        body = envelope.get("body")
        body = body.encode("utf-8") if isinstance(body, str) else None
        self.record(envelope.get("method", "GET"), unquote(raw_path), query_string, headers, body)
