"""Expectations enforced by `neuralake ingest` on the real Kafka broker and MinIO.

The events preset numbers its rows (event_id = row number), so which rows an expectation drops is
known exactly: the quarantine table (read by delta-rs) must hold each dropped event_id once, the
Bronze table every other one once, also after the ingest is run again over the same topic.
"""
import json
import os
import subprocess
import uuid

from deltalake import DeltaTable
from nltest import binary, cli_env, delta_rs_storage_options

RUN = uuid.uuid4().hex[:8]
ROOT = f"s3://lake/quality-ingest-{RUN}"
STORAGE = delta_rs_storage_options()
COUNT = 1000


def run(*args, check=None):
    proc = subprocess.run([binary(), *args], capture_output=True, text=True, env=cli_env(),
                          timeout=300)
    if check is not None:
        assert proc.returncode == check, proc.stdout + proc.stderr
    return proc


def catalog(tmp_path, table, expectation):
    path = tmp_path / f"catalog-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text("databases:\n  b:\n    tables:\n      events:\n        type: delta\n"
                    f"        uri: \"{table}\"\n        expectations:\n          - {expectation}\n")
    return str(path)


def ids(uri):
    return DeltaTable(uri, storage_options=STORAGE).to_pyarrow_table().column("event_id").to_pylist()


def test_ingest_drops_into_quarantine_exactly_once(tmp_path):
    topic = f"quality-{RUN}-drop"
    table = f"{ROOT}/drop/bronze"
    cat = catalog(tmp_path, table, "{name: tenth, type: sql, sql: 'event_id % 10 <> 0', "
                                   "on_violation: drop}")
    run("produce", "--topic", topic, "--count", str(COUNT), "--schema", "events", check=0)
    args = ("ingest", "--topic", topic, "--table", table, "--schema", "events", "--group",
            f"g-{topic}", "--stop-at-end", "--catalog", cat)
    proc = run(*args, check=0)
    assert f"ingested {COUNT - COUNT // 10} rows" in proc.stdout
    assert f"{COUNT // 10} quarantined" in proc.stdout
    assert sorted(ids(f"{table}_quarantine")) == list(range(0, COUNT, 10))
    reasons = DeltaTable(f"{table}_quarantine", storage_options=STORAGE).to_pyarrow_table()
    assert set(reasons.column("_expectation").to_pylist()) == {"tenth"}
    assert sorted(ids(table)) == [i for i in range(COUNT) if i % 10]
    # Run again over the same topic: the table's offsets (txn per partition, which also cover the
    # quarantined messages) say all is in. (Redelivery after a rebalance: ingestor_test.)
    run(*args, check=0)
    assert len(ids(f"{table}_quarantine")) == COUNT // 10
    assert len(ids(table)) == COUNT - COUNT // 10
    # The results of each flush are in _quality.
    results = DeltaTable(f"{ROOT}/drop/_quality", storage_options=STORAGE).to_pyarrow_table()
    rows = [r for r in results.to_pylist() if r["operation"] == "ingest"]
    assert rows and sum(r["violations"] for r in rows) >= COUNT // 10


def test_ingest_stops_on_a_fail_expectation(tmp_path):
    topic = f"quality-{RUN}-fail"
    table = f"{ROOT}/fail/bronze"
    cat = catalog(tmp_path, table, "{name: small_ids, type: range, column: event_id, max: 500, "
                                   "on_violation: fail}")
    run("produce", "--topic", topic, "--count", str(COUNT), "--schema", "events", check=0)
    proc = run("ingest", "--topic", topic, "--table", table, "--schema", "events", "--group",
               f"g-{topic}", "--stop-at-end", "--catalog", cat, check=1)
    assert "expectation 'small_ids' (range, fail) violated by" in proc.stderr
    assert "nothing of this batch committed" in proc.stderr
    assert ids(table) == []
