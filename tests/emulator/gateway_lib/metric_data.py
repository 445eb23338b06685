"""GetMetricData answered from the gateway's MetricStore (metrics.py): exact-series
MetricStat queries, ScanBy order, MaxDatapoints paging with NextToken, and the two data
oddities tests can inject (PartialData, substituted values; see state.Faults).

Rules follow the Amazon CloudWatch API Reference pages API_GetMetricData,
API_MetricDataQuery and API_MetricDataResult, quoted where applied.
"""

import re
from dataclasses import dataclass

from . import tokens
from .metric_stats import STATISTICS, buckets, not_modelled, round_start, statistic, valid_period
from .metrics import MetricsError, parse_dimensions, text

# API_GetMetricData: "A single GetMetricData call can include as many as 500
# MetricDataQuery structures"; MaxDatapoints: "If you omit this, the default of 100,800
# is used."
MAX_QUERIES = 500
DEFAULT_MAX_DATAPOINTS = 100_800
SCAN_ORDERS = ("TimestampDescending", "TimestampAscending")
# API_MetricDataQuery Id: "The valid characters are letters, numbers, and underscore.
# The first character must be a lowercase letter."
QUERY_ID = re.compile(r"^[a-z][A-Za-z0-9_]*$")
EXTENDED_STATISTIC = re.compile(r"^(p|tm|wm|tc|ts|pr|IQM)")


def validation(message):
    # CloudWatch API Reference, Common Errors: ValidationError, "The input fails to
    # satisfy the constraints specified by an AWS service", HTTP 400.
    return MetricsError("ValidationError", message)


@dataclass(frozen=True)
class Query:
    index: int
    id: str
    label: str
    namespace: str
    name: str
    dimensions: tuple
    period: int
    stat: str
    unit: object
    return_data: bool

    def matches(self, rule):
        """Whether an injected data rule (state.Faults) targets this query's series."""
        if rule.get("metric_name") not in (None, self.name):
            return False
        wanted = rule.get("dimension_value")
        return wanted is None or any(v == wanted for _, v in self.dimensions)


@dataclass(frozen=True)
class Request:
    queries: tuple
    start: float
    end: float
    descending: bool
    limit: int
    fingerprint: str
    token: object


def parse(params):
    """The validated GetMetricData request; MetricsError says what CloudWatch would refuse."""
    raw = params.get("MetricDataQueries") or []
    if not raw or len(raw) > MAX_QUERIES:
        raise validation(f"The collection MetricDataQueries must have between 1 and {MAX_QUERIES} members.")
    queries = tuple(_query(i, q) for i, q in enumerate(raw))
    if len({q.id for q in queries}) != len(queries):
        raise validation("The values of MetricDataQueries.member.N.Id must be unique.")
    start, end = params.get("StartTime"), params.get("EndTime")
    if not isinstance(start, (int, float)) or not isinstance(end, (int, float)):
        raise validation("The parameters StartTime and EndTime are required.")
    if start >= end:
        raise validation("The parameter StartTime must be less than the parameter EndTime.")
    # ScanBy: "If you omit this parameter, the default of TimestampDescending is used."
    scan = params.get("ScanBy", "TimestampDescending")
    if scan not in SCAN_ORDERS:
        raise validation(f"The value {scan} for parameter ScanBy is invalid.")
    limit = params.get("MaxDatapoints", DEFAULT_MAX_DATAPOINTS)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise validation(f"The value {limit} for parameter MaxDatapoints is invalid.")
    fingerprint = tokens.fingerprint(raw, start, end, scan)
    return Request(queries, float(start), float(end), scan == SCAN_ORDERS[0], limit, fingerprint,
                   params.get("NextToken"))


def _query(index, raw):
    where = f"MetricDataQueries.member.{index + 1}"
    query_id = raw.get("Id")
    if not isinstance(query_id, str) or not QUERY_ID.match(query_id) or len(query_id) > 255:
        raise validation(f"The value {query_id!r} for parameter {where}.Id is invalid.")
    stat, expression = raw.get("MetricStat"), raw.get("Expression")
    # API_MetricDataQuery: "you must specify either Expression or MetricStat but not both."
    if (stat is None) == (expression is None):
        raise validation(f"Exactly one of {where}.Expression and {where}.MetricStat must be given.")
    if expression is not None:
        raise not_modelled(f"metric math or Metrics Insights expressions (query {query_id!r})")
    metric = stat.get("Metric") or {}
    period, name = stat.get("Period"), stat.get("Stat")
    if not valid_period(period):
        raise validation(f"The value {period} for parameter {where}.MetricStat.Period is invalid.")
    if name not in STATISTICS:
        if isinstance(name, str) and EXTENDED_STATISTIC.match(name):
            raise not_modelled(f"extended statistic {name!r} (query {query_id!r})")
        raise validation(f"The value {name!r} for parameter {where}.MetricStat.Stat is invalid.")
    metric_name = text(metric.get("MetricName"), f"{where}.MetricStat.Metric.MetricName", 255, required=True)
    return Query(
        index=index,
        id=query_id,
        # API_MetricDataQuery Label: "If Label is omitted, CloudWatch generates a default";
        # the metric name is the emulator's default.
        label=raw.get("Label") or metric_name,
        namespace=text(metric.get("Namespace"), f"{where}.MetricStat.Metric.Namespace", 255, required=True),
        name=metric_name,
        dimensions=parse_dimensions(metric.get("Dimensions"), f"{where}.MetricStat.Metric.Dimensions"),
        period=period,
        stat=name,
        unit=stat.get("Unit"),
        # ReturnData: "If you omit this, the default of true is used."
        return_data=raw.get("ReturnData", True) is not False,
    )


def answer(store, place, request, rules, now):
    """The GetMetricData response document for `request`, with the injected `rules` applied."""
    windows = _windows(request)
    points = {q.index: _points(store, place, request, q, windows.get(q.index), now)
              for q in request.queries if q.index in windows}
    deferred, partial = _split_for_rules(request, points, rules)
    page, rest = _page(points, request.descending, request.limit)
    for index, window in deferred.items():
        rest[index] = _merge(rest.get(index), window)
    if partial:
        rest = {}  # the persistent-partial case: nothing more to fetch, only the StatusCode tells
    results = []
    for query in request.queries:
        if not query.return_data:
            continue
        taken = sorted(page.get(query.index, []), reverse=request.descending)
        values = _substitute(query, [v for _, v in taken], rules)
        # API_MetricDataResult StatusCode: "Complete indicates that all data points in the
        # requested time range were returned. PartialData means that an incomplete set of
        # data points were returned. You can use the NextToken value that was returned and
        # repeat your request to get more data points."
        status = "PartialData" if rest or query.index in partial else "Complete"
        results.append({"Id": query.id, "Label": query.label, "Timestamps": [t for t, _ in taken],
                        "Values": values, "StatusCode": status})
    document = {"MetricDataResults": results}
    if rest:
        document["NextToken"] = tokens.encode({str(i): w for i, w in rest.items()}, request.fingerprint)
    return document


def _windows(request):
    """{query index: [lo, hi) still to return}; the whole range on a first call."""
    if request.token is None:
        return {q.index: None for q in request.queries}
    stored = tokens.decode(request.token, request.fingerprint)
    if not isinstance(stored, dict):
        raise MetricsError("InvalidNextToken", "The service couldn't process the NextToken.")
    return {int(i): w for i, w in stored.items()}


def _points(store, place, request, query, window, now):
    start = round_start(request.start, query.period, now)
    datums = store.datums(place, query.namespace, query.name, query.dimensions, query.unit)
    found = buckets(datums, start, request.end, query.period)
    selected = sorted((t, statistic(b, query.stat)) for t, b in found.items())
    return [(t, v) for t, v in selected
            if v is not None and (window is None or window[0] <= t < window[1])]


def _split_for_rules(request, points, rules):
    """Applies injected partial_data rules: each matching series keeps its older half.

    The newer half is deferred to the NextToken (`next_token` rules, the paging case) or
    dropped with no NextToken (the persistent case). Returns (deferred windows, indexes
    answered partially)."""
    deferred, partial = {}, set()
    for rule in rules:
        if rule["kind"] != "partial_data":
            continue
        for query in request.queries:
            series = points.get(query.index)
            if series is None or not query.matches(rule):
                continue
            keep = len(series) // 2
            newer, points[query.index] = series[keep:], series[:keep]
            if rule.get("next_token"):
                if newer:
                    deferred[query.index] = _merge(deferred.get(query.index), [newer[0][0], newer[-1][0] + 1])
            else:
                partial.add(query.index)
    return deferred, partial


def _page(points, descending, limit):
    """(points on this page by query, windows left for the next page).

    ScanBy: "TimestampDescending returns the newest data first and paginates when the
    MaxDatapoints limit is reached. TimestampAscending returns the oldest data first".
    """
    ordered = sorted(
        ((-t if descending else t, index, t, v) for index, series in points.items() for t, v in series),
        key=lambda p: (p[0], p[1]),
    )
    page, rest = {}, {}
    for _, index, t, v in ordered[:limit]:
        page.setdefault(index, []).append((t, v))
    for _, index, t, _ in ordered[limit:]:
        # A series' remaining points are a contiguous run of its own timestamps.
        rest[index] = _merge(rest.get(index), [t, t + 1])
    return page, rest


def _merge(window, other):
    if window is None:
        return list(other)
    return [min(window[0], other[0]), max(window[1], other[1])]


def _substitute(query, values, rules):
    """Applies injected metric_value rules: every value of a matching series is replaced."""
    for rule in rules:
        if rule["kind"] == "metric_value" and query.matches(rule):
            values = [rule_value(rule)] * len(values)
    return values


def rule_value(rule):
    """The float a metric_value rule injects; JSON has no NaN, so those come as strings."""
    value = rule["value"]
    return float(value) if isinstance(value, str) else value


def rule_applies(rule, request):
    return any(q.matches(rule) for q in request.queries)
