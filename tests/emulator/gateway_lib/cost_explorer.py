"""Cost Explorer's GetCostAndUsage and GetDimensionValues over billed line items the
tests set (moto's own `ce` answers queued results whatever the request asks, so it
cannot model the time period, the filter, grouping or paging the monitor relies on).

Each rule below follows the Cost Explorer API Reference (API_GetCostAndUsage,
API_GetDimensionValues, API_DateInterval, API_ResultByTime, API_Group):
- DateInterval: "The start date is inclusive" and "The end date is exclusive";
  Start must be before End.
- DAILY granularity: one ResultByTime per day of the interval, each with its
  TimePeriod, Groups, Total and Estimated ("Determines whether the result is estimated").
- GroupBy: "You can group AWS costs using up to two different groups", each
  {Type: DIMENSION, Key}; a Group's Keys are "The keys that are included in this group"
  in the GroupBy order, and Metrics maps each requested metric to {Amount, Unit}.
  With GroupBy, Total is empty.
- Filter: a Dimensions expression lists Values "combined with OR"; for GetCostAndUsage
  MatchOptions apply only to cost categories, so values match exactly. API_Expression:
  And "Return results that match both Dimension objects". LINKED_ACCOUNT is the member
  account that used the service: a management account's Cost Explorer shows every
  member's usage; each seeded line names its `linked_account` (default: the account it
  was seeded into).
- NextPageToken: "The token for the next set of retrievable results. AWS provides the
  token when the response from a previous call has more results than the maximum page
  size." The page size is not documented: the emulator's is settable (default 100 groups).
- GetDimensionValues: the values of a dimension with usage in the interval whose value
  contains SearchString; DimensionValues with Value and Attributes, ReturnSize, TotalSize.
- An account without Cost Explorer access is refused with AccessDeniedException
  ("User not enabled for cost explorer access", the message AWS returns).
Amounts are kept and returned as the decimal strings they were set with, as AWS
returns amounts as strings.
"""

import base64
import datetime
import decimal
import json
import threading

GROUP_KEYS = {"SERVICE": "service", "USAGE_TYPE": "usage_type", "REGION": "region", "LINKED_ACCOUNT": "linked_account"}
METRICS = {"UNBLENDEDCOST": "UnblendedCost", "USAGEQUANTITY": "UsageQuantity"}


class CostExplorerError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _date(text, field):
    try:
        return datetime.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise CostExplorerError("ValidationException", f"{field} is not a date (YYYY-MM-DD): {text!r}") from None


def _interval(params):
    period = params.get("TimePeriod") or {}
    start, end = _date(period.get("Start"), "TimePeriod.Start"), _date(period.get("End"), "TimePeriod.End")
    if start >= end:
        raise CostExplorerError("ValidationException", "Start date must be before end date")
    return start, end


class CostExplorer:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.lines = {}  # account -> [line]
            self.disabled = set()
            self.page_size = 100

    def seed(self, account, document):
        """Replaces every line of the days the new lines name (a day's bill as it now stands)."""
        lines = document.get("lines")
        if not isinstance(lines, list):
            raise ValueError('body must be {"lines": [...]}')
        parsed = [self._line(line, account) for line in lines]
        days = {line["day"] for line in parsed} | {_date(d, "days") for d in document.get("days", [])}
        with self.lock:
            kept = [line for line in self.lines.get(account, []) if line["day"] not in days]
            self.lines[account] = kept + parsed
        return len(parsed)

    def settings(self, account, document):
        with self.lock:
            if "enabled" in document:
                (self.disabled.discard if document["enabled"] else self.disabled.add)(account)
            if "page_size" in document:
                self.page_size = max(1, int(document["page_size"]))

    @staticmethod
    def _line(line, account):
        for field in ("day", "service", "usage_type", "usd", "quantity"):
            if field not in line:
                raise ValueError(f"a line needs {field}")
        decimal.Decimal(line["usd"]), decimal.Decimal(line["quantity"])  # refuse what is not a number
        return {
            "day": _date(line["day"], "day"),
            "service": line["service"],
            "usage_type": line["usage_type"],
            "region": line.get("region", "us-east-1"),
            "linked_account": str(line.get("linked_account", account)),
            "usd": str(line["usd"]),
            "quantity": str(line["quantity"]),
            "unit": line.get("unit", "N/A"),
            "estimated": bool(line.get("estimated", False)),
        }

    def _lines(self, account):
        if account in self.disabled:
            raise CostExplorerError("AccessDeniedException", "User not enabled for cost explorer access")
        return list(self.lines.get(account, []))

    def get_dimension_values(self, account, params):
        start, end = _interval(params)
        key = GROUP_KEYS.get(params.get("Dimension", ""))
        if key is None:
            raise CostExplorerError("ValidationException", f"unsupported Dimension {params.get('Dimension')!r}")
        search = (params.get("SearchString") or "").lower()
        with self.lock:
            lines = self._lines(account)
        values = sorted({l[key] for l in lines if start <= l["day"] < end and search in l[key].lower()})
        return {
            "DimensionValues": [{"Value": v, "Attributes": {}} for v in values],
            "ReturnSize": len(values),
            "TotalSize": len(values),
        }

    def get_cost_and_usage(self, account, params):
        start, end = _interval(params)
        if params.get("Granularity") != "DAILY":
            raise CostExplorerError("ValidationException", "the emulator answers DAILY granularity only")
        metrics = [METRICS.get(str(m).upper()) for m in params.get("Metrics") or []]
        if not metrics or None in metrics:
            raise CostExplorerError("ValidationException", f"unsupported Metrics {params.get('Metrics')!r}")
        group_by = params.get("GroupBy") or []
        if len(group_by) > 2 or any(g.get("Type") != "DIMENSION" or g.get("Key") not in GROUP_KEYS for g in group_by):
            raise CostExplorerError("ValidationException", "GroupBy: up to two DIMENSION groups")
        keep = _filter(params.get("Filter"))
        with self.lock:
            lines, page_size = self._lines(account), self.page_size
        groups = {}  # (day, keys) -> {metric: Decimal}, and each day's estimated flag
        estimated = {}
        for line in lines:
            if not (start <= line["day"] < end) or not keep(line):
                continue
            keys = tuple(line[GROUP_KEYS[g["Key"]]] for g in group_by)
            sums = groups.setdefault((line["day"], keys), {"UnblendedCost": decimal.Decimal(0), "UsageQuantity": decimal.Decimal(0), "unit": line["unit"]})
            sums["UnblendedCost"] += decimal.Decimal(line["usd"])
            sums["UsageQuantity"] += decimal.Decimal(line["quantity"])
            estimated[line["day"]] = estimated.get(line["day"], False) or line["estimated"]
        ordered = sorted(groups.items())
        offset = _offset(params.get("NextPageToken"))
        page = ordered[offset:offset + page_size]
        days = [start + datetime.timedelta(days=n) for n in range((end - start).days)]
        if offset:
            days = sorted({day for (day, _), _ in page})
        results = []
        for day in days:
            day_groups = [
                {"Keys": list(keys), "Metrics": {m: _amount(m, sums) for m in metrics}}
                for (d, keys), sums in page if d == day
            ]
            results.append({
                "TimePeriod": {"Start": day.isoformat(), "End": (day + datetime.timedelta(days=1)).isoformat()},
                "Total": {},
                "Groups": day_groups,
                "Estimated": estimated.get(day, False),
            })
        answer = {"GroupDefinitions": group_by, "ResultsByTime": results, "DimensionValueAttributes": []}
        if offset + page_size < len(ordered):
            answer["NextPageToken"] = base64.b64encode(json.dumps({"offset": offset + page_size}).encode()).decode()
        return answer


def _amount(metric, sums):
    unit = "USD" if metric == "UnblendedCost" else sums["unit"]
    return {"Amount": str(sums[metric]), "Unit": unit}


def _offset(token):
    if not token:
        return 0
    try:
        return int(json.loads(base64.b64decode(token))["offset"])
    except (ValueError, KeyError, TypeError):
        raise CostExplorerError("InvalidNextTokenException", "The pagination token is invalid") from None


def _filter(expression):
    if not expression:
        return lambda line: True
    if set(expression) == {"And"}:
        parts = [_filter(e) for e in expression["And"] or []]
        if len(parts) < 2:
            raise CostExplorerError("ValidationException", "And needs at least two expressions")
        return lambda line: all(p(line) for p in parts)
    dims = expression.get("Dimensions")
    if not dims or set(expression) - {"Dimensions"}:
        raise CostExplorerError("ValidationException", "the emulator filters on Dimensions expressions and their And")
    field = GROUP_KEYS.get(dims.get("Key"))
    if field is None:
        raise CostExplorerError("ValidationException", f"unsupported filter Key {dims.get('Key')!r}")
    values = set(dims.get("Values") or [])
    return lambda line: line[field] in values
