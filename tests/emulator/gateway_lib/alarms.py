"""CloudWatch alarm actions, which moto stores but never runs.

The CloudWatch API Reference (API_SetAlarmState): "When the updated state differs from
the previous value, the action configured for the appropriate state is invoked." The
actions of a state are the alarm's AlarmActions (ALARM), OKActions (OK) and
InsufficientDataActions (INSUFFICIENT_DATA) (API_PutMetricAlarm: "The actions to execute
when this alarm transitions to the ALARM state from any other state"). A test sets an
alarm's state with SetAlarmState, as CloudWatch's own evaluation would; the gateway
forwards it to moto and, when the state changed, runs the new state's SNS actions.

An SNS action publishes the alarm notification, a JSON document whose fields the
CloudWatch User Guide lists for alarm notifications (AlarmName, AlarmDescription,
AWSAccountId, NewStateValue, NewStateReason, StateChangeTime, Region, AlarmArn,
OldStateValue, OKActions, AlarmActions, InsufficientDataActions, Trigger), with the
subject `<STATE>: "<alarm name>" in <region display name>`. `Region` is the display
name, not the code. Delivery to subscribed SQS queues is moto's SNS (the SNS Developer
Guide, "Fanout to Amazon SQS queues": the message arrives in the SNS JSON envelope
unless the subscription has raw message delivery).
"""

import datetime
import json
import urllib.parse

from . import cloudwatch
from .accounts import ACCESS_KEY

# The display names CloudWatch writes in a notification's Region field (those the tests use).
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
}
ACTIONS = {"ALARM": "AlarmActions", "OK": "OKActions", "INSUFFICIENT_DATA": "InsufficientDataActions"}


def set_alarm_state(forward, req):
    """Forwards SetAlarmState to moto; on a change of state, runs the new state's actions."""
    params = cloudwatch.request_document(req)
    name, new_state = params.get("AlarmName"), params.get("StateValue")
    before = _describe(forward, req, name)
    headers, body = cloudwatch.json_request(req)
    status, moto_headers, moto_body = forward("POST", "/", headers, body)
    if status == 200 and before is not None and before.get("StateValue") != new_state:
        message = notification(before, new_state, params.get("StateReason") or "", req.region)
        subject = f'{new_state}: "{name}" in {REGION_NAMES.get(req.region, req.region)}'
        for arn in before.get(ACTIONS.get(new_state, ""), []) or []:
            if arn.startswith("arn:aws:sns:"):
                _publish(forward, req, arn, subject[:100], json.dumps(message))
    return cloudwatch.cbor_response(req, status, moto_headers, moto_body)


def notification(alarm, new_state, reason, region):
    """The alarm notification CloudWatch sends to an SNS action."""
    now = datetime.datetime.now(datetime.timezone.utc)
    arn = alarm.get("AlarmArn") or ""
    return {
        "AlarmName": alarm.get("AlarmName"),
        "AlarmDescription": alarm.get("AlarmDescription"),
        "AWSAccountId": arn.split(":")[4] if arn.count(":") >= 5 else "",
        "AlarmConfigurationUpdatedTimestamp": _time(alarm.get("AlarmConfigurationUpdatedTimestamp")),
        "NewStateValue": new_state,
        "NewStateReason": reason,
        "StateChangeTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000",
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": arn,
        "OldStateValue": alarm.get("StateValue"),
        "OKActions": alarm.get("OKActions") or [],
        "AlarmActions": alarm.get("AlarmActions") or [],
        "InsufficientDataActions": alarm.get("InsufficientDataActions") or [],
        "Trigger": {
            "Period": 60,
            "EvaluationPeriods": alarm.get("EvaluationPeriods"),
            "ComparisonOperator": alarm.get("ComparisonOperator"),
            "Threshold": alarm.get("Threshold"),
            "TreatMissingData": alarm.get("TreatMissingData"),
            "EvaluateLowSampleCountPercentile": "",
            "Metrics": alarm.get("Metrics") or [],
        },
    }


def _time(value):
    if isinstance(value, (int, float)):
        t = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
        return t.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return value


def _describe(forward, req, name):
    headers, _ = cloudwatch.json_request(req)
    headers = [(k, v) for k, v in headers if k.lower() != "x-amz-target"]
    headers.append(("X-Amz-Target", f"{cloudwatch.TARGET_PREFIX}.DescribeAlarms"))
    status, _, body = forward("POST", "/", headers, json.dumps({"AlarmNames": [name]}).encode())
    if status != 200:
        return None
    alarms = json.loads(body).get("MetricAlarms") or []
    return alarms[0] if alarms else None


def _publish(forward, req, topic_arn, subject, message):
    """SNS Publish to moto, as CloudWatch (the alarm's account and region) would."""
    match = ACCESS_KEY.search(req.header("authorization", ""))
    key = match.group(1) if match else "test"
    region = topic_arn.split(":")[3]
    day = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d")
    auth = f"AWS4-HMAC-SHA256 Credential={key}/{day}/{region}/sns/aws4_request, SignedHeaders=host, Signature=0"
    body = urllib.parse.urlencode(
        {"Action": "Publish", "Version": "2010-03-31", "TopicArn": topic_arn, "Subject": subject, "Message": message}
    ).encode()
    headers = [("Authorization", auth), ("Content-Type", "application/x-www-form-urlencoded")]
    status, _, answer = forward("POST", "/", headers, body)
    if status != 200:
        raise RuntimeError(f"moto refused the alarm notification to {topic_arn}: {status} {answer[:200]!r}")
