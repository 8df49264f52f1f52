"""The type matrix's data: one column per Delta type (and nested combinations), rows with edge
values and nulls at every level; plus the oracles that turn Arrow values into what our JSON and
CSV encodings must say (docs/sql.md, "Output formats")."""
import base64
import datetime as dt
import math
import struct
from decimal import Decimal

import pyarrow as pa

UTC = dt.timezone.utc

DEC38 = pa.decimal128(38, 10)
ST = pa.struct([("a", pa.int32()), ("b", pa.string()), ("c", pa.list_(pa.int64())),
                ("dec", DEC38), ("t", pa.timestamp("us", tz="UTC"))])
LST_ST = pa.list_(pa.struct([("x", pa.float64()), ("y", pa.string())]))
ST_LM = pa.struct([("l", pa.list_(pa.string())), ("m", pa.map_(pa.string(), pa.float64()))])

SCHEMA = pa.schema([
    ("id", pa.int64()),
    ("b", pa.int8()),
    ("s", pa.int16()),
    ("i", pa.int32()),
    ("l", pa.int64()),
    ("f", pa.float32()),
    ("d", pa.float64()),
    ("dec", DEC38),
    ("dec_small", pa.decimal128(5, 2)),
    ("str", pa.string()),
    ("bin", pa.binary()),
    ("bool", pa.bool_()),
    ("date", pa.date32()),
    ("ts", pa.timestamp("us", tz="UTC")),
    ("ntz", pa.timestamp("us")),
    ("st", ST),
    ("lst", pa.list_(pa.int64())),
    ("mp", pa.map_(pa.string(), pa.int32())),
    ("mp_int", pa.map_(pa.int32(), pa.string())),
    ("lst_st", LST_ST),
    ("st_lm", ST_LM),
])

D38 = Decimal("9999999999999999999999999999.9999999999")

ROWS = [
    dict(id=0, b=1, s=2, i=3, l=4, f=1.5, d=0.1,
         dec=Decimal("1234567890123456789012345678.0123456789"), dec_small=Decimal("12.50"),
         str="héllo wörld ✓ 😀 中文", bin=b"\x00\xff\xde\xad\\x", bool=True,
         date=dt.date(2024, 2, 29),
         ts=dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
         ntz=dt.datetime(2024, 1, 2, 3, 4, 5, 123456),
         st=dict(a=1, b="x", c=[1, None], dec=D38,
                 t=dt.datetime(2024, 1, 2, 3, 4, 5, 1, tzinfo=UTC)),
         lst=[1, None, 3], mp=[("k", 1), ("z", None)], mp_int=[(1, "x"), (2, None)],
         lst_st=[dict(x=1.5, y="a"), None, dict(x=None, y=None)],
         st_lm=dict(l=["a", None], m=[("q", 1.5), ("n", None), ("nan", math.nan)])),
    dict(id=1, b=None, s=None, i=None, l=None, f=None, d=None, dec=None, dec_small=None,
         str=None, bin=None, bool=None, date=None, ts=None, ntz=None, st=None, lst=None,
         mp=None, mp_int=None, lst_st=None, st_lm=None),
    dict(id=2, b=-128, s=-32768, i=-2147483648, l=-9223372036854775808, f=math.nan,
         d=math.inf, dec=Decimal("-9999999999999999999999999999.9999999999"),
         dec_small=Decimal("-999.99"), str="", bin=b"", bool=False,
         date=dt.date(1, 1, 1),
         ts=dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
         ntz=dt.datetime(1900, 1, 1, 0, 0, 0),
         st=dict(a=None, b=None, c=None, dec=None, t=None),
         lst=[], mp=[], mp_int=[], lst_st=[], st_lm=dict(l=None, m=None)),
    dict(id=3, b=127, s=32767, i=2147483647, l=9223372036854775807, f=-math.inf,
         d=-math.inf, dec=Decimal("0.0000000001"), dec_small=Decimal("0.00"), str="NULL",
         bin=b"NULL", bool=None, date=dt.date(9999, 12, 31),
         ts=dt.datetime(2262, 4, 11, 23, 47, 16, 854775, tzinfo=UTC),
         ntz=dt.datetime(1970, 1, 1, 0, 0, 0, 1),
         st=dict(a=-1, b="NULL", c=[], dec=Decimal("-0.5"), t=None),
         lst=[None], mp=[("NULL", 0), ("", 5)], mp_int=[(-7, "")],
         lst_st=[dict(x=-0.0, y="")], st_lm=dict(l=[], m=[])),
    dict(id=4, b=0, s=0, i=0, l=0, f=3.4028234663852886e38, d=5e-324,
         dec=Decimal("-0.0000000001"), dec_small=Decimal("1.05"),
         str='with "quotes", commas\nand a newline\ttab \\ backslash', bin=b"a,b\n\"c\"",
         bool=True, date=dt.date(1970, 1, 1),
         ts=dt.datetime(1970, 1, 1, 0, 0, 0, tzinfo=UTC),
         ntz=dt.datetime(2024, 12, 31, 23, 59, 59, 999999),
         st=dict(a=0, b="", c=[None], dec=Decimal("0"), t=dt.datetime(2000, 1, 1, tzinfo=UTC)),
         lst=[-1], mp=[("k", -1)], mp_int=[(0, "zero")], lst_st=None,
         st_lm=dict(l=["x,y", "\"q\""], m=[("inf", math.inf), ("-inf", -math.inf)])),
]


def table():
    return pa.Table.from_pylist(ROWS, schema=SCHEMA)


# ---- normalized Python values (what every reader must agree on) ----

class Nan:
    """NaN that equals itself, so rows compare with ==."""

    def __eq__(self, other):
        return isinstance(other, Nan)

    def __repr__(self):
        return "NaN"


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def norm(value, type_):
    """An Arrow-typed Python value (as pyarrow's to_pylist gives it) in comparable form."""
    if value is None:
        return None
    if pa.types.is_floating(type_):
        value = float(value)
        if math.isnan(value):
            return Nan()
        if math.isinf(value):
            return value
        if type_ == pa.float32():
            value = f32(value)
        return ("-0" if math.copysign(1, value) < 0 and value == 0 else value)
    if pa.types.is_decimal(type_):
        return Decimal(value)
    if pa.types.is_timestamp(type_):
        if type_.tz is not None:
            assert value.tzinfo is not None, f"{value!r} has no time zone"
            return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
        assert value.tzinfo is None, f"{value!r} has a time zone"
        return value.isoformat()
    if pa.types.is_date(type_):
        return value.isoformat()
    if pa.types.is_struct(type_):
        return {type_.field(i).name: norm(value.get(type_.field(i).name), type_.field(i).type)
                for i in range(type_.num_fields)}
    if pa.types.is_map(type_):
        items = value.items() if isinstance(value, dict) else value
        return {norm(k, type_.key_type): norm(v, type_.item_type) for k, v in items}
    if pa.types.is_list(type_) or pa.types.is_large_list(type_):
        return [norm(v, type_.value_type) for v in value]
    if pa.types.is_binary(type_) or pa.types.is_large_binary(type_):
        return bytes(value)
    if pa.types.is_integer(type_):
        return int(value)
    return value


def norm_rows(rows, schema=SCHEMA):
    out = [{f.name: norm(row.get(f.name), f.type) for f in schema} for row in rows]
    return sorted(out, key=lambda r: r["id"])


def expected_rows():
    return norm_rows(ROWS)


def arrow_rows(arrow_table):
    """Rows of any Arrow table (delta-rs, DuckDB, pyarrow) normalized with OUR schema's types."""
    return norm_rows(arrow_table.to_pylist())


# ---- decoding our JSON encoding, checking that every value has the documented JSON type ----

def strict_loads(line):
    """json.loads that refuses NaN/Infinity literals and keeps numbers exact."""

    def refuse(name):
        raise ValueError(f"non-JSON constant {name} in {line[:200]!r}")

    return __import__("json").loads(line, parse_float=Decimal, parse_int=int,
                                     parse_constant=refuse)


def from_json(value, type_):
    """A value of our JSON encoding -> the normalized form of `norm`."""
    if value is None:
        return None
    if pa.types.is_floating(type_):
        if isinstance(value, str):
            assert value in ("NaN", "Infinity", "-Infinity"), value
            return norm(float(value), type_)
        assert isinstance(value, (Decimal, int)) and not isinstance(value, bool), repr(value)
        return norm(float(value), type_)
    if pa.types.is_decimal(type_):
        assert isinstance(value, (Decimal, int)) and not isinstance(value, bool), repr(value)
        return Decimal(value)
    if pa.types.is_integer(type_):
        assert isinstance(value, int) and not isinstance(value, bool), repr(value)
        return value
    if pa.types.is_boolean(type_):
        assert isinstance(value, bool), repr(value)
        return value
    if pa.types.is_string(type_):
        assert isinstance(value, str), repr(value)
        return value
    if pa.types.is_binary(type_):
        assert isinstance(value, str), repr(value)
        return base64.b64decode(value, validate=True)
    if pa.types.is_date(type_):
        assert isinstance(value, str), repr(value)
        return dt.date.fromisoformat(value).isoformat()
    if pa.types.is_timestamp(type_):
        assert isinstance(value, str), repr(value)
        if type_.tz is not None:
            assert value.endswith("Z"), value
            return dt.datetime.fromisoformat(value[:-1]).isoformat() + "Z"
        assert not value.endswith("Z"), value
        return dt.datetime.fromisoformat(value).isoformat()
    if pa.types.is_struct(type_):
        assert isinstance(value, dict), repr(value)
        assert list(value) == [type_.field(i).name for i in range(type_.num_fields)], value
        return {k: from_json(v, type_.field(k).type) for k, v in value.items()}
    if pa.types.is_map(type_):
        assert isinstance(value, dict), repr(value)
        key = (lambda k: int(k)) if pa.types.is_integer(type_.key_type) else (lambda k: k)
        return {key(k): from_json(v, type_.item_type) for k, v in value.items()}
    if pa.types.is_list(type_):
        assert isinstance(value, list), repr(value)
        return [from_json(v, type_.value_type) for v in value]
    raise AssertionError(f"unexpected type {type_}")


def json_rows(text, schema=SCHEMA):
    """Our JSON lines -> normalized rows (every line strictly parsed, every value type-checked)."""
    rows = []
    for line in text.splitlines():
        assert line.strip(), "blank line in JSON lines output"
        obj = strict_loads(line)
        assert isinstance(obj, dict) and list(obj) == schema.names, obj
        rows.append({f.name: from_json(obj[f.name], f.type) for f in schema})
    return sorted(rows, key=lambda r: r["id"])


# ---- CSV: RFC 4180 with NULL = an empty unquoted field, '' = "" ----

def parse_csv(text):
    """Records of fields; None for an empty unquoted field."""
    records, fields, i, n = [], [], 0, len(text)
    while i < n:
        if text[i] == '"':
            i += 1
            value = []
            while True:
                j = text.index('"', i)
                value.append(text[i:j])
                if j + 1 < n and text[j + 1] == '"':
                    value.append('"')
                    i = j + 2
                    continue
                i = j + 1
                break
            fields.append("".join(value))
        else:
            j = i
            while j < n and text[j] not in ",\n":
                j += 1
            fields.append(text[i:j] if j > i else None)
            i = j
        if i >= n or text[i] == "\n":
            records.append(fields)
            fields = []
            i += 1
        else:
            assert text[i] == ",", text[i - 20:i + 20]
            i += 1
    return records


def duckdb_blob(text):
    r"""DuckDB's BLOB text (\xNN escapes) -> bytes."""
    out, i = bytearray(), 0
    while i < len(text):
        if text.startswith("\\x", i):
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            out += text[i].encode()
            i += 1
    return bytes(out)


def from_csv(value, type_):
    if value is None:
        return None
    if pa.types.is_struct(type_) or pa.types.is_map(type_) or pa.types.is_list(type_):
        return from_json(strict_loads(value), type_)
    if pa.types.is_floating(type_):
        return norm(float(value), type_)
    if pa.types.is_decimal(type_):
        return Decimal(value)
    if pa.types.is_integer(type_):
        return int(value)
    if pa.types.is_boolean(type_):
        assert value in ("true", "false"), value
        return value == "true"
    if pa.types.is_binary(type_):
        return duckdb_blob(value)
    if pa.types.is_timestamp(type_) or pa.types.is_date(type_):
        return from_json(value, type_)
    return value


def csv_rows(text, schema=SCHEMA):
    records = parse_csv(text)
    assert records[0] == schema.names, records[0]
    rows = [{f.name: from_csv(rec[k], f.type) for k, f in enumerate(schema)} for rec in records[1:]]
    return sorted(rows, key=lambda r: r["id"])
