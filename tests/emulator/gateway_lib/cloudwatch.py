"""CloudWatch Smithy RPCv2-CBOR <-> moto's awsJson1.0 translation.

aws-sdk-cloudwatch >= 1.100 only speaks RPCv2-CBOR; moto only understands the JSON
(and query) protocols. The two carry the same documents except for timestamps (CBOR tag
1 vs epoch numbers) and blobs (CBOR bytes vs base64), so the translation is generic and
driven by botocore's service model rather than a per-operation list.

The same two halves serve the operations the gateway answers itself (metric data, see
metrics.py): `request_document` decodes a request, `document_response` encodes an answer.
"""

import base64
import datetime
import gzip
import json
import uuid

import botocore.exceptions
import botocore.session
import cbor2

_MODEL = botocore.session.get_session().get_service_model("cloudwatch")
TARGET_PREFIX = _MODEL.metadata["targetPrefix"]  # GraniteServiceVersion20100801
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"

# Headers the CBOR request carries that must not reach moto's JSON handler.
_DROP_REQUEST_HEADERS = {
    "content-type", "content-length", "content-encoding", "smithy-protocol", "accept", "x-amz-target",
}


def request_document(req):
    """The input of the CBOR request `req` as JSON-like data: timestamps in epoch
    seconds, blobs in base64, absent (null) members dropped."""
    body = req.body
    # The SDK gzips large PutMetricData bodies (request compression).
    if "gzip" in (req.header("content-encoding", "") or "").lower():
        body = gzip.decompress(body)
    return _cbor_to_json(cbor2.loads(body) if body else {})


def json_request(req):
    """Headers and body moto needs for the CBOR request `req` (signature headers kept)."""
    headers = [(k, v) for k, v in req.headers if k.lower() not in _DROP_REQUEST_HEADERS]
    headers += [("X-Amz-Target", f"{TARGET_PREFIX}.{req.operation}"), ("Content-Type", JSON_CONTENT_TYPE)]
    return headers, json.dumps(request_document(req)).encode()


def document_response(req, document):
    """(status, headers, body) of a successful answer to `req` built by the gateway."""
    headers = [("content-type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"),
               ("x-amzn-requestid", str(uuid.uuid4()))]
    return 200, headers, _encode_output(req, document)


def cbor_response(req, status, moto_headers, moto_body):
    """Re-encodes moto's JSON answer (success or error) as an RPCv2-CBOR response."""
    headers = [("content-type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
    for key, value in moto_headers:
        if key.lower() in ("x-amzn-requestid", "x-amzn-query-error"):
            headers.append((key, value))
    try:
        document = json.loads(moto_body) if moto_body.strip() else {}
    except ValueError:
        document = None
    if status >= 400:
        if not isinstance(document, dict):
            # moto answers unimplemented operations with an HTML page.
            document = {"__type": "InternalFailure", "message": moto_body[:300].decode("utf-8", "replace")}
        error = {"__type": document.get("__type") or "InternalFailure"}
        message = document.get("message") or document.get("Message")
        if message:
            error["message"] = message
        return status, headers, cbor2.dumps(error)
    if not isinstance(document, dict):
        return 500, headers, cbor2.dumps({"__type": "InternalFailure", "message": "moto sent a non-JSON answer"})
    return status, headers, _encode_output(req, document)


def _encode_output(req, document):
    try:
        shape = _MODEL.operation_model(req.operation).output_shape
    except botocore.exceptions.OperationNotFoundError:
        shape = None
    return cbor2.dumps(_json_to_cbor(document, shape), datetime_as_timestamp=True)


def _cbor_to_json(value):
    if isinstance(value, dict):
        return {k: _cbor_to_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_cbor_to_json(v) for v in value]
    if isinstance(value, datetime.datetime):
        seconds = value.timestamp()
        return int(seconds) if seconds.is_integer() else seconds
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, cbor2.CBORTag) and value.tag == 1:
        return value.value
    return value


def _json_to_cbor(value, shape):
    """Gives JSON values the CBOR types the SDK's strict decoder expects for `shape`."""
    if value is None or shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {k: _json_to_cbor(v, shape.members.get(k)) for k, v in value.items() if v is not None}
    if kind == "list" and isinstance(value, list):
        return [_json_to_cbor(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _json_to_cbor(v, shape.value) for k, v in value.items()}
    if kind == "timestamp":
        return _timestamp(value)
    if kind == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    if kind in ("double", "float") and isinstance(value, (int, float)):
        return float(value)
    if kind in ("integer", "long") and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _timestamp(value):
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
    try:
        return datetime.datetime.fromtimestamp(float(value), tz=datetime.timezone.utc)
    except ValueError:
        parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)
