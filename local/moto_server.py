"""moto_server, with DynamoDB requests handled one at a time.

Real DynamoDB applies each conditional write and each transaction atomically. moto's threaded
server does not: two concurrent conditional updates can both pass their condition, and a failed
TransactWriteItems rolls back by restoring a copy of the whole table taken when it started,
losing writes other requests made meanwhile. Serializing the DynamoDB requests (and only them:
SQS long polls must stay concurrent) restores the guarantees the pipeline relies on.

Usage: python3 local/moto_server.py HOST PORT
"""
import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    dynamodb = threading.Lock()

    def serialized(environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with dynamodb:
                return [b"".join(app(environ, start_response))]
        return app(environ, start_response)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(0))
    run_simple(host, port, serialized, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
