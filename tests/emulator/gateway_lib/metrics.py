"""CloudWatch metric data held by the gateway itself: PutMetricData, ListMetrics,
GetMetricStatistics, and the exact-series lookup GetMetricData is answered from
(metric_data.py).

moto matches metrics more loosely than CloudWatch, so tests could pass that would fail
on AWS. Every rule here follows the Amazon CloudWatch API Reference
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/), quoted where it
is applied. Other CloudWatch operations (alarms, dashboards) still go to moto.
"""

import math
import threading
import time
from dataclasses import dataclass, field

from . import tokens

# API_PutMetricData / API_MetricDatum: "CloudWatch rejects values that are either too
# small or too large. Values must be in the range of -2^360 to 2^360. In addition,
# special values (for example, NaN, +Infinity, -Infinity) are not supported."
# "Too small" is read as a non-zero magnitude below 2^-360.
LARGEST, SMALLEST = 2.0 ** 360, 2.0 ** -360
# API_PutMetricData: "no more than 1000 different metrics"; API_Dimension: "up to 30
# dimensions"; API_MetricDatum: "up to 150 unique values".
MAX_DATUMS, MAX_DIMENSIONS, MAX_VALUES = 1000, 30, 150
# API_ListMetrics: "Up to 500 results are returned for any one call."
LIST_PAGE = 500
# API_ListMetrics RecentlyActive: "specify this parameter with a value of PT3H. This is
# the only valid value for this parameter."
RECENTLY_ACTIVE = {"PT3H": 3 * 3600}


class MetricsError(Exception):
    """An AWS error answer: `code` is what the SDK matches on."""

    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def invalid(message):
    return MetricsError("InvalidParameterValue", message)


def missing(parameter):
    return MetricsError("MissingParameter", f"The parameter {parameter} is required.")


@dataclass(frozen=True)
class Datum:
    """One stored datum, reduced to the aggregates every statistic is computed from."""
    t: int  # epoch seconds, truncated to the datum's storage resolution
    count: float
    total: float
    low: float
    high: float
    unit: str


@dataclass
class Series:
    namespace: str
    name: str
    dimensions: tuple  # ((name, value), ...) in the order first published
    datums: list = field(default_factory=list)
    last_put: float = 0.0

    def to_api(self):
        return {"Namespace": self.namespace, "MetricName": self.name,
                "Dimensions": [{"Name": n, "Value": v} for n, v in self.dimensions]}


def series_key(namespace, name, dimensions):
    # API_GetMetricStatistics, Dimensions: "CloudWatch treats each unique combination of
    # dimensions as a separate metric. If a specific combination of dimensions was not
    # published, you can't retrieve statistics for it. You must specify the same
    # dimensions that were used when the metrics were created." A set: order is no part
    # of a metric's identity, and a query naming fewer (or no) dimensions names another
    # metric.
    return namespace, name, frozenset(dimensions)


class MetricStore:
    def __init__(self, clock=time.time):
        self._clock = clock
        self._lock = threading.Lock()
        # CloudWatch keeps each account's metrics apart, and each region's (see
        # accounts.py): (account ID, region) -> {series_key: Series}.
        self._places = {}

    def reset(self):
        with self._lock:
            self._places.clear()

    def put(self, place, params):
        """PutMetricData: all datums are checked before any is stored."""
        now = self._clock()
        namespace = text(params.get("Namespace"), "Namespace", 255, required=True)
        if namespace.startswith(":"):
            raise invalid(f"The value {namespace} for parameter Namespace is invalid.")  # pattern [^:].*
        # The emulator stands in for AWS services publishing their own metrics, so the
        # "AWS/" prefix the API reference asks customers to avoid is accepted.
        raw = list(params.get("MetricData") or [])
        for entity in params.get("EntityMetricData") or []:
            raw += entity.get("MetricData") or []
        if not raw:
            raise missing("MetricData")
        if len(raw) > MAX_DATUMS:
            raise invalid(f"The collection MetricData must not have a size greater than {MAX_DATUMS}.")
        parsed = [parse_datum(d, f"MetricData.member.{i}", now) for i, d in enumerate(raw, 1)]
        with self._lock:
            known = self._places.setdefault(place, {})
            for name, dimensions, datum in parsed:
                key = series_key(namespace, name, dimensions)
                series = known.setdefault(key, Series(namespace, name, dimensions))
                series.datums.append(datum)
                series.last_put = now

    def datums(self, place, namespace, name, dimensions, unit=None):
        """The datums of exactly one series (none if that dimension set was never published).

        API_GetMetricData: "If you specify a unit, the operation returns only data that
        was collected with that unit specified."
        """
        with self._lock:
            series = self._places.get(place, {}).get(series_key(namespace, name, dimensions))
            found = list(series.datums) if series else []
        return [d for d in found if unit is None or d.unit == unit]

    def list_metrics(self, place, params):
        """ListMetrics: each series once, filtered, in pages of 500."""
        namespace, name = params.get("Namespace"), params.get("MetricName")
        filters = dimension_filters(params.get("Dimensions"))
        active = params.get("RecentlyActive")
        if active is not None and active not in RECENTLY_ACTIVE:
            raise invalid(f"The value {active} for parameter RecentlyActive is invalid.")
        since = self._clock() - RECENTLY_ACTIVE[active] if active else None
        query = tokens.fingerprint(namespace, name, sorted(filters, key=str), active)
        after = None
        if params.get("NextToken") is not None:
            after = tokens.decode(params["NextToken"], query)
            if after is None:
                raise invalid("The NextToken is not valid for this request.")
        with self._lock:
            candidates = list(self._places.get(place, {}).values())
        selected = sorted(
            (s for s in candidates
             if (namespace is None or s.namespace == namespace)
             and (name is None or s.name == name)
             and all(has_dimension(s, f) for f in filters)
             and (since is None or s.last_put >= since)
             and (after is None or list_position(s) > after)),
            key=list_position,
        )
        page = selected[:LIST_PAGE]
        answer = {"Metrics": [s.to_api() for s in page]}
        if len(selected) > LIST_PAGE:
            answer["NextToken"] = tokens.encode(list_position(page[-1]), query)
        return answer


def list_position(series):
    # Resuming after a position (not an offset) keeps pages exact when series appear
    # between two calls. A list so it survives the JSON round trip in the token.
    return [series.namespace, series.name, sorted([n, v] for n, v in series.dimensions)]


def has_dimension(series, wanted):
    # API_ListMetrics, Dimensions: "If you specify one dimension name and a metric has
    # that dimension and also other dimensions, it will be returned." API_DimensionFilter,
    # Value: a filter without a value matches every value of that name.
    name, value = wanted
    return any(n == name and (value is None or v == value) for n, v in series.dimensions)


def dimension_filters(raw):
    filters = []
    for i, item in enumerate(raw or [], 1):
        name = text(item.get("Name"), f"Dimensions.member.{i}.Name", 255, required=True)
        value = item.get("Value")
        filters.append((name, None if value is None else text(value, f"Dimensions.member.{i}.Value", 1024)))
    if len(filters) > 10:  # API_ListMetrics: Dimensions "Maximum number of 10 items"
        raise invalid("The collection Dimensions must not have a size greater than 10.")
    return filters


def parse_datum(raw, where, now):
    """(metric name, dimensions, Datum) from one MetricDatum; MetricsError if CloudWatch would refuse it."""
    name = text(raw.get("MetricName"), f"{where}.MetricName", 255, required=True)
    dimensions = parse_dimensions(raw.get("Dimensions"), f"{where}.Dimensions")
    given = [k for k in ("Value", "Values", "StatisticValues") if raw.get(k) is not None]
    # API_PutMetricData: "You can publish either individual values in the Value field, or
    # arrays of values and the number of times each value occurred ... by using the
    # Values and Counts fields"; a StatisticSet is the third, separate form.
    if len(given) > 1:
        raise MetricsError("InvalidParameterCombination",
                           f"The parameters {where}.{given[0]} and {where}.{given[1]} are mutually exclusive.")
    if not given:
        # The reference does not say what a datum without any value means; refusing it
        # keeps tests from depending on a guess.
        raise missing(f"{where}.Value")
    count, total, low, high = _aggregates(raw, given[0], where)
    resolution = raw.get("StorageResolution", 60)
    # API_MetricDatum StorageResolution: "Valid values are 1 and 60 ... Setting this to 60
    # specifies this metric as a regular-resolution metric, which CloudWatch stores at
    # 1-minute resolution."
    if resolution not in (1, 60):
        raise invalid(f"The value {resolution} for parameter {where}.StorageResolution is invalid.")
    # API_MetricDatum Timestamp: "The time the metric data was received" when omitted.
    at = raw.get("Timestamp", now)
    if not isinstance(at, (int, float)) or isinstance(at, bool):
        raise invalid(f"The parameter {where}.Timestamp must be a timestamp.")
    t = int(at // resolution * resolution)
    return name, dimensions, Datum(t, count, total, low, high, str(raw.get("Unit") or "None"))


def _aggregates(raw, form, where):
    if form == "Value":
        value = number(raw["Value"], f"{where}.Value")
        return 1.0, value, value, value
    if form == "StatisticValues":
        stats = raw["StatisticValues"]
        found = {k: number(stats.get(k), f"{where}.StatisticValues.{k}", required=True)
                 for k in ("SampleCount", "Sum", "Minimum", "Maximum")}
        return found["SampleCount"], found["Sum"], found["Minimum"], found["Maximum"]
    values = [number(v, f"{where}.Values.member.{i}") for i, v in enumerate(raw["Values"], 1)]
    if not values or len(values) > MAX_VALUES:
        raise invalid(f"The collection {where}.Values must have between 1 and {MAX_VALUES} members.")
    # API_MetricDatum Counts: "If you omit the Counts array, the default of 1 is used as
    # the value for each count. If you include a Counts array, it must include the same
    # amount of values as the Values array."
    counts = raw.get("Counts")
    counts = [1.0] * len(values) if counts is None else [
        number(c, f"{where}.Counts.member.{i}") for i, c in enumerate(counts, 1)]
    if len(counts) != len(values):
        raise invalid(f"The parameters {where}.Values and {where}.Counts must be of the same size.")
    return sum(counts), sum(v * c for v, c in zip(values, counts)), min(values), max(values)


def parse_dimensions(raw, where):
    dimensions = []
    for i, item in enumerate(raw or [], 1):
        name = text(item.get("Name"), f"{where}.member.{i}.Name", 255, required=True)
        # API_Dimension: names "cannot start with a colon (:)".
        if name.startswith(":"):
            raise invalid(f"The value {name} for parameter {where}.member.{i}.Name is invalid.")
        value = text(item.get("Value"), f"{where}.member.{i}.Value", 1024, required=True)
        dimensions.append((name, value))
    if len(dimensions) > MAX_DIMENSIONS:
        raise invalid(f"The collection {where} must not have a size greater than {MAX_DIMENSIONS}.")
    return tuple(dimensions)


def text(value, parameter, longest, required=False):
    """A CloudWatch name or value. API_Dimension: "must contain only ASCII characters and
    must include at least one non-whitespace character. ASCII control characters are not
    supported"."""
    if value is None and required:
        raise missing(parameter)
    if not isinstance(value, str) or not 1 <= len(value) <= longest or not value.strip() \
            or not value.isascii() or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise invalid(f"The value {value!r} for parameter {parameter} is invalid.")
    return value


def number(value, parameter, required=False):
    if value is None and required:
        raise missing(parameter)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(f"The value {value!r} for parameter {parameter} is invalid.")
    value = float(value)
    if not math.isfinite(value) or abs(value) > LARGEST or (value != 0.0 and abs(value) < SMALLEST):
        raise invalid(f"The value {value} for parameter {parameter} is invalid.")
    return value
