"""The loop of a ``SiteProcess``: one JSON message a line in, one answer a line out."""

import json
import os
import sys
import traceback

import django


def main():
    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's settings (ALLOWED_HOSTS, …)
    namespace = {}
    out = sys.stdout
    sys.stdout = sys.stderr  # prints from the code under test stay off the pipe
    for line in sys.stdin:
        message = json.loads(line)
        try:
            result = handle(message, namespace, Client)
            answer = {"result": result}
        except Exception:
            answer = {"error": traceback.format_exc()}
        out.write(json.dumps(answer) + "\n")
        out.flush()


def handle(message, namespace, Client):
    op = message["op"]
    if op == "pid":
        return os.getpid()
    if op == "request":
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in message["headers"].items()}
        client = Client()
        if message["method"] == "get":
            response = client.get(message["path"], **headers)
        elif message.get("json"):
            response = client.post(
                message["path"],
                json.dumps(message["data"]),
                content_type="application/json",
                **headers,
            )
        else:
            response = client.post(message["path"], message["data"], **headers)
        return {
            "status": response.status_code,
            "location": response.get("Location", ""),
            "body": response.content.decode("utf-8", "replace"),
        }
    if op == "run":
        # One namespace for the life of the process: what a snippet defines (the
        # setup's helpers) is there for the next ones.
        namespace.pop("result", None)
        namespace.update(message["names"])
        exec(message["code"], namespace)
        return namespace.get("result")
    raise ValueError(f"unknown op {op!r}")


if __name__ == "__main__":
    main()
