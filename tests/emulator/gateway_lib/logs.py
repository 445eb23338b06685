"""CloudWatch Logs FilterLogEvents paging as AWS documents it, on top of moto.

AWS, FilterLogEvents (API reference): "By default, this operation returns as
many log events as can fit in 1 MB (up to 10,000 log events) ... This
operation can return empty results while there are more log events
available through the token." moto pages by event count only and never
answers an empty page with a token, so a reader that stops at the first
empty page, or that assumes a page holds every event of its window, would
pass against moto and lose records against AWS. The gateway therefore:

- answers the first request of every query (no nextToken) with an empty
  page and a token of its own, which it resolves by asking moto the
  original query;
- cuts a page moto answers at 1 MB of event messages (at least one event),
  with a moto token for the last event kept, so the rest follows.
"""

import base64
import json

EMPTY_TOKEN = "emulator-empty:"
PAGE_BYTES = 1_048_576


def filter_log_events(forward, req):
    """(status, headers, body) for one FilterLogEvents request."""
    try:
        params = json.loads(req.body) if req.body.strip() else {}
    except ValueError:
        return forward(req.method, req.path, req.headers, req.body)
    token = params.get("nextToken")
    if not token:
        resume = dict(params, nextToken=EMPTY_TOKEN + base64.urlsafe_b64encode(b"start").decode())
        document = {"events": [], "searchedLogStreams": [], "nextToken": resume["nextToken"]}
        return 200, [("content-type", "application/x-amz-json-1.1")], json.dumps(document).encode()
    if token.startswith(EMPTY_TOKEN):
        params.pop("nextToken")
    status, headers, body = forward(req.method, req.path, req.headers, json.dumps(params).encode())
    if status != 200:
        return status, headers, body
    document = json.loads(body)
    kept, size = [], 0
    for event in document.get("events", []):
        size += len(event.get("message", "").encode())
        if kept and size > PAGE_BYTES:
            last = kept[-1]
            group = params.get("logGroupName", "")
            document["nextToken"] = f"{group}@{last['logStreamName']}@{last['eventId']}"
            break
        kept.append(event)
    document["events"] = kept
    return status, headers, json.dumps(document).encode()
