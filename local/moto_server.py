"""moto_server, with DynamoDB requests handled one at a time.

Real DynamoDB applies each conditional write and each transaction atomically. moto's threaded
server does not: two concurrent conditional updates can both pass their condition, and a failed
TransactWriteItems rolls back by restoring a copy of the whole table taken when it started,
losing writes other requests made meanwhile. Serializing the DynamoDB requests (and only them:
SQS long polls must stay concurrent) restores the guarantees the pipeline relies on.

Serialized, a transaction no longer needs moto's whole-table copy (7 ms on an empty table, about
390 ms at 1,600 items, on every call): it saves the items it names and, if it fails, puts exactly
those back.

It also serves `GET /_local/ses/messages?from=N`: the SES messages sent so far from the N-th on, so
the local inbox reads only new mail instead of moto's whole state dump (/moto-api/data.json).

SendEmail with a ConfigurationSetName: moto ignores the set (and publishes none of its events).
Here, as SES does, a send naming a set that does not exist is refused (ConfigurationSetDoesNotExist),
and each message keeps the set and the message tags it was sent with, which /_local/ses/messages
returns, so the local pipeline can publish the set's events in SES's stead (local/ses-events.ts).

With MOTO_CALL_LOG_DIR set, it logs every AWS call as IAM would see it (moto_call_log.py), and
`POST /_local/calls` logs a call a proxy in front of it answered itself (an injected fault).

Usage: python3 local/moto_server.py HOST PORT
"""
import copy
import json
import os
import signal
import sys
import threading
from urllib.parse import parse_qs

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.ses.exceptions import ConfigurationSetDoesNotExist
from moto.ses.models import Message
from moto.ses.responses import EmailResponse
from werkzeug.serving import run_simple

from moto_call_log import CallLog


class _NoTableCopy:
    """The `copy` module as moto's DynamoDB backend sees it, except that a Table is not deep-copied."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _key_of(table, op_type, op):
    if op_type != "Put":
        return op["Key"]
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


def _transact_write_items_undoing_items(original):
    """TransactWriteItems that, on failure, restores the items it names rather than whole tables.

    Correct only while DynamoDB requests run one at a time (see main): nothing else can write
    between the snapshot and the undo.
    """

    def transact_write_items(self, transact_items):
        saved = []
        for entry in transact_items:
            try:
                op_type, op = next(iter(entry.items()))
                table = self.tables[op["TableName"]]
                key = _key_of(table, op_type, op)
                item = self.get_item(op["TableName"], key)
                saved.append((op["TableName"], key, None if item is None else item.to_json()["Attributes"]))
            except Exception:  # a malformed operation: moto reports it, and it changes nothing
                continue
        try:
            return original(self, transact_items)
        except Exception:
            # Newest first, so an item named twice ends as it was before the transaction.
            for table_name, key, attributes in reversed(saved):
                if self.get_item(table_name, key) is not None:
                    self.delete_item(table_name, key)
                if attributes is not None:
                    self.put_item(table_name, attributes)
            raise

    return transact_write_items


# Message id -> the configuration set and the message tags it was sent with.
_sent_with = {}
_send_lock = threading.Lock()


def _send_email_with_configuration_set(original):
    """SendEmail that refuses an unknown configuration set and remembers the set and tags of each message."""

    def send_email(self):
        name = self._get_param("ConfigurationSetName")
        if name and name not in self.backend.config_sets:
            raise ConfigurationSetDoesNotExist(f"Configuration set <{name}> does not exist.")
        tags = {t["Name"]: t["Value"] for t in (self._get_param("Tags") or [])}
        with _send_lock:
            result = original(self)
            _sent_with[result.result["MessageId"]] = {"configurationSet": name, "tags": tags}
        return result

    return send_email


def _ses_messages(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    start = max(0, int(query.get("from", ["0"])[0]))
    messages = [
        {
            "id": m.id,
            "source": m.source,
            "destinations": m.destinations,
            "subject": m.subject,
            "body": m.body,
            **_sent_with.get(m.id, {"configurationSet": None, "tags": {}}),
        }
        for m in Message.instances_tracked[start:]
    ]
    body = json.dumps({"total": len(Message.instances_tracked), "messages": messages}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _record_only(call_log, environ, start_response):
    """Logs a call described as {method, path, headers, body} without making it; 204, or 404 when no log is kept."""
    if call_log is None:
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    call_log.record_envelope(json.loads(environ["wsgi.input"].read(length) or b"{}"))
    start_response("204 No Content", [])
    return [b""]


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    # MOTO_WHOLE_TABLE_ROLLBACK=1 keeps moto's own rollback: only the bench sets it, as its baseline.
    if os.environ.get("MOTO_WHOLE_TABLE_ROLLBACK") != "1":
        dynamodb_models.copy = _NoTableCopy()
        DynamoDBBackend.transact_write_items = _transact_write_items_undoing_items(DynamoDBBackend.transact_write_items)
    EmailResponse.send_email = _send_email_with_configuration_set(EmailResponse.send_email)
    app = DomainDispatcherApplication(create_backend_app)
    dynamodb = threading.Lock()
    call_log = CallLog(os.environ["MOTO_CALL_LOG_DIR"]) if os.environ.get("MOTO_CALL_LOG_DIR") else None

    def serialized(environ, start_response):
        if environ.get("PATH_INFO") == "/_local/ses/messages":
            return _ses_messages(environ, start_response)
        if environ.get("PATH_INFO") == "/_local/calls" and environ.get("REQUEST_METHOD") == "POST":
            return _record_only(call_log, environ, start_response)
        if call_log:
            call_log.record_environ(environ)
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with dynamodb:
                return [b"".join(app(environ, start_response))]
        return app(environ, start_response)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(0))
    run_simple(host, port, serialized, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
