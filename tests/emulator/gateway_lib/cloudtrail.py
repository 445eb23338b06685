"""CloudTrail event history with a faithful LookupEvents (moto has none).

Behaviour copied from the real API because the monitor's poller is built around it:
newest-first pages of at most 50, one lookup attribute, inclusive time range, opaque
NextToken, and 2 requests per second per account per region.

Event history is an account's, per region (API_LookupEvents: "You can look up events
that occurred in a Region within the last 90 days"; "The rate of lookup requests is
limited to two per second, per account, per Region. If this limit is exceeded, a
throttling error occurs."). Events are seeded into one account (default: moto's
default account) and a request sees, and is throttled within, the account its
credentials act in (accounts.py).
"""

import base64
import collections
import datetime
import hashlib
import json
import threading
from dataclasses import dataclass

LOOKUP_KEYS = {
    "EventId", "EventName", "Username", "ResourceType", "ResourceName",
    "EventSource", "AccessKeyId", "ReadOnly",
}
MAX_PAGE = 50
RATE_LIMIT = 2  # accepted LookupEvents per account and region ...
RATE_WINDOW = 1.0  # ... within any window of this many seconds


class CloudTrailError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class StoredEvent:
    event_id: str
    event_time: float  # epoch seconds
    region: str
    event_name: str
    event_source: str
    username: str
    access_key_id: str
    read_only: object  # "true" / "false" / None when the record has no readOnly
    resources: tuple  # ((ResourceType, ResourceName), ...)
    raw: str  # the record as a JSON string, like CloudTrailEvent

    @property
    def sort_key(self):
        # Newest first; EventId only makes equal timestamps come out in a stable order.
        return (-self.event_time, self.event_id)

    def matches(self, key, value):
        if key == "EventId":
            return self.event_id == value
        if key == "EventName":
            return self.event_name == value
        if key == "Username":
            return self.username == value
        if key == "EventSource":
            return self.event_source == value
        if key == "AccessKeyId":
            return self.access_key_id == value
        if key == "ReadOnly":
            return self.read_only == value.lower()
        if key == "ResourceType":
            return any(rtype == value for rtype, _ in self.resources)
        if key == "ResourceName":
            return any(rname == value for _, rname in self.resources)
        return False

    def to_api(self):
        event = {
            "EventId": self.event_id,
            "EventName": self.event_name,
            "EventTime": self.event_time,
            "EventSource": self.event_source,
            "Resources": [{"ResourceType": t, "ResourceName": n} for t, n in self.resources],
            "CloudTrailEvent": self.raw,
        }
        for field, value in (("Username", self.username), ("AccessKeyId", self.access_key_id),
                             ("ReadOnly", self.read_only)):
            if value:
                event[field] = value
        return event


def parse_record(record):
    """StoredEvent from a raw trail record; ValueError says what is missing."""
    if not isinstance(record, dict):
        raise ValueError("each event must be a JSON object")
    for field in ("eventID", "eventTime", "awsRegion"):
        if not isinstance(record.get(field), str) or not record[field]:
            raise ValueError(f"event is missing string field {field!r}")
    try:
        when = datetime.datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00"))
    except ValueError as err:
        raise ValueError(f"bad eventTime {record['eventTime']!r}: {err}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    identity = record.get("userIdentity") or {}
    read_only = record.get("readOnly")
    if isinstance(read_only, bool):
        read_only = "true" if read_only else "false"
    elif isinstance(read_only, str):
        read_only = read_only.lower()
    else:
        read_only = None
    resources = tuple(
        (str(r.get("type", "")), str(r.get("ARN", r.get("arn", ""))))
        for r in record.get("resources") or [] if isinstance(r, dict)
    )
    return StoredEvent(
        event_id=record["eventID"],
        event_time=when.timestamp(),
        region=record["awsRegion"],
        event_name=str(record.get("eventName", "")),
        event_source=str(record.get("eventSource", "")),
        username=_username(identity),
        access_key_id=str(identity.get("accessKeyId", "")),
        read_only=read_only,
        resources=resources,
        raw=json.dumps(record, separators=(",", ":")),
    )


def _username(identity):
    if identity.get("userName"):
        return str(identity["userName"])
    arn = str(identity.get("arn", ""))
    if identity.get("type") == "AssumedRole" or ":assumed-role/" in arn:
        # arn:aws:sts::123456789012:assumed-role/RoleName/session-name
        return arn.rsplit("/", 1)[-1]
    return str(identity.get("principalId", ""))


class CloudTrailStore:
    def __init__(self):
        self._lock = threading.Lock()
        self._events = {}  # (account, region) -> {event_id: StoredEvent}
        self._accepted = collections.defaultdict(collections.deque)  # (account, region) -> accept times

    def reset(self):
        with self._lock:
            self._events.clear()
            self._accepted.clear()

    def seed(self, account, records):
        parsed = [parse_record(r) for r in records]  # all or nothing
        with self._lock:
            for event in parsed:
                self._events.setdefault((account, event.region), {})[event.event_id] = event
        return len(parsed)

    def admit(self, account, region, clock):
        """(accepted, t): applies the 2 TPS limit. `t` is read under the lock so the
        request log shows exactly the instants the limiter decided on."""
        with self._lock:
            now = clock()
            window = self._accepted[(account, region)]
            while window and window[0] <= now - RATE_WINDOW:
                window.popleft()
            if len(window) >= RATE_LIMIT:
                return False, now
            window.append(now)
            return True, now

    def lookup(self, account, region, params):
        """The LookupEvents response document; raises CloudTrailError."""
        if not isinstance(params, dict):
            raise CloudTrailError("ValidationException", "The request body must be a JSON object.")
        attribute = _lookup_attribute(params.get("LookupAttributes"))
        start, end = _number(params, "StartTime"), _number(params, "EndTime")
        if start is not None and end is not None and start > end:
            raise CloudTrailError("InvalidTimeRangeException", "Start time must be before end time.")
        limit = params.get("MaxResults", MAX_PAGE)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise CloudTrailError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
        fingerprint = _fingerprint(region, attribute, start, end, params.get("EventCategory"))
        after = _decode_token(params.get("NextToken"), fingerprint)

        with self._lock:
            events = list(self._events.get((account, region), {}).values())
        if params.get("EventCategory") == "insight":
            events = []  # the emulator records no Insights events
        selected = sorted(
            (e for e in events
             if (start is None or e.event_time >= start)
             and (end is None or e.event_time <= end)
             and (attribute is None or e.matches(*attribute))
             and (after is None or e.sort_key > after)),
            key=lambda e: e.sort_key,
        )
        page = selected[:limit]
        response = {"Events": [e.to_api() for e in page]}
        if len(selected) > limit:
            # Resuming after a position (not an offset) keeps pages exact even when
            # late events arrive between two calls.
            response["NextToken"] = _encode_token(page[-1].sort_key, fingerprint)
        return response


def _lookup_attribute(attributes):
    if attributes is None or attributes == []:
        return None
    if not isinstance(attributes, list):
        raise CloudTrailError("InvalidLookupAttributesException", "LookupAttributes must be a list.")
    if len(attributes) > 1:
        raise CloudTrailError("InvalidLookupAttributesException",
                              "You cannot specify more than one lookup attribute.")
    item = attributes[0] if isinstance(attributes[0], dict) else {}
    key, value = item.get("AttributeKey"), item.get("AttributeValue")
    if key not in LOOKUP_KEYS:
        raise CloudTrailError("InvalidLookupAttributesException", f"Unsupported AttributeKey {key!r}.")
    if not isinstance(value, str) or not value:
        raise CloudTrailError("InvalidLookupAttributesException", "AttributeValue must be a non-empty string.")
    return key, value


def _number(params, name):
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CloudTrailError("ValidationException", f"{name} must be a timestamp in epoch seconds.")
    return float(value)


def _fingerprint(*query):
    return hashlib.sha256(json.dumps(query).encode()).hexdigest()[:16]


def _encode_token(sort_key, fingerprint):
    raw = json.dumps({"k": list(sort_key), "q": fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_token(token, fingerprint):
    if token is None:
        return None
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode()))
        neg_time, event_id = doc["k"]
        key = (float(neg_time), str(event_id))
        valid = doc["q"] == fingerprint
    except (ValueError, TypeError, KeyError, AttributeError):
        valid = False
    if not valid:
        raise CloudTrailError("InvalidNextTokenException",
                              "A token that is not valid, or was used with different parameters.")
    return key
