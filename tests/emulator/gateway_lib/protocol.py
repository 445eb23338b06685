"""Classifying AWS requests and answering errors in each service's own wire protocol.

The SDK decides retry behaviour from the error *code* and HTTP status it parses, so an
injected fault is only realistic if it is encoded exactly the way that service's SDK
client expects (CBOR for CloudWatch, JSON for DynamoDB/SQS/CloudTrail, query XML for
SNS/STS).
"""

import json
import re
import urllib.parse
import uuid
from dataclasses import dataclass

import cbor2

CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/?]+)")
# SigV4: Credential=AKID/20261125/us-east-1/cloudtrail/aws4_request
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")

# SigV4 signing names that differ from the names people (and fault rules) use.
SERVICE_ALIASES = {"monitoring": "cloudwatch", "email": "ses"}

# Used only when a request carries no SigV4 scope (unsigned or presigned requests).
TARGET_PREFIXES = {
    "GraniteServiceVersion20100801": "cloudwatch",
    "CloudTrail_20131101": "cloudtrail",
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101": "cloudtrail",
    "DynamoDB_20120810": "dynamodb",
    "DynamoDBStreams_20120810": "dynamodbstreams",
    "AmazonSQS": "sqs",
    "AWSOrganizationsV20161128": "organizations",
}

DEFAULT_REGION = "us-east-1"

# Throttling codes each protocol's SDK classifies as throttling (aws-runtime
# THROTTLING_ERRORS); CloudWatch is query-compatible, so its code is the query one.
THROTTLE_CODE = {"cbor": "Throttling", "json": "ThrottlingException", "query": "Throttling", "rest": "Throttling"}


def normalise_service(name):
    name = (name or "").strip().lower()
    return SERVICE_ALIASES.get(name, name)


@dataclass
class AwsRequest:
    method: str
    path: str  # path plus query string, as received
    headers: list  # [(name, value)], order and duplicates preserved
    body: bytes
    service: str
    region: str
    operation: str
    protocol: str  # "cbor" | "json" | "query" | "rest"

    def header(self, name, default=None):
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return default

    @property
    def query_mode(self):
        # awsQuery-compatible services (SQS, CloudWatch) ask for the legacy error code
        # in the x-amzn-query-error header; the SDK then prefers it over the body's.
        return (self.header("x-amzn-query-mode") or "").lower() == "true"


def classify(method, path, headers, body):
    """Works out service, region, operation and wire protocol of a raw HTTP request."""
    req = AwsRequest(method, path, list(headers), body, "unknown", DEFAULT_REGION, "", "rest")
    scope = CREDENTIAL_SCOPE.search(req.header("authorization", ""))
    if scope is None:
        # Presigned URLs carry the scope in the query string instead.
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        credential = (query.get("X-Amz-Credential") or [""])[0]
        scope = CREDENTIAL_SCOPE.search("Credential=" + credential)
    if scope:
        req.region, req.service = scope.group(1), normalise_service(scope.group(2))

    target = req.header("x-amz-target")
    cbor_path = CBOR_PATH.match(path)
    if cbor_path and (req.header("smithy-protocol") or "").lower() == "rpc-v2-cbor":
        req.protocol, req.operation = "cbor", cbor_path.group(2)
        if req.service == "unknown":
            req.service = TARGET_PREFIXES.get(cbor_path.group(1), "unknown")
    elif target:
        prefix, _, operation = target.rpartition(".")
        req.protocol, req.operation = "json", operation
        if req.service == "unknown":
            req.service = TARGET_PREFIXES.get(prefix, "unknown")
    else:
        action = _query_action(path, req.header("content-type", ""), body)
        if action:
            req.protocol, req.operation = "query", action
        else:
            req.operation = f"{method} {urllib.parse.urlsplit(path).path}"
        if req.service == "unknown" and path.startswith("/moto-api"):
            req.service = "moto-api"
    return req


def _query_action(path, content_type, body):
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    if "application/x-www-form-urlencoded" in content_type.lower():
        params.update(urllib.parse.parse_qs(body.decode("utf-8", "replace")))
    return (params.get("Action") or [""])[0]


def error_response(req, status, code, message):
    """(status, headers, body) of an AWS error in the request's own protocol."""
    fault = "Receiver" if status >= 500 else "Sender"
    headers = [("x-amzn-requestid", str(uuid.uuid4()))]
    if req.protocol in ("cbor", "json"):
        headers.append(("x-amzn-errortype", code))
        if req.query_mode:
            headers.append(("x-amzn-query-error", f"{code};{fault}"))
    if req.protocol == "cbor":
        headers += [("content-type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
        return status, headers, cbor2.dumps({"__type": code, "message": message})
    if req.protocol == "json":
        content_type = req.header("content-type") or "application/x-amz-json-1.0"
        headers.append(("content-type", content_type))
        return status, headers, json.dumps({"__type": code, "message": message}).encode()
    body = (
        "<ErrorResponse><Error>"
        f"<Type>{fault}</Type><Code>{_xml_escape(code)}</Code><Message>{_xml_escape(message)}</Message>"
        f"</Error><RequestId>{headers[0][1]}</RequestId></ErrorResponse>"
    )
    headers.append(("content-type", "text/xml"))
    return status, headers, body.encode()


def throttle_response(req):
    return error_response(req, 400, THROTTLE_CODE[req.protocol], "Rate exceeded")


def access_denied_response(req):
    # The error code every AWS service answers a request its caller may not make
    # (AWS General Reference, "Common Errors": AccessDeniedException, HTTP 400;
    # Query-protocol services such as CloudWatch's XML spell it AccessDenied).
    code = "AccessDeniedException" if req.protocol in ("cbor", "json") else "AccessDenied"
    return error_response(req, 400, code, "User is not authorized to perform this operation (injected)")


def server_error_response(req, status):
    code = "ServiceUnavailable" if status == 503 else "InternalFailure"
    return error_response(req, status, code, "Injected server error")


def _xml_escape(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
