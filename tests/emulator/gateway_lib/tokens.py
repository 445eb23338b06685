"""Opaque NextToken values for the paged CloudWatch operations the gateway answers.

A token carries where the previous page stopped plus a fingerprint of the request it
belongs to, so a token replayed with different parameters is refused instead of
silently paging through some other result.
"""

import base64
import hashlib
import json


def fingerprint(*request):
    """A short digest of the parameters that must not change between pages."""
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:16]


def encode(position, request_fingerprint):
    raw = json.dumps({"p": position, "q": request_fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode(token, request_fingerprint):
    """The position stored in `token`, or None when it is not one of ours for this request."""
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode()))
        if document["q"] == request_fingerprint:
            return document["p"]
    except (ValueError, TypeError, KeyError, AttributeError):
        pass
    return None
