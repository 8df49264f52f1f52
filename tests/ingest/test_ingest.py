"""neuralake produce / ingest end to end on the real Kafka broker and MinIO.

Exactly once is checked against the generator itself: the events preset numbers its rows
(event_id = row number), so the table must hold every event_id in [0, N) once, and per-user
checksums must equal those of `neuralake generate` with the same seed.
"""
import json
import os
import random
import re
import signal
import subprocess
import time
import uuid

import duckdb
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
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


class TableOffsets:
    """The Kafka offsets a local Bronze table records (its txn actions), read from the log as it
    grows: {partition: last offset committed}."""

    def __init__(self, table, group, topic):
        self.log = os.path.join(table, "_delta_log")
        self.prefix = f"neuralake-ingest/{group}/{topic}/"
        self.next_version = 0
        self.offsets = {}

    def update(self):
        while True:
            path = os.path.join(self.log, f"{self.next_version:020d}.json")
            try:
                with open(path) as f:
                    lines = f.read().splitlines()
            except FileNotFoundError:
                return self.offsets
            for line in lines:
                if '"txn"' not in line:
                    continue
                txn = json.loads(line)["txn"]
                if txn["appId"].startswith(self.prefix):
                    partition = int(txn["appId"][len(self.prefix):])
                    self.offsets[partition] = max(self.offsets.get(partition, -1), txn["version"])
            self.next_version += 1


def high_watermarks(consumer, topic, partitions):
    return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in partitions}


def test_churn_kill_9_every_few_seconds_resumes_within_seconds(tmp_path):
    """Two members, one of them killed with SIGKILL every ~5 s and restarted at once, for ~30 s.
    After each kill, time-to-resume is the time until the table holds every message produced
    before the kill (all partitions, the killed member's included). Exactly once at the end.

    NEURALAKE_CHURN_INGEST_ARGS replaces the membership arguments (default: static membership,
    `--member a` / `--member b`), e.g. "" for dynamic membership or
    "--kafka-option partition.assignment.strategy=cooperative-sticky"; the figures in
    docs/ingest.md were taken that way."""
    seconds = float(os.environ.get("NEURALAKE_CHURN_SECONDS", "30"))
    rate = 2000
    count = int(rate * (seconds + 10))
    topic = f"churn-{uuid.uuid4().hex[:10]}"
    group = f"g-{topic}"
    table = str(tmp_path / "bronze")
    custom = os.environ.get("NEURALAKE_CHURN_INGEST_ARGS")
    producer = subprocess.Popen([binary(), "produce", "--topic", topic, "--count", str(count),
                                 "--rate", f"{rate}/s", "--schema", "events", "--key", "user_id"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    log = tmp_path / "ingest.log"

    def start(name):
        extra = custom.split() if custom is not None else ["--member", name]
        return start_ingest(topic, table, log, *extra)

    members = {name: start(name) for name in ("a", "b")}
    offsets = TableOffsets(table, group, topic)
    watermarks = Consumer({"bootstrap.servers": BROKERS, "group.id": f"watermarks-{topic}"})
    try:
        deadline = time.time() + 60
        while len(offsets.update()) < 4:  # 4 partitions (the broker default), all under way
            assert time.time() < deadline, "ingest never got going:\n" + log.read_text()[-3000:]
            time.sleep(0.25)
        partitions = sorted(offsets.offsets)
        rng = random.Random(7)
        kills = []  # (time of the kill, high watermarks then, resumed after s or None)
        end = time.time() + seconds
        next_kill = time.time() + rng.uniform(4, 6)
        victim = "a"
        while time.time() < end:
            now = time.time()
            if now >= next_kill:
                kills.append([now, high_watermarks(watermarks, topic, partitions), None])
                members[victim].kill()
                members[victim].wait()
                members[victim] = start(victim)
                victim = "b" if victim == "a" else "a"
                next_kill = now + rng.uniform(4, 6)
            current = offsets.update()
            for kill in kills:
                if kill[2] is None and all(current.get(p, -1) >= high - 1
                                           for p, high in kill[1].items()):
                    kill[2] = time.time() - kill[0]
            time.sleep(0.1)
        # The last kills still resuming: wait for them (bounded).
        deadline = time.time() + 60
        while any(kill[2] is None for kill in kills) and time.time() < deadline:
            current = offsets.update()
            for kill in kills:
                if kill[2] is None and all(current.get(p, -1) >= high - 1
                                           for p, high in kill[1].items()):
                    kill[2] = time.time() - kill[0]
            time.sleep(0.1)
        out, err = producer.communicate(timeout=120)
        assert producer.returncode == 0, err.decode()
        rows = wait_for_rows(tmp_path, table, count, 120)
        time.sleep(2)
    finally:
        watermarks.close()
        if producer.poll() is None:
            producer.kill()
        codes = [stop(proc) for proc in members.values()]
    resumes = [kill[2] for kill in kills]
    print(f"{len(kills)} kills; time to resume after each (s): "
          + ", ".join("never" if r is None else f"{r:.1f}" for r in resumes))
    assert codes == [0, 0], log.read_text()[-3000:]
    assert rows >= count, log.read_text()[-3000:]
    assert_exactly_once(tmp_path, table, count)
    assert len(kills) >= 4
    assert all(r is not None and r < 30 for r in resumes), (resumes, log.read_text()[-3000:])


def test_member_without_partitions_says_so(tmp_path):
    """A topic of 1 partition and 2 members: the idle one reports that it owns nothing (it used to
    print `partitions 0, lag 0`, which reads as caught up)."""
    topic = f"idle-{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": BROKERS})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
    run("produce", "--topic", topic, "--count", "100", "--schema", "events")
    table = str(tmp_path / "bronze")
    logs = [tmp_path / f"ingest-{i}.log" for i in range(2)]
    procs = [start_ingest(topic, table, log) for log in logs]
    try:
        assert wait_for_rows(tmp_path, table, 100, 60) == 100
        time.sleep(3)
    finally:
        codes = [stop(proc) for proc in procs]
    texts = [log.read_text() for log in logs]
    assert codes == [0, 0], texts
    # The last status line of each (printed at shutdown): one owns partition 0, one nothing.
    finals = [[line for line in t.splitlines()
               if line.startswith("ingest: ") and " messages (" in line][-1] for t in texts]
    idle = [line for line in finals if "owns no partitions (waiting for assignment)" in line]
    assert len(idle) == 1, finals
    assert not any("partitions 0," in t for t in texts), texts


def test_same_member_name_twice_fences_the_older_process(tmp_path):
    """Static membership: a second process under the same --member takes over; the first stops
    with a one-line error naming the likely cause instead of consuming alongside it."""
    topic = f"fence-{uuid.uuid4().hex[:10]}"
    table = str(tmp_path / "bronze")
    run("produce", "--topic", topic, "--count", "100", "--schema", "events")
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    first = start_ingest(topic, table, logs[0], "--member", "x")
    second = None
    try:
        assert wait_for_rows(tmp_path, table, 100, 60) == 100
        second = start_ingest(topic, table, logs[1], "--member", "x")
        first.wait(timeout=30)
    finally:
        codes = [stop(first)] + ([stop(second)] if second else [])
    assert codes == [1, 0], [log.read_text()[-2000:] for log in logs]
    errors = [line for line in logs[0].read_text().splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "fenced" in errors[0] and "--member x" in errors[0], errors
