"""Which AWS account a request acts in, for the data the gateway holds itself
(CloudWatch metric data, metrics.py).

CloudWatch keeps metrics per account and per region. The CloudWatch User Guide
(cloudwatch_concepts.html, "Metrics"): "Metrics exist only in the Region in which
they are created." And per account: an account sees another's metrics only through
cross-account observability (API_ListMetrics, IncludeLinkedAccounts: "If you are using
this operation in a monitoring account, specify true to include metrics from source
accounts in the returned data."; API_MetricDataQuery, AccountId: "The ID of the account
where the metrics are located."), which the emulator does not model.

The account of a signed request is the account its credentials belong to. The STS API
Reference (API_AssumeRole): "Returns a set of temporary security credentials that you can
use to access AWS resources" and "You can use AssumeRole within your account or for
cross-account access": requests signed with those credentials act as the role, in the
role's account. moto, which runs in this process, keeps that mapping (the access keys
AssumeRole hands out are recorded in the role's account); the gateway asks it, so both
always agree on the account of a request. A key moto does not know (the tests' dummy
key) is moto's default account. Requests the gateway passes to moto keep their
Authorization header unchanged, so moto tells the accounts apart itself.
"""

import re

from moto.iam.models import get_account_id_from

# SigV4 Authorization header: "Credential=<access key ID>/<date>/<region>/<service>/aws4_request".
ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")


def account_of(req):
    """The account ID `req` acts in, from the access key it was signed with."""
    match = ACCESS_KEY.search(req.header("authorization", ""))
    return get_account_id_from(match.group(1) if match else "")
