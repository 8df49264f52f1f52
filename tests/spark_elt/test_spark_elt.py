"""The Spark ELT job (spark/elt.py) on a real Bronze table, checked against DuckDB-Python.

Bronze is written the production way: `neuralake produce` -> Kafka -> `neuralake ingest`, in two
ingest runs so that the second one's rows are ingested later: generator events first, then
re-sent copies of some of them (duplicate event_ids, at new offsets), hand-written bad rows of
every rejection rule, rows that only cleaning makes valid (" de ", "Mobile") and events of other
days. The job runs in-process on a local[2] SparkSession (tests/spark_support/nlspark.py). Silver,
rejects and gold, read back with delta-rs, must equal the same transformation written
independently as DuckDB SQL over the Bronze rows (read with delta-rs too). A second run over the
same Bronze must change nothing: no new version of any table, the same rows.
"""
import json
import math
import os
import subprocess
import sys
import uuid

import duckdb
import pyarrow
import pytest
from deltalake import DeltaTable
from nltest import binary, cli_env, delta_rs_storage_options

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "spark_support"))
sys.path.insert(0, os.path.join(REPO, "spark"))
import elt  # noqa: E402
import nlspark  # noqa: E402

RUN = uuid.uuid4().hex[:8]
ROOT = f"s3://lake/spark-elt-{RUN}"
TABLES = {name: f"{ROOT}/{name}" for name in ("bronze", "silver", "rejects", "gold")}
STORAGE = delta_rs_storage_options()
BASE_EVENTS = 3000

# Hand-written messages of the second ingest run. Event ids from 900000 up, except the re-sent
# ones. Each bad row breaks exactly one rule (comment: the rule the oracle must name).
EXTRA = [
    {"event_id": None, "event_time": "2026-01-02T10:00:00Z", "user_id": 1, "event_type": "click",
     "country": "DE", "device": "mobile"},                                       # event_id null
    {"event_id": 900001, "event_time": None, "user_id": 1, "event_type": "click",
     "country": "DE", "device": "mobile"},                                       # event_time null
    {"event_id": 900002, "event_time": "2026-01-02T10:00:02Z", "user_id": None,
     "event_type": "click", "country": "DE", "device": "mobile"},                # user_id null
    {"event_id": 900003, "event_time": "2026-01-02T10:00:03Z", "user_id": 3, "event_type": "refund",
     "country": "DE", "device": "mobile"},                                       # event_type
    {"event_id": 900004, "event_time": "2026-01-02T10:00:04Z", "user_id": 4, "event_type": "click",
     "country": "Germany", "device": "mobile"},                                  # country
    {"event_id": 900005, "event_time": "2026-01-02T10:00:05Z", "user_id": 5, "event_type": "click",
     "country": None, "device": "mobile"},                                       # country
    {"event_id": 900006, "event_time": "2026-01-02T10:00:06Z", "user_id": 6, "event_type": "click",
     "country": "FR", "device": "watch"},                                        # device
    {"event_id": 900007, "event_time": "2026-01-02T10:00:07Z", "user_id": 7,
     "event_type": "purchase", "country": "FR", "device": "tablet", "revenue": -3.5},  # revenue
    {"event_id": 900008, "event_time": "2026-01-02T10:00:08Z", "user_id": 8, "event_type": "click",
     "country": "FR", "device": "tablet", "duration_ms": -1.0},                  # duration
    # Valid once cleaned, on other days (new silver partitions and gold rows).
    {"event_id": 900010, "event_time": "2026-01-02T23:59:59.999Z", "user_id": 10,
     "session_id": 77, "event_type": " Purchase ", "country": " de ", "device": "Mobile",
     "duration_ms": 10.0, "revenue": 12.25},
    {"event_id": 900011, "event_time": "2026-01-03T00:00:00Z", "user_id": 10, "session_id": 77,
     "event_type": "purchase", "country": "DE", "device": "mobile", "revenue": 7.75},
    {"event_id": 900012, "event_time": "2026-01-03T08:00:00Z", "user_id": 11, "session_id": 78,
     "event_type": "signup", "country": "jp", "device": "desktop"},
    # A re-sent event whose second copy differs: the later ingested one must win in silver.
    {"event_id": 17, "event_time": "2026-01-03T09:00:00Z", "user_id": 99, "session_id": 5,
     "event_type": "purchase", "country": "BR", "device": "tablet", "revenue": 100.0},
    # The same bad row twice (two offsets): two rejects rows.
    {"event_id": 900020, "event_time": "2026-01-02T11:00:00Z", "user_id": 20, "event_type": "oops",
     "country": "US", "device": "mobile"},
    {"event_id": 900020, "event_time": "2026-01-02T11:00:00Z", "user_id": 20, "event_type": "oops",
     "country": "US", "device": "mobile"},
]


def cli(*args):
    proc = subprocess.run([binary(), *args], capture_output=True, text=True, env=cli_env(),
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def bronze(tmp_path_factory):
    topic = f"spark-elt-{RUN}"
    ingest = ("ingest", "--topic", topic, "--table", TABLES["bronze"], "--schema", "events",
              "--group", f"g-{topic}", "--stop-at-end", "--status-interval", "60s")
    cli("produce", "--topic", topic, "--count", str(BASE_EVENTS), "--schema", "events",
        "--key", "user_id", "--seed", "11")
    cli(*ingest)
    # Re-sent copies of events 1000..1499 (same payloads, new offsets), then the hand-written rows.
    cli("produce", "--topic", topic, "--count", "500", "--first-row", "1000", "--schema",
        "events", "--key", "user_id", "--seed", "11")
    extra = tmp_path_factory.mktemp("bronze") / "extra.jsonl"
    extra.write_text("".join(json.dumps(row) + "\n" for row in EXTRA))
    cli("produce", "--topic", topic, "--from-file", str(extra))
    cli(*ingest)
    rows = DeltaTable(TABLES["bronze"], storage_options=STORAGE).to_pyarrow_table()
    assert rows.num_rows == BASE_EVENTS + 500 + len(EXTRA)
    return rows


@pytest.fixture(scope="module")
def spark():
    session = nlspark.spark_session("spark-elt-test")
    print(f"spark session start-up: {nlspark.last_startup_seconds:.1f} s")
    yield session
    session.stop()


def oracle(bronze_rows):
    """Silver, rejects and gold computed by DuckDB from the Bronze rows."""
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    db.register("bronze", bronze_rows)
    db.execute("""
      CREATE TABLE classified AS
      WITH cleaned AS (
        SELECT event_id, event_time, user_id, session_id, lower(trim(event_type)) AS event_type,
               upper(trim(country)) AS country, trim(city) AS city, lower(trim(device)) AS device,
               url, duration_ms, revenue, _kafka_partition, _kafka_offset, _ingested_at
        FROM bronze)
      SELECT *, CASE
        WHEN event_id IS NULL THEN 'event_id is null'
        WHEN event_time IS NULL THEN 'event_time is null'
        WHEN user_id IS NULL THEN 'user_id is null'
        WHEN event_type IS NULL OR event_type NOT IN ('page_view', 'click', 'search', 'add_to_cart',
             'checkout', 'purchase', 'signup', 'logout') THEN 'unknown event_type'
        WHEN country IS NULL OR NOT regexp_full_match(country, '[A-Z]{2}') THEN 'bad country'
        WHEN device IS NULL OR device NOT IN ('desktop', 'mobile', 'tablet') THEN 'unknown device'
        WHEN revenue < 0 THEN 'negative revenue'
        WHEN duration_ms < 0 THEN 'negative duration'
      END AS reject_reason
      FROM cleaned""")
    silver = db.execute("""
      SELECT event_id, event_time, CAST(event_time AS DATE) AS event_date, user_id, session_id,
             event_type, country, city, device, url, duration_ms, revenue, _kafka_partition,
             _kafka_offset, _ingested_at
      FROM classified WHERE reject_reason IS NULL
      QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY _ingested_at DESC NULLS LAST,
                                 _kafka_partition DESC NULLS LAST, _kafka_offset DESC NULLS LAST) = 1
    """).fetch_arrow_table()
    rejects = db.execute("""
      SELECT _kafka_partition, _kafka_offset, event_id, reject_reason FROM classified
      WHERE reject_reason IS NOT NULL""").fetchall()
    db.register("silver", silver)
    gold = db.execute("""
      SELECT event_date, country, device, count(*) AS events, count(DISTINCT session_id),
             count(DISTINCT user_id), count(*) FILTER (WHERE event_type = 'purchase'),
             coalesce(sum(revenue), 0)
      FROM silver GROUP BY ALL""").fetchall()
    return silver.to_pylist(), rejects, gold


def read(name):
    table = DeltaTable(TABLES[name], storage_options=STORAGE)
    return table.version(), table.to_pyarrow_table()


def assert_tables_match(expected):
    silver, rejects, gold = expected
    _, got_silver = read("silver")
    key = lambda row: row["event_id"]  # noqa: E731
    got = sorted(got_silver.to_pylist(), key=key)
    assert len(got) == len(silver)
    assert got == sorted(silver, key=key)

    _, got_rejects = read("rejects")
    assert sorted(got_rejects.select(["_kafka_partition", "_kafka_offset", "event_id",
                                      "reject_reason"]).to_pylist(),
                  key=lambda r: (r["_kafka_partition"], r["_kafka_offset"])) == \
        [dict(zip(("_kafka_partition", "_kafka_offset", "event_id", "reject_reason"), r))
         for r in sorted(rejects, key=lambda r: (r[0], r[1]))]

    _, got_gold = read("gold")
    got = {(r["event_date"], r["country"], r["device"]): r for r in got_gold.to_pylist()}
    assert len(got) == len(gold)
    for date, country, device, events, sessions, users, purchases, revenue in gold:
        row = got[(date, country, device)]
        assert (row["events"], row["sessions"], row["users"], row["purchases"]) == \
            (events, sessions, users, purchases), (date, country, device)
        assert math.isclose(row["revenue"], revenue, rel_tol=1e-9, abs_tol=1e-9)


def test_elt_equals_duckdb_and_reruns_change_nothing(bronze, spark):
    expected = oracle(bronze)
    silver, rejects, gold = expected
    # The fixture's shape: every rule fired, duplicates were collapsed, several days exist.
    assert {r[3] for r in rejects} == {name for name, _ in elt.REJECT_RULES}
    assert len(rejects) == 11
    assert len(silver) == BASE_EVENTS + 3
    assert len({row[0] for row in gold}) == 3
    assert next(r for r in silver if r["event_id"] == 17)["revenue"] == 100.0

    first = elt.run_elt(spark, TABLES["bronze"], TABLES["silver"], TABLES["rejects"],
                        TABLES["gold"])
    print("first run:", json.dumps(first))
    assert first["changed_rows"] == {"silver": len(silver), "rejects": len(rejects),
                                     "gold": len(gold)}
    assert first["rows"] == {"silver": len(silver), "rejects": len(rejects), "gold": len(gold)}
    assert_tables_match(expected)
    versions = {name: read(name)[0] for name in ("silver", "rejects", "gold")}

    second = elt.run_elt(spark, TABLES["bronze"], TABLES["silver"], TABLES["rejects"],
                         TABLES["gold"])
    print("rerun:", json.dumps(second))
    assert second["changed_rows"] == {"silver": 0, "rejects": 0, "gold": 0}
    assert {name: read(name)[0] for name in ("silver", "rejects", "gold")} == versions
    assert_tables_match(expected)


def test_silver_is_partitioned_by_day(spark):
    """Runs after the ELT test (same module): one silver partition per event day."""
    table = DeltaTable(TABLES["silver"], storage_options=STORAGE)
    assert table.metadata().partition_columns == ["event_date"]
    days = pyarrow.table(table.get_add_actions(flatten=True)).column("partition.event_date")
    # One file per day: OPTIMIZE compacted what the MERGE wrote.
    assert sorted(str(day) for day in days.to_pylist()) == ["2026-01-01", "2026-01-02",
                                                            "2026-01-03"]
