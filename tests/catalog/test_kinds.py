"""Every table kind read through `neuralake sql` and `neuralake serve` against DuckDB-Python.

Each kind holds the items data (conftest.py); each of the 16 filter operators (datarepo's 14 plus
starts/ends with) runs as a SQL WHERE clause and as the HTTP API's `col__op=` parameter, and the
matching ids must equal DuckDB-Python's answer over the same rows.
"""
import decimal
import urllib.parse

import pytest
from conftest import EVENTS_ROWS, N_ITEMS, sql_rows

ITEM_KINDS = ["items_delta", "items_parquet", "items_s3", "items_pg", "items_view"]

# (name, SQL condition, HTTP API filter)
ITEM_FILTERS = [
    ("=", "id = 7", "id__eq=7"),
    ("= partition", "region = 'eu'", "region=eu"),
    ("!=", "name != 'alpha-5'", "name__ne=alpha-5"),
    ("<", "amount < 25.50", "amount__lt=25.50"),
    ("<=", "ts <= TIMESTAMPTZ '2024-01-10 00:00:00+00'", "ts__lte=2024-01-10T00:00:00Z"),
    (">", "id > 240", "id__gt=240"),
    (">=", "amount >= 100.37", "amount__gte=100.37"),
    ("in", "name IN ('beta-4', 'gamma-5', 'nope')", "name__in=beta-4,gamma-5,nope"),
    ("not in", "id NOT IN (1, 2, 3, 250)", "id__notin=1,2,3,250"),
    ("contains", "contains(name, 'mm')", "name__contains=mm"),
    ("starts with", "starts_with(name, 'al')", "name__startswith=al"),
    ("ends with", "suffix(name, '-5')", "name__endswith=-5"),
    ("includes", "list_contains(tags, 'red')", "tags__includes=red"),
    ("includes any", "list_has_any(tags, ['black', 'blue'])", "tags__includes_any=black,blue"),
    ("includes all", "list_has_all(tags, ['red', 'blue'])", "tags__includes_all=red,blue"),
    ("is null", "name IS NULL", "name__isnull=1"),
    ("is not null", "tags IS NOT NULL", "tags__notnull=1"),
    ("and", "region = 'us' AND amount > 50 AND name IS NOT NULL",
     "region=us&amount__gt=50&name__notnull=1"),
]

# The function table (generated events) has no list columns: the scalar and string operators.
EVENT_FILTERS = [
    ("=", "country = 'DE'", "country=DE"),
    ("!=", "event_type != 'page_view'", "event_type__ne=page_view"),
    ("<", "event_id < 40", "event_id__lt=40"),
    ("<=", "revenue <= 15", "revenue__lte=15"),
    (">", "user_id > 9000", "user_id__gt=9000"),
    (">=", "event_time >= TIMESTAMPTZ '2026-01-01 00:00:00.004+00'",
     "event_time__gte=2026-01-01T00:00:00.004Z"),
    ("in", "country IN ('FR', 'JP')", "country__in=FR,JP"),
    ("not in", "device NOT IN ('desktop')", "device__notin=desktop"),
    ("contains", "contains(url, 'checkout')", "url__contains=checkout"),
    ("starts with", "starts_with(city, 'Ber')", "city__startswith=Ber"),
    ("ends with", "suffix(ip, '.7')", "ip__endswith=.7"),
    ("is null", "revenue IS NULL", "revenue__isnull=1"),
    ("is not null", "revenue IS NOT NULL", "revenue__notnull=1"),
]


def oracle_ids(lake, table, where, key="id"):
    return [r[0] for r in lake["oracle"].execute(
        f"SELECT {key} FROM app.{table} WHERE {where} ORDER BY {key}").fetchall()]


def neuralake_ids(lake, table, where, key="id"):
    rows = sql_rows(lake["catalog"], f"SELECT {key} FROM app.{table} WHERE {where} ORDER BY {key}")
    return [r[key] for r in rows]


def api_ids(server, table, api_filter, key="id", size=EVENTS_ROWS):
    status, body = server.get(f"/api/v1/tables/app/{table}?{api_filter}&_columns={key}"
                              f"&_sort={key}&_size={size}")
    assert status == 200, f"GET {table}?{api_filter}: {status} {body}"
    assert not body.get("next"), "every matching row fits one page"
    return [r[key] for r in body["rows"]]


# ---- the rows of each kind -----------------------------------------------------------------------

ITEM_COLUMNS = "id, name, amount, epoch_us(ts) AS ts_us, tags, region"


@pytest.mark.parametrize("table", ITEM_KINDS)
def test_every_row_and_value_equals_duckdb(lake, table):
    query = f"SELECT {ITEM_COLUMNS} FROM app.{table} ORDER BY id"
    expected = lake["oracle"].execute(query).fetchall()
    got = [tuple(r.values()) for r in sql_rows(lake["catalog"], query)]
    assert len(got) == len(expected) == (250 if table == "items_view" else N_ITEMS)
    assert got == expected


@pytest.mark.parametrize("table", ITEM_KINDS)
def test_aggregates_equal_duckdb(lake, table):
    query = (f"SELECT region, count(*) AS n, count(name) AS names, sum(amount) AS total, "
             f"epoch_us(max(ts)) AS t, sum(len(tags)) AS tag_count FROM app.{table} "
             "GROUP BY region ORDER BY region")
    expected = lake["oracle"].execute(query).fetchall()
    got = [tuple(r.values()) for r in sql_rows(lake["catalog"], query)]
    assert got == expected and len(got) == 3


def test_postgres_oracle_is_the_written_data(lake):
    """psycopg's copy of the PostgreSQL table is the data written (the oracle is not vacuous)."""
    assert [(r["id"], r["name"], r["amount"], r["ts"], r["tags"]) for r in lake["pg_rows"]] == \
        [(r["id"], r["name"], r["amount"], r["ts"], r["tags"]) for r in lake["rows"]]


EVENT_COLUMNS = ("event_id, epoch_us(event_time) AS t, user_id, session_id, event_type, url, "
                 "country, city, ip, device, user_agent, duration_ms, revenue")


def as_floats(row):
    """JSON numbers parsed as Decimal back to the doubles they were written from."""
    return tuple(float(v) if isinstance(v, decimal.Decimal) else v for v in row)


def test_function_table_equals_neuralake_generate(lake):
    """`{type: function, function: generate}` gives the rows `neuralake generate` writes (same
    preset, row count and default seed), and the same rows on a second read."""
    query = f"SELECT {EVENT_COLUMNS} FROM app.events_fn ORDER BY event_id"
    expected = lake["oracle"].execute(query).fetchall()
    first = [as_floats(r.values()) for r in sql_rows(lake["catalog"], query)]
    second = [as_floats(r.values()) for r in sql_rows(lake["catalog"], query)]
    assert len(expected) == EVENTS_ROWS
    assert first == second
    assert first == expected


def test_function_table_aggregates(lake):
    query = ("SELECT count(*), sum(event_id), sum(user_id), round(sum(revenue), 4), "
             "count(DISTINCT country), epoch_us(min(event_time)), epoch_us(max(event_time)), "
             "sum(length(user_agent)) FROM app.events_fn")
    expected = lake["oracle"].execute(query).fetchone()
    got = as_floats(sql_rows(lake["catalog"], query)[0].values())
    assert got[0] == EVENTS_ROWS and got == expected


# ---- filters through SQL ---------------------------------------------------------------------------

@pytest.mark.parametrize("name,where,api", ITEM_FILTERS, ids=[f[0] for f in ITEM_FILTERS])
def test_filter_cases_discriminate(lake, name, where, api):
    """Each case keeps some rows and drops others, so a wrong operator cannot pass unnoticed."""
    ids = oracle_ids(lake, "items_delta", where)
    assert 0 < len(ids) < N_ITEMS, (name, len(ids))


@pytest.mark.parametrize("table", ITEM_KINDS)
@pytest.mark.parametrize("name,where,api", ITEM_FILTERS, ids=[f[0] for f in ITEM_FILTERS])
def test_sql_filter_equals_duckdb(lake, table, name, where, api):
    assert neuralake_ids(lake, table, where) == oracle_ids(lake, table, where)


@pytest.mark.parametrize("name,where,api", EVENT_FILTERS, ids=[f[0] for f in EVENT_FILTERS])
def test_sql_filter_on_function_table_equals_duckdb(lake, name, where, api):
    expected = oracle_ids(lake, "events_fn", where, key="event_id")
    if name != "is null":  # the generator may write no NULL revenue: then IS NULL keeps nothing
        assert 0 < len(expected) < EVENTS_ROWS, (name, len(expected))
    assert neuralake_ids(lake, "events_fn", where, key="event_id") == expected


def test_or_of_and_lists_equals_duckdb(lake):
    where = "(region = 'eu' AND amount < 30) OR (list_contains(tags, 'black') AND id > 200)"
    for table in ITEM_KINDS:
        assert neuralake_ids(lake, table, where) == oracle_ids(lake, table, where), table


# ---- filters through the HTTP API -------------------------------------------------------------------

@pytest.mark.parametrize("table", ITEM_KINDS)
@pytest.mark.parametrize("name,where,api", ITEM_FILTERS, ids=[f[0] for f in ITEM_FILTERS])
def test_api_filter_equals_duckdb(lake, server, table, name, where, api):
    assert api_ids(server, table, api) == oracle_ids(lake, table, where)


@pytest.mark.parametrize("name,where,api", EVENT_FILTERS, ids=[f[0] for f in EVENT_FILTERS])
def test_api_filter_on_function_table_equals_duckdb(lake, server, name, where, api):
    assert api_ids(server, "events_fn", api, key="event_id") == \
        oracle_ids(lake, "events_fn", where, key="event_id")


@pytest.mark.parametrize("table", ITEM_KINDS)
def test_api_refuses_a_bad_value_naming_the_column(server, table):
    status, body = server.get(f"/api/v1/tables/app/{table}?id__gt=" + urllib.parse.quote("seven"))
    assert status == 422, (table, status, body)
    assert "'id'" in body["error"]["message"] or " id " in body["error"]["message"], body
