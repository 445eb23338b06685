"""Turning stored datums into CloudWatch datapoints: StartTime rounding, period
buckets, the five plain statistics, and GetMetricStatistics built on them.

Shared by GetMetricData (metric_data.py). Rules are from the Amazon CloudWatch API
Reference (API_GetMetricData, API_GetMetricStatistics, API_MetricStat), quoted where
applied.
"""

import math

from .metrics import MetricsError, invalid, missing, parse_dimensions, text

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
# API_MetricStat Period: "a period can be as short as one minute (60 seconds) and must be
# a multiple of 60 ... [for high-resolution metrics] the period can be 1, 5, 10, 20, 30,
# 60, or any multiple of 60."
HIGH_RESOLUTION_PERIODS = (1, 5, 10, 20, 30)
# API_GetMetricStatistics: "The maximum number of data points returned from a single
# call is 1,440. If you request more than 1,440 data points, CloudWatch returns an error."
MAX_STATISTICS_DATAPOINTS = 1440
DAY = 86400


def not_modelled(what):
    # 501 is not retried by the SDK, so a test using it fails at once with this message.
    return MetricsError("NotImplemented", f"the AWS emulator does not model {what}", 501)


def valid_period(period):
    if isinstance(period, bool) or not isinstance(period, int):
        return False
    return period in HIGH_RESOLUTION_PERIODS or (period >= 60 and period % 60 == 0)


def round_start(start, period, now):
    """API_GetMetricData StartTime: CloudWatch rounds the start down to the whole minute
    when it is less than 15 days ago, to 5 minutes between 15 and 63 days, to the hour
    beyond; "If you set Period to 5, 10, 20, or 30, the start time of your request is
    rounded down to the nearest time that corresponds to even 5-, 10-, 20-, or 30-second
    divisions of a minute"."""
    start = int(math.floor(start))
    if period < 60:
        return start - start % period
    age = now - start
    step = 60 if age < 15 * DAY else 300 if age < 63 * DAY else 3600
    return start - start % step


def buckets(datums, start, end, period):
    """{bucket start: [count, total, low, high, unit]} for the datums in [start, end).

    API_GetMetricData: StartTime "is inclusive", EndTime "is exclusive"; "CloudWatch
    aggregates data points based on the length of the period that you specify"
    (API_GetMetricStatistics). Buckets start at the (rounded) StartTime.
    """
    found = {}
    for d in datums:
        if not start <= d.t < end:
            continue
        at = start + (d.t - start) // period * period
        bucket = found.get(at)
        if bucket is None:
            found[at] = [d.count, d.total, d.low, d.high, d.unit]
        else:
            bucket[0] += d.count
            bucket[1] += d.total
            bucket[2] = min(bucket[2], d.low)
            bucket[3] = max(bucket[3], d.high)
    return found


def statistic(bucket, stat):
    """One statistic of a bucket; None when it has no value (an average of no samples)."""
    count, total, low, high = bucket[:4]
    if stat == "SampleCount":
        return count
    if stat == "Sum":
        return total
    if stat == "Minimum":
        return low
    if stat == "Maximum":
        return high
    return total / count if count else None


def get_metric_statistics(store, place, params, now):
    """The GetMetricStatistics answer from the same store as GetMetricData."""
    namespace = text(params.get("Namespace"), "Namespace", 255, required=True)
    name = text(params.get("MetricName"), "MetricName", 255, required=True)
    dimensions = parse_dimensions(params.get("Dimensions"), "Dimensions")
    start, end = _time(params, "StartTime"), _time(params, "EndTime")
    if start >= end:
        raise invalid("The parameter StartTime must be less than the parameter EndTime.")
    period = params.get("Period")
    if period is None:
        raise missing("Period")
    if not valid_period(period):
        raise invalid(f"The value {period} for parameter Period is invalid.")
    stats, extended = params.get("Statistics") or [], params.get("ExtendedStatistics") or []
    # API_GetMetricStatistics: "you must specify either Statistics or
    # ExtendedStatistics, but not both."
    if bool(stats) == bool(extended):
        raise MetricsError("InvalidParameterCombination",
                           "Exactly one of the parameters Statistics or ExtendedStatistics must be given.")
    if extended:
        raise not_modelled("percentile statistics (ExtendedStatistics)")
    for stat in stats:
        if stat not in STATISTICS:
            raise invalid(f"The value {stat} for parameter Statistics is invalid.")
    start = round_start(start, period, now)
    wanted = math.ceil((end - start) / period)
    if wanted > MAX_STATISTICS_DATAPOINTS:
        raise MetricsError("InvalidParameterCombination",
                           f"You have requested up to {wanted} datapoints, which exceeds the limit of "
                           f"{MAX_STATISTICS_DATAPOINTS}.")
    found = buckets(store.datums(place, namespace, name, dimensions, params.get("Unit")), start, end, period)
    datapoints = []
    # API_GetMetricStatistics: "Data points are not returned in chronological order."
    # A fixed shuffle, so a client that relies on the order fails every time.
    for at in sorted(found, key=lambda t: (t * 2654435761) % 4294967296):
        point = {"Timestamp": at, "Unit": found[at][4]}
        for stat in stats:
            value = statistic(found[at], stat)
            if value is not None:
                point[stat] = value
        datapoints.append(point)
    return {"Label": name, "Datapoints": datapoints}


def _time(params, name):
    value = params.get(name)
    if value is None:
        raise missing(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(f"The parameter {name} must be a timestamp.")
    return float(value)
