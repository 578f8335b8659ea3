"""5-field cron syntax (SPEC 6.7): minute hour day-of-month month day-of-week.

Accepts numbers, ranges `a-b`, lists `a,b`, `*`, steps `*/n` and `a-b/n`, and month/day names
(the portable subset that Argo, Kubeflow and EventBridge all translate). Macros such as
`@daily` are rejected with their 5-field spelling as the fix.
"""

from __future__ import annotations

import re

FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day-of-month", 1, 31), ("month", 1, 12),
          ("day-of-week", 0, 7))
MONTHS = {m: i + 1 for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())}
DAYS = {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split())}
MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
          "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
          "@hourly": "0 * * * *"}
_ITEM = re.compile(r"(\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:/(\d+))?\Z")


def cron_fields(expr: str) -> list[str]:
    return expr.split()


def cron_problem(expr: str) -> str | None:
    """None if `expr` is valid, else what is wrong with it."""
    if expr.strip() in MACROS:
        return f"macros are not portable; write \"{MACROS[expr.strip()]}\""
    fields = expr.split()
    if len(fields) != 5:
        return f"expected 5 fields, got {len(fields)}"
    for text, (name, lo, hi) in zip(fields, FIELDS):
        names = MONTHS if name == "month" else DAYS if name == "day-of-week" else {}
        for item in text.split(","):
            problem = _item_problem(item, name, lo, hi, names)
            if problem:
                return problem
    return None


def _item_problem(item: str, name: str, lo: int, hi: int, names: dict[str, int]) -> str | None:
    m = _ITEM.match(item)
    if not m:
        return f"'{item}' is not valid in the {name} field"
    body, step = m.group(1), m.group(2)
    if step is not None and int(step) == 0:
        return f"step 0 in the {name} field"
    if body == "*":
        return None
    bounds = body.split("-")
    values = []
    for b in bounds:
        if b.isdigit():
            values.append(int(b))
        elif b.upper() in names:
            values.append(names[b.upper()])
        else:
            return f"'{b}' is not valid in the {name} field"
    for v in values:
        if not lo <= v <= hi:
            return f"{v} is out of range {lo}-{hi} for the {name} field"
    if len(values) == 2 and values[0] > values[1]:
        return f"range {body} runs backwards in the {name} field"
    return None


def restricts(field: str) -> bool:
    """Does a day field restrict anything (anything but `*` or `?`)?"""
    return field not in ("*", "?")
