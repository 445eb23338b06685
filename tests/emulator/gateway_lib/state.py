"""Test-controlled state of the gateway: fault rules and the request log."""

import collections
import threading

from .protocol import normalise_service

FAULT_KINDS = ("throttle", "server_error", "latency")
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
        rule = {"service": normalise_service(service), "operation": operation, "kind": kind, "remaining": count}
        if kind == "latency":
            latency = spec.get("latency_ms")
            if not _is_int(latency) or latency < 0:
                raise ValueError("'latency_ms' must be a non-negative integer for kind latency")
            rule["latency_ms"] = latency
        if kind == "server_error":
            status = spec.get("status", 500)
            if not _is_int(status) or not 500 <= status <= 599:
                raise ValueError("'status' must be an integer in 500..599")
            rule["status"] = status
        with self._lock:
            self._rules.append(rule)
        return dict(rule)

    def clear(self):
        with self._lock:
            self._rules.clear()

    def rules(self):
        with self._lock:
            return [dict(r) for r in self._rules]

    def take(self, service, operation):
        """(latency_ms, failing rule or None) for one request, consuming rule counts.

        Latency rules add up; the first matching error rule fails the request and later
        error rules stay untouched, so `count` means "requests affected".
        """
        latency, failure = 0, None
        with self._lock:
            for rule in self._rules:
                if rule["service"] != service or rule["operation"] not in (None, operation):
                    continue
                if rule["kind"] != "latency" and failure is not None:
                    continue
                if rule["remaining"] is not None:
                    rule["remaining"] -= 1
                if rule["kind"] == "latency":
                    latency += rule["latency_ms"]
                else:
                    failure = dict(rule)
            self._rules = [r for r in self._rules if r["remaining"] is None or r["remaining"] > 0]
        return latency, failure


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
