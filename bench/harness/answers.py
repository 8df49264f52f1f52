"""Engine answers: normalization, checksums and comparison (PROTOCOL.md, "Checksums").

Engines disagree on representation, not on answers: DECIMAL vs double, a timestamp with a `T`
or a space, `Z` or `+00:00` or none, row order among ties. An answer is normalized before it is
hashed: numbers to floats rounded to 9 significant digits, timestamps to UTC
`YYYY-MM-DD HH:MM:SS.ffffff`, rows sorted. Equal checksums mean equal answers; different
checksums are compared again value by value with a relative tolerance (floating sums in a
different order differ in the last digits; a DECIMAL average has fewer digits than a double),
so only a real difference is called wrong.
"""
import datetime
import hashlib
import json
import math
import re

_TIMESTAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}(?::?\d{2})?)?$")
REL_TOLERANCE = 1e-9


def _timestamp(text):
    m = _TIMESTAMP.match(text)
    if not m:
        return None
    day, clock, fraction, zone = m.groups()
    micros = (fraction or ".0")[1:7].ljust(6, "0")
    value = datetime.datetime.fromisoformat(f"{day} {clock}.{micros}")
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        value -= sign * offset
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def normalize_value(value):
    """A JSON cell -> a comparable, hashable value (float, str, bool, None, tuple)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        if value in ("NaN", "nan"):
            return float("nan")
        if value in ("Infinity", "inf"):
            return float("inf")
        if value in ("-Infinity", "-inf"):
            return float("-inf")
        stamp = _timestamp(value)
        return stamp if stamp is not None else value
    if isinstance(value, list):
        return tuple(normalize_value(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, normalize_value(v)) for k, v in value.items()))
    return str(value)


def _rounded(value):
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return repr(value)
        if value == 0:
            return "0"
        return f"{value:.9g}"
    if isinstance(value, tuple):
        return "(" + ",".join(_rounded(v) for v in value) + ")"
    return json.dumps(value)


def _sort_key(row):
    # None sorts first, numbers before text; the key is the rounded rendering per cell.
    return tuple((v is not None, isinstance(v, str), _rounded(v)) for v in row)


def normalize(answer):
    """{"columns", "rows"} -> sorted list of tuples of normalized cells."""
    rows = [tuple(normalize_value(v) for v in row) for row in answer.get("rows", [])]
    rows.sort(key=_sort_key)
    return rows


def checksum(rows):
    text = "\n".join("|".join(_rounded(v) for v in row) for row in rows)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _decimals(value):
    """Digits after the point in the shortest text of a float (0.049601 -> 6)."""
    text = repr(value)
    if "e" in text or "." not in text:
        return None
    return len(text.split(".")[1])


def _close(a, b):
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=1e-9):
            return True
        # A DECIMAL result (AVG of a DECIMAL(15,2) is DECIMAL(19,6) in DataFusion and Spark, a
        # double in DuckDB) agrees when the difference is below one unit of its last digit.
        scales = [d for d in (_decimals(a), _decimals(b)) if d is not None and d <= 9]
        return bool(scales) and abs(a - b) <= 10.0 ** -min(scales) * 1.000001
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == b


def compare(reference, other):
    """None when the normalized answers agree (within the tolerance), else a one-line reason."""
    if len(reference) != len(other):
        return f"{len(other)} rows, the reference has {len(reference)}"
    for index, (a, b) in enumerate(zip(reference, other)):
        if len(a) != len(b):
            return f"row {index}: {len(b)} columns, the reference has {len(a)}"
        for column, (x, y) in enumerate(zip(a, b)):
            if not _close(x, y):
                return f"row {index} column {column}: {y!r}, the reference has {x!r}"
    return None


def load(path):
    with open(path) as f:
        return json.load(f)
