"""The HTTP gateway in front of moto: routing, pass-through and the control API."""

import http.client
import json
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The account of requests signed with a key moto does not know (accounts.py).
from moto.core import DEFAULT_ACCOUNT_ID as DEFAULT_ACCOUNT

from . import (
    accounts, alarms, cloudtrail, cloudwatch, cost_explorer, logs, metric_data, metric_stats, organizations, protocol,
)
from .metrics import MetricsError, MetricStore
from .state import DATA_OPERATION, Faults, RequestLog

# Never forwarded: they describe one hop, and bodies are re-framed with Content-Length.
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
    "upgrade", "expect", "content-length",
}
# BaseHTTPRequestHandler writes its own.
OWN_RESPONSE_HEADERS = HOP_BY_HOP | {"server", "date"}
CLOUDTRAIL_LOOKUP = "LookupEvents"
# CloudWatch operations on metric data, answered from the gateway's MetricStore;
# every other CloudWatch operation (alarms, dashboards, ...) goes to moto.
METRIC_OPERATIONS = ("PutMetricData", "ListMetrics", "GetMetricData", "GetMetricStatistics")


class Gateway:
    def __init__(self, moto_host, moto_port):
        self.moto_host, self.moto_port = moto_host, moto_port
        self.cloudtrail = cloudtrail.CloudTrailStore()
        self.cost_explorer = cost_explorer.CostExplorer()
        self.organizations = organizations.Organizations()
        self.metrics = MetricStore()
        self.faults = Faults()
        self.log = RequestLog()
        # moto handles requests on parallel threads without locking, so two
        # conditional writes or transactions can both pass their conditions,
        # and a failed transaction restores a table copy over another one's
        # writes. DynamoDB applies each request atomically: serialise them.
        self.dynamodb = threading.Lock()

    def reset(self):
        status, _, body = self.forward("POST", "/moto-api/reset", [], b"")
        if status != 200:
            raise RuntimeError(f"moto reset answered {status}: {body[:200]!r}")
        self.cloudtrail.reset()
        self.cost_explorer.reset()
        self.organizations.reset()
        self.metrics.reset()
        self.faults.clear()
        self.log.clear()

    def handle_aws(self, req):
        """(status, headers, body, t) for one AWS API request."""
        t = time.time()
        latency_ms, late_ms, failure = self.faults.take(req.service, req.operation, accounts.account_of(req))
        if latency_ms:
            time.sleep(latency_ms / 1000.0)
        answer = self._answer(req, failure, t)
        if late_ms:
            time.sleep(late_ms / 1000.0)
        return answer

    def _answer(self, req, failure, t):
        if failure is not None:
            if failure["kind"] == "throttle":
                return (*protocol.throttle_response(req), t)
            if failure["kind"] == "access_denied":
                return (*protocol.access_denied_response(req), t)
            return (*protocol.server_error_response(req, failure["status"]), t)
        if req.service == "cloudtrail" and req.protocol == "json" and req.operation == CLOUDTRAIL_LOOKUP:
            return self._lookup_events(req)
        if req.service == "ce" and req.protocol == "json":
            return (*self._cost_explorer(req), t)
        if req.service == "organizations" and req.protocol == "json" and req.operation == "ListAccounts":
            return (*self._list_accounts(req), t)
        if req.service == "cloudwatch" and req.protocol == "cbor" and req.operation in METRIC_OPERATIONS:
            return (*self._metric_operation(req), t)
        if req.service == "cloudwatch" and req.protocol == "cbor" and req.operation == "SetAlarmState":
            return (*alarms.set_alarm_state(self.forward, req), t)
        if req.service == "cloudwatch" and req.protocol == "cbor":
            headers, body = cloudwatch.json_request(req)
            status, moto_headers, moto_body = self.forward("POST", "/", headers, body)
            return (*cloudwatch.cbor_response(req, status, moto_headers, moto_body), t)
        if req.service == "logs" and req.protocol == "json" and req.operation == "FilterLogEvents":
            return (*logs.filter_log_events(self.forward, req), t)
        if req.service == "dynamodb":
            with self.dynamodb:
                return (*self.forward(req.method, req.path, req.headers, req.body), t)
        return (*self.forward(req.method, req.path, req.headers, req.body), t)

    def _metric_operation(self, req):
        try:
            params = cloudwatch.request_document(req)
        except (ValueError, OSError, EOFError):  # bad CBOR or bad gzip
            params = None
        if not isinstance(params, dict):
            return protocol.error_response(req, 400, "SerializationException", "Malformed CBOR body")
        try:
            return cloudwatch.document_response(req, self._metric_answer(req, params))
        except MetricsError as err:
            return protocol.error_response(req, err.status, err.code, err.message)

    def _metric_answer(self, req, params):
        # Each account's metrics, in each region, are its own (accounts.py).
        place = (accounts.account_of(req), req.region)
        if req.operation == "PutMetricData":
            self.metrics.put(place, params)
            return {}
        if req.operation == "ListMetrics":
            return self.metrics.list_metrics(place, params)
        if req.operation == "GetMetricStatistics":
            return metric_stats.get_metric_statistics(self.metrics, place, params, time.time())
        request = metric_data.parse(params)
        rules = self.faults.take_data(*DATA_OPERATION, lambda rule: metric_data.rule_applies(rule, request))
        return metric_data.answer(self.metrics, place, request, rules, time.time())

    def _cost_explorer(self, req):
        operations = {
            "GetCostAndUsage": self.cost_explorer.get_cost_and_usage,
            "GetDimensionValues": self.cost_explorer.get_dimension_values,
        }
        answer = operations.get(req.operation)
        if answer is None:
            return protocol.error_response(req, 400, "UnknownOperationException", f"not emulated: {req.operation}")
        try:
            params = json.loads(req.body) if req.body.strip() else {}
            document = answer(accounts.account_of(req), params)
        except ValueError:
            return protocol.error_response(req, 400, "SerializationException", "Malformed JSON body")
        except cost_explorer.CostExplorerError as err:
            return protocol.error_response(req, err.status, err.code, err.message)
        return 200, [("content-type", "application/x-amz-json-1.1")], json.dumps(document).encode()

    def _list_accounts(self, req):
        try:
            params = json.loads(req.body) if req.body.strip() else {}
            document = self.organizations.list_accounts(accounts.account_of(req), params)
        except ValueError:
            return protocol.error_response(req, 400, "SerializationException", "Malformed JSON body")
        except organizations.OrganizationsError as err:
            return protocol.error_response(req, err.status, err.code, err.message)
        return 200, [("content-type", "application/x-amz-json-1.1")], json.dumps(document).encode()

    def _lookup_events(self, req):
        account = accounts.account_of(req)
        accepted, t = self.cloudtrail.admit(account, req.region, time.time)
        if not accepted:
            return (*protocol.throttle_response(req), t)
        try:
            params = json.loads(req.body) if req.body.strip() else {}
            document = self.cloudtrail.lookup(account, req.region, params)
        except ValueError:
            return (*protocol.error_response(req, 400, "SerializationException", "Malformed JSON body"), t)
        except cloudtrail.CloudTrailError as err:
            return (*protocol.error_response(req, 400, err.code, err.message), t)
        headers = [("content-type", "application/x-amz-json-1.1")]
        return 200, headers, json.dumps(document).encode(), t

    def forward(self, method, path, headers, body):
        """Sends one request to moto and returns (status, headers, body) verbatim."""
        conn = http.client.HTTPConnection(self.moto_host, self.moto_port, timeout=120)
        try:
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            has_host = False
            for key, value in headers:
                if key.lower() in HOP_BY_HOP:
                    continue
                has_host = has_host or key.lower() == "host"
                conn.putheader(key, value)
            if not has_host:
                conn.putheader("Host", f"{self.moto_host}:{self.moto_port}")
            if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            response = conn.getresponse()
            data = response.read()
            out = [(k, v) for k, v in response.getheaders() if k.lower() not in OWN_RESPONSE_HEADERS]
            return response.status, out, data
        finally:
            conn.close()


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive: the SDKs pool connections.
    protocol_version = "HTTP/1.1"
    server_version = "bcm-emulator"

    def setup(self):
        super().setup()
        # Headers and body leave in separate writes; with Nagle's algorithm the
        # body then waits for the client's delayed ACK, about 40 ms per request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass  # the request log endpoint replaces access logs

    @property
    def gateway(self):
        return self.server.gateway

    def _dispatch(self):
        try:
            body = self._read_body()
        except ValueError as err:
            self.close_connection = True
            self._send(400, [("content-type", "text/plain")], str(err).encode())
            return
        if urllib.parse.urlsplit(self.path).path.startswith("/_emulator/"):
            self._control(body)
            return
        req = protocol.classify(self.command, self.path, self.headers.items(), body)
        try:
            status, headers, payload, t = self.gateway.handle_aws(req)
        except Exception:  # noqa: BLE001 - a gateway bug must surface as an AWS 500, not a hang
            traceback.print_exc(file=sys.stderr)
            t = time.time()
            status, headers, payload = protocol.error_response(req, 500, "InternalFailure", "emulator gateway error")
        self.gateway.log.append(req.service, req.operation, req.region, t, status)
        self._send(status, headers, payload)

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status, headers, body):
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in OWN_RESPONSE_HEADERS:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status, document):
        self._send(status, [("content-type", "application/json")], json.dumps(document).encode())

    def _control(self, body):
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        route = (self.command, url.path.rstrip("/"))
        try:
            document = json.loads(body) if body.strip() else {}
        except ValueError:
            self._json(400, {"error": "body is not valid JSON"})
            return
        try:
            if route == ("GET", "/_emulator/health"):
                self._json(200, {"ok": True})
            elif route == ("POST", "/_emulator/reset"):
                self.gateway.reset()
                self._json(200, {"ok": True})
            elif route == ("POST", "/_emulator/cloudtrail/events"):
                events = document.get("events") if isinstance(document, dict) else None
                if not isinstance(events, list):
                    raise ValueError("body must be {\"events\": [...]}")
                account = document.get("account", DEFAULT_ACCOUNT)
                self._json(200, {"stored": self.gateway.cloudtrail.seed(account, events)})
            elif route == ("POST", "/_emulator/ce/lines"):
                account = document.get("account", DEFAULT_ACCOUNT)
                self._json(200, {"stored": self.gateway.cost_explorer.seed(account, document)})
            elif route == ("POST", "/_emulator/ce/settings"):
                self.gateway.cost_explorer.settings(document.get("account", DEFAULT_ACCOUNT), document)
                self._json(200, {"ok": True})
            elif route == ("POST", "/_emulator/organizations/settings"):
                self.gateway.organizations.settings(document)
                self._json(200, {"ok": True})
            elif route == ("GET", "/_emulator/requests"):
                entries = self.gateway.log.entries(query.get("service"), query.get("operation"))
                self._json(200, entries)
            elif route == ("POST", "/_emulator/faults"):
                self._json(200, {"rule": self.gateway.faults.add(document)})
            elif route == ("GET", "/_emulator/faults"):
                self._json(200, self.gateway.faults.rules())
            elif route == ("DELETE", "/_emulator/faults"):
                self.gateway.faults.clear()
                self._json(200, {"ok": True})
            else:
                self._json(404, {"error": f"no control endpoint {self.command} {url.path}"})
        except ValueError as err:
            self._json(400, {"error": str(err)})
        except Exception as err:  # noqa: BLE001 - report, keep serving
            traceback.print_exc(file=sys.stderr)
            self._json(500, {"error": f"{type(err).__name__}: {err}"})


class GatewayServer(ThreadingHTTPServer):
    daemon_threads = True  # open keep-alive connections must not block shutdown
    request_queue_size = 128  # concurrent SDK bursts open many connections at once

    def __init__(self, gateway, address=("127.0.0.1", 0)):
        super().__init__(address, Handler)
        self.gateway = gateway

    def handle_error(self, request, client_address):
        # A client that gave up (an SDK attempt timeout) closes its socket
        # before the answer is written: that is the client's business, not a
        # gateway failure worth a traceback.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)
