"""Test-controlled state of the gateway: fault rules and the request log."""

import collections
import math
import threading

from .protocol import normalise_service

# Rules that alter GetMetricData answers instead of failing or delaying the request
# (applied by metric_data.py): partial_data answers only part of the datapoints,
# metric_value replaces every value of the matching series.
DATA_KINDS = ("partial_data", "metric_value")
# latency delays a request before it is handled; late_answer handles it, then holds
# the answer back: the service has done the work by the time a client that timed out
# gives up. A client timeout says nothing about whether the request was processed;
# AWS's answer for SNS is the FIFO topic's deduplication ID ("Message deduplication
# for FIFO topics", Amazon SNS Developer Guide: a message published again with the
# same ID within the 5-minute interval is accepted but not delivered again), which
# exists because a publisher that retries after such a timeout sends a copy.
DELAY_KINDS = ("latency", "late_answer")
FAULT_KINDS = ("throttle", "server_error", "access_denied") + DELAY_KINDS + DATA_KINDS
DATA_OPERATION = ("cloudwatch", "GetMetricData")
# JSON has no NaN or infinities; rules spell them as these strings.
SPECIAL_VALUES = ("NaN", "Infinity", "-Infinity")
REQUEST_LOG_LIMIT = 20_000  # a long demo run must not grow without bound


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []

    def add(self, spec):
        """Validates a fault rule from the control API; ValueError explains a bad one."""
        if not isinstance(spec, dict):
            raise ValueError("body must be a JSON object")
        service, kind = spec.get("service"), spec.get("kind")
        if not isinstance(service, str) or not service:
            raise ValueError("'service' must be a non-empty string")
        if kind not in FAULT_KINDS:
            raise ValueError(f"'kind' must be one of {', '.join(FAULT_KINDS)}")
        operation = spec.get("operation")
        if operation is not None and not isinstance(operation, str):
            raise ValueError("'operation' must be a string")
        count = spec.get("count")
        if count is not None and (not _is_int(count) or count < 1):
            raise ValueError("'count' must be a positive integer")
        account = spec.get("account")
        if account is not None and (not isinstance(account, str) or not account):
            raise ValueError("'account' must be a non-empty string (a 12-digit account ID)")
        rule = {
            "service": normalise_service(service), "operation": operation, "kind": kind, "remaining": count,
            # Only requests acting in this account (accounts.py) are affected: one failing
            # member account among several.
            "account": account,
        }
        if kind in DELAY_KINDS:
            latency = spec.get("latency_ms")
            if not _is_int(latency) or latency < 0:
                raise ValueError(f"'latency_ms' must be a non-negative integer for kind {kind}")
            rule["latency_ms"] = latency
        if kind == "server_error":
            status = spec.get("status", 500)
            if not _is_int(status) or not 500 <= status <= 599:
                raise ValueError("'status' must be an integer in 500..599")
            rule["status"] = status
        _add_data_fields(spec, rule)
        with self._lock:
            self._rules.append(rule)
        return dict(rule)

    def clear(self):
        with self._lock:
            self._rules.clear()

    def rules(self):
        with self._lock:
            return [dict(r) for r in self._rules]

    def take(self, service, operation, account=None):
        """(latency_ms, late_ms, failing rule or None) for one request, consuming rule counts.

        Delay rules of each kind add up; the first matching error rule fails the request
        and later error rules stay untouched, so `count` means "requests affected".
        """
        delays, failure = {"latency": 0, "late_answer": 0}, None
        with self._lock:
            for rule in self._rules:
                if rule["service"] != service or rule["operation"] not in (None, operation):
                    continue
                if rule.get("account") not in (None, account):
                    continue
                if rule["kind"] in DATA_KINDS:
                    continue  # see take_data
                if rule["kind"] not in DELAY_KINDS and failure is not None:
                    continue
                if rule["remaining"] is not None:
                    rule["remaining"] -= 1
                if rule["kind"] in DELAY_KINDS:
                    delays[rule["kind"]] += rule["latency_ms"]
                else:
                    failure = dict(rule)
            self._rules = [r for r in self._rules if r["remaining"] is None or r["remaining"] > 0]
        return delays["latency"], delays["late_answer"], failure

    def take_data(self, service, operation, applies):
        """The data rules for one request, consuming their counts.

        `applies(rule)` says whether the request touches the rule's series; a rule counts
        only the requests it changes.
        """
        taken = []
        with self._lock:
            for rule in self._rules:
                if rule["kind"] not in DATA_KINDS or (rule["service"], rule["operation"]) != (service, operation):
                    continue
                if not applies(rule):
                    continue
                if rule["remaining"] is not None:
                    rule["remaining"] -= 1
                taken.append(dict(rule))
            self._rules = [r for r in self._rules if r["remaining"] is None or r["remaining"] > 0]
        return taken


def _add_data_fields(spec, rule):
    """Validates and copies the fields of partial_data and metric_value rules."""
    matchers = ("metric_name", "dimension_value")
    if rule["kind"] not in DATA_KINDS:
        for key in matchers + ("next_token", "value"):
            if key in spec:
                raise ValueError(f"'{key}' applies only to kinds {', '.join(DATA_KINDS)}")
        return
    if (rule["service"], rule["operation"] or DATA_OPERATION[1]) != DATA_OPERATION:
        raise ValueError(f"kind {rule['kind']} applies only to cloudwatch GetMetricData")
    rule["operation"] = DATA_OPERATION[1]
    for key in matchers:
        value = spec.get(key)
        if value is not None and (not isinstance(value, str) or not value):
            raise ValueError(f"'{key}' must be a non-empty string")
        rule[key] = value
    if rule["kind"] == "partial_data":
        next_token = spec.get("next_token", False)
        if not isinstance(next_token, bool):
            raise ValueError("'next_token' must be true or false")
        rule["next_token"] = next_token
    else:
        value = spec.get("value")
        finite = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not finite and value not in SPECIAL_VALUES:
            raise ValueError(f"'value' must be a finite number or one of {', '.join(SPECIAL_VALUES)}")
        rule["value"] = value


class RequestLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries = collections.deque(maxlen=REQUEST_LOG_LIMIT)

    def append(self, service, operation, region, t, status):
        with self._lock:
            self._entries.append(
                {"service": service, "operation": operation, "region": region, "t": t, "status": status}
            )

    def clear(self):
        with self._lock:
            self._entries.clear()

    def entries(self, service=None, operation=None):
        service = normalise_service(service) if service else None
        with self._lock:
            return [
                dict(e) for e in self._entries
                if (service is None or e["service"] == service)
                and (operation is None or e["operation"] == operation)
            ]


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)
