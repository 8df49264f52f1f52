"""neuralake produce / ingest end to end on the real Kafka broker and MinIO.

Exactly once is checked against the generator itself: the events preset numbers its rows
(event_id = row number), so the table must hold every event_id in [0, N) once, and per-user
checksums must equal those of `neuralake generate` with the same seed.
"""
import os
import re
import signal
import subprocess
import time
import uuid

import duckdb
import pytest
from confluent_kafka import Producer
from nltest import binary, cli_env

MESSAGES = int(os.environ.get("NEURALAKE_INGEST_TEST_MESSAGES", "1000000"))
BROKERS = os.environ.get("NEURALAKE_KAFKA_BROKERS", "127.0.0.1:9092")
ENV = cli_env()


def services():
    return os.environ.get("NEURALAKE_SERVICES") or os.path.join(
        os.path.dirname(__file__), "..", "..", "scripts", "services.sh")


def run(*args, check=True, timeout=600):
    proc = subprocess.run([binary(), *args], capture_output=True, text=True, env=ENV,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"neuralake {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def start_ingest(topic, table, log_path, *extra):
    log = open(log_path, "a")
    return subprocess.Popen(
        [binary(), "ingest", "--topic", topic, "--table", table, "--schema", "events",
         "--group", f"g-{topic}", "--max-latency", "500ms", "--max-messages", "50000",
         "--status-interval", "2s", *extra],
        stdout=log, stderr=log, env=ENV)


def sql(tmp_path, table, query):
    catalog = tmp_path / f"catalog-{uuid.uuid4().hex[:6]}.yaml"
    catalog.write_text(f'databases: {{t: {{tables: {{bronze: {{type: delta, uri: "{table}"}}}}}}}}\n')
    out = run("sql", "--catalog", str(catalog), "--quiet", "--format", "csv", query).stdout
    lines = out.strip().splitlines()
    return [line.split(",") for line in lines[1:]]


def count_rows(tmp_path, table):
    try:
        return int(sql(tmp_path, table, "SELECT count(*) FROM t.bronze")[0][0])
    except AssertionError:
        return 0


def wait_for_rows(tmp_path, table, expected, timeout):
    deadline = time.time() + timeout
    rows = 0
    while time.time() < deadline:
        rows = count_rows(tmp_path, table)
        if rows >= expected:
            return rows
        time.sleep(1)
    return rows


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def expected_checksums(tmp_path, count):
    csv = tmp_path / "expected.csv"
    with open(csv, "w") as f:
        subprocess.run([binary(), "generate", "--schema", "events", "--rows", str(count),
                        "--seed", "42", "--format", "csv", "--output", "-"],
                       stdout=f, stderr=subprocess.DEVNULL, check=True, env=ENV)
    rows = duckdb.sql(f"SELECT user_id, count(*), sum(event_id), sum(hash(url)) FROM "
                      f"read_csv('{csv}') GROUP BY user_id ORDER BY user_id").fetchall()
    return [tuple(str(v) for v in r) for r in rows]


def assert_exactly_once(tmp_path, table, count):
    stats = sql(tmp_path, table, "SELECT count(*), count(DISTINCT event_id), min(event_id), "
                                 "max(event_id) FROM t.bronze")[0]
    assert [int(x) for x in stats] == [count, count, 0, count - 1], stats
    got = sql(tmp_path, table, "SELECT user_id, count(*), sum(event_id), sum(hash(url)) "
                               "FROM t.bronze GROUP BY user_id ORDER BY user_id")
    assert [tuple(r) for r in got] == expected_checksums(tmp_path, count)


def test_two_consumers_exactly_once_across_kill_9(tmp_path):
    topic = f"ingest-{uuid.uuid4().hex[:10]}"
    table = f"s3://lake/tests/{topic}"
    producer = subprocess.Popen([binary(), "produce", "--topic", topic, "--count", str(MESSAGES),
                                 "--schema", "events", "--key", "user_id"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    time.sleep(2)  # the topic exists (4 partitions, the broker default) once producing starts
    log = tmp_path / "ingest.log"
    first = start_ingest(topic, table, log)
    second = start_ingest(topic, table, log)
    # Kill one consumer mid-stream, after it has committed something.
    wait_for_rows(tmp_path, table, min(100_000, MESSAGES // 4), 120)
    first.kill()
    first.wait()
    restarted = start_ingest(topic, table, log)
    out, err = producer.communicate(timeout=600)
    assert producer.returncode == 0, err.decode()
    rows = wait_for_rows(tmp_path, table, MESSAGES, 300)
    time.sleep(3)  # anything extra would show up now
    assert stop(second) == 0, log.read_text()[-3000:]
    assert stop(restarted) == 0, log.read_text()[-3000:]
    assert rows >= MESSAGES, log.read_text()[-3000:]
    assert_exactly_once(tmp_path, table, MESSAGES)
    # A fresh consumer in the same group finds nothing new: offsets come from the table.
    again = run("ingest", "--topic", topic, "--table", table, "--group", f"g-{topic}",
                "--stop-at-end")
    assert "ingested 0 rows" in again.stdout, again.stdout + again.stderr


def test_bad_messages_go_to_the_dead_letter_table(tmp_path):
    topic = f"dlq-{uuid.uuid4().hex[:10]}"
    table = str(tmp_path / "bronze")
    run("produce", "--topic", topic, "--count", "1000", "--schema", "events")
    producer = Producer({"bootstrap.servers": BROKERS})
    bad = [b"not json at all", b'{"event_id": "seven"}', b"\xff\xfe binary", b"[1,2,3]"]
    for payload in bad:
        producer.produce(topic, payload, partition=0)
    producer.flush(30)
    run("produce", "--topic", topic, "--count", "1000", "--first-row", "1000", "--schema", "events")
    proc = run("ingest", "--topic", topic, "--table", table, "--schema", "events",
               "--stop-at-end")
    out = proc.stdout
    assert "ingested 2000 rows" in out and "4 dead letters" in out, out
    # The last status line gives the lag of each owned partition: all caught up.
    assert re.search(r"lag 0 \[0:0 1:0 2:0 3:0\]", proc.stderr), proc.stderr
    assert_exactly_once(tmp_path, table, 2000)
    dead = sql(tmp_path, table + "_dead_letters",
               "SELECT _kafka_partition, _kafka_offset, error FROM t.bronze ORDER BY _kafka_offset")
    assert len(dead) == 4
    assert all(row[0] == "0" for row in dead)
    offsets = [int(row[1]) for row in dead]
    assert offsets == sorted(offsets) and len(set(offsets)) == 4
    errors = " ".join(",".join(row[2:]) for row in dead)
    assert "not valid JSON" in errors and "field 'event_id'" in errors
    assert "not a JSON object" in errors
    # The data table's offsets cover the dead letters too: a restart reads nothing again.
    again = run("ingest", "--topic", topic, "--table", table, "--stop-at-end").stdout
    assert "ingested 0 rows from 0 messages (0 dead letters" in again, again
    assert len(sql(tmp_path, table + "_dead_letters", "SELECT 1 FROM t.bronze")) == 4


def test_missing_table_without_schema_is_refused(tmp_path):
    proc = run("ingest", "--topic", "whatever", "--table", str(tmp_path / "nope"),
               "--stop-at-end", check=False)
    assert proc.returncode == 1
    assert "does not exist" in proc.stderr and "--schema" in proc.stderr


def test_minio_outage_and_broker_restart_lose_nothing(tmp_path):
    topic = f"outage-{uuid.uuid4().hex[:10]}"
    table = f"s3://lake/tests/{topic}"
    count = min(MESSAGES, 200_000)
    run("produce", "--topic", topic, "--count", str(count // 2), "--schema", "events")
    log = tmp_path / "ingest.log"
    consumer = start_ingest(topic, table, log)
    wait_for_rows(tmp_path, table, 1, 60)
    subprocess.run([services(), "down", "minio"], check=True, capture_output=True)
    try:
        run("produce", "--topic", topic, "--count", str(count // 2), "--first-row",
            str(count // 2), "--schema", "events")
        time.sleep(12)
    finally:
        subprocess.run([services(), "up", "minio"], check=True, capture_output=True)
    assert consumer.poll() is None, "ingest exited during the outage:\n" + log.read_text()[-3000:]
    subprocess.run([services(), "restart", "kafka"], check=True, capture_output=True)
    rows = wait_for_rows(tmp_path, table, count, 240)
    time.sleep(3)
    assert stop(consumer) == 0, log.read_text()[-3000:]
    assert rows >= count, log.read_text()[-3000:]
    assert_exactly_once(tmp_path, table, count)
    assert "retrying" in log.read_text()
