"""Worker for the harness's `ingest` suite: Kafka -> Delta table on MinIO, the same messages for
two engines (PROTOCOL.md: plan JSON in, result JSON out).

  bench/harness/ingest_worker.py PLAN.json

Engines: `neuralake` (`neuralake ingest --stop-at-end`) and `python-peer`
(bench/peers/ingest_peer.py: confluent-kafka + deltalake's write_deltalake), both flushing at
200,000 messages or 2 s as `make bench-ingest` does.

Setup (untimed): N messages of ~1 KB (bench/ingest/kb_messages.yaml: doc_id 0..N-1, author_id,
created_at, score, a 260-word body; keyed by doc_id, so every topic gets the same partitions and
offsets) go to a fresh topic `nl-bench-ingest-<run>-<engine>-<pid>` with `neuralake produce`.
N = the plan's `messages` (harness.py sends 200,000 x sf, at least 1,000: SF1 is ~200 MB), else
`rows` / 5, else 200,000 x sf.

One operation, `ingest`: the engine's process is started on the full topic and runs until every
message is committed to its table at <scratch>/table (both exit on their own then: ours with
--stop-at-end, the peer after --count rows); cold_ms = the wall time from its start to its exit,
so the rows are queryable when the clock stops. Extra fields: rows_per_s, mb_per_s (message
payload bytes as `neuralake produce` reports them, to 0.1 MiB), engine_s (the time the engine
reports for itself, without process start-up and imports) and expected (the answer's count and
doc_id figures match the N messages); bytes_read holds MinIO's bytes and local reads, not what
the Kafka clients receive (recv()). The answer, read with deltalake for both engines: rows,
count(distinct doc_id), sum(doc_id), sum(author_id), round(sum(score), 3), sum(_kafka_offset) --
columns both engines store (ours adds _kafka_timestamp and _ingested_at, the peer keeps
created_at as text).

Result status: `running` while at work, `ok` when done, `setup-failed` when the messages could
not be produced, `timeout` when the ingester ran over timeout_s (it gets SIGTERM, then SIGKILL).
The topic, our consumer group and the scratch prefix are deleted at the end, also after a failure.
"""
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from write_worker import (Meter, OperationError, Recorder, Storage, cli_error,  # noqa: E402
                          fail, finish, first_line, log, neuralake_version, read_plan, run_cli,
                          unknown_engine)

SPEC = os.path.join(ROOT, "bench", "ingest", "kb_messages.yaml")
PEER = os.path.join(ROOT, "bench", "peers", "ingest_peer.py")
MAX_MESSAGES = 200_000
MAX_LATENCY_S = 2
ANSWER_COLUMNS = ["rows", "distinct_doc_id", "sum_doc_id", "sum_author_id", "sum_score",
                  "sum_kafka_offset"]
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


def message_count(plan):
    if plan.get("messages"):
        return int(plan["messages"])
    if plan.get("rows"):
        return max(1, int(plan["rows"]) // 5)
    return max(1, round(200_000 * float(plan.get("sf") or 1.0)))


def produce(binary, topic, count, brokers, env):
    """`neuralake produce` of `count` kb messages; the payload bytes it reports."""
    out = run_cli(binary, ["produce", "--topic", topic, "--count", str(count), "--schema", SPEC,
                           "--brokers", brokers], env, 3600)
    m = re.search(r"produced (\d+) messages \(([\d.]+) (\w+)\)", out)
    if not m or int(m.group(1)) != count:
        raise RuntimeError(f"produce did not report {count} messages: {first_line(out)}")
    return int(float(m.group(2)) * UNITS[m.group(3)])


def run_ingester(args, env, timeout):
    """Runs one ingester process to its exit: (wall ms, stdout). A timeout kills it."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()  # ours flushes, commits and leaves its group on SIGTERM
        try:
            proc.communicate(timeout=15)
            how = "stopped"
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            how = "killed"
        raise OperationError(f"not done after {timeout} s ({how})", "timeout")
    ms = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise OperationError(cli_error(err, proc.returncode))
    return ms, out


def ingest_neuralake(binary, topic, uri, group, brokers, env, timeout):
    ms, out = run_ingester([binary, "ingest", "--topic", topic, "--table", uri, "--schema", SPEC,
                            "--group", group, "--brokers", brokers,
                            "--max-messages", str(MAX_MESSAGES), "--max-latency",
                            f"{MAX_LATENCY_S}s", "--stop-at-end", "--status-interval", "1000s"],
                           env, timeout)
    m = re.search(r"ingested (\d+) rows .* in (\d+) commits; table version \d+; ([\d.]+) s", out)
    return ms, ({"engine_s": float(m.group(3)), "commits": int(m.group(2))} if m else {})


def ingest_peer(topic, uri, count, brokers, env, timeout):
    ms, out = run_ingester([sys.executable, PEER, "--topic", topic, "--table", uri,
                            "--count", str(count), "--brokers", brokers,
                            "--max-messages", str(MAX_MESSAGES), "--max-latency",
                            str(MAX_LATENCY_S)], env, timeout)
    m = re.search(r"(\d+) messages in ([\d.]+) s: .* (\d+) commits", out)
    return ms, ({"engine_s": float(m.group(2)), "commits": int(m.group(3))} if m else {})


def neutral_read(uri, options):
    import pyarrow.compute as pc
    from deltalake import DeltaTable
    table = DeltaTable(uri, storage_options=options).to_pyarrow_table(
        columns=["doc_id", "author_id", "score", "_kafka_offset"])
    score = pc.sum(table["score"]).as_py()
    return [table.num_rows, pc.count_distinct(table["doc_id"]).as_py(),
            pc.sum(table["doc_id"]).as_py() or 0, pc.sum(table["author_id"]).as_py() or 0,
            round(score, 3) if score is not None else None,
            pc.sum(table["_kafka_offset"]).as_py() or 0]


def delete_kafka(brokers, topic, group, tag):
    """Deletes the topic and (ours only) the consumer group; failures are only logged."""
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": brokers, "log_level": 3})
    futures = dict(admin.delete_topics([topic], operation_timeout=30))
    if group:
        futures.update(admin.delete_consumer_groups([group], request_timeout=30))
    for name, future in futures.items():
        try:
            future.result()
        except Exception as e:
            log(tag, f"could not delete {name}: {e}")
            if name == group and "NON_EMPTY_GROUP" in str(e):
                # a killed member stays in the group until its session times out (6 s)
                time.sleep(8)
                try:
                    admin.delete_consumer_groups([group], request_timeout=30)[group].result()
                    log(tag, f"deleted {group} on the second try")
                except Exception as again:
                    log(tag, f"could not delete {group}: {again}")


def main():
    plan = read_plan(sys.argv)
    engines = ("neuralake", "python-peer")
    engine_name = plan.get("engine")
    if engine_name not in engines:
        unknown_engine(plan, engines)
        return
    binary = os.path.abspath(plan.get("neuralake") or "build/bin/neuralake")
    storage = Storage(plan)
    env = storage.child_env()
    brokers = (plan.get("kafka") or os.environ.get("NEURALAKE_KAFKA_BROKERS") or "127.0.0.1:9092")
    timeout = float(plan.get("timeout_s") or 600)
    count = message_count(plan)
    scratch = plan["scratch"].rstrip("/")
    uri = f"{scratch}/table"
    run = re.sub(r"[^A-Za-z0-9._-]", "-", str(plan.get("run_id") or "run"))
    topic = f"nl-bench-ingest-{run}-{engine_name}-{os.getpid()}"
    group = f"{topic}-group" if engine_name == "neuralake" else None

    if engine_name == "neuralake":
        version = neuralake_version(binary)
    else:
        import confluent_kafka
        import deltalake
        version = (f"confluent-kafka {confluent_kafka.__version__} + "
                   f"deltalake {deltalake.__version__}")
    recorder = Recorder(plan, version)
    recorder.save()
    tag = recorder.tag
    produced = False
    phase = "setup"
    try:
        start = time.perf_counter()
        storage.delete_prefix(binary, scratch)
        produced = True  # from here on the topic may exist
        payload = produce(binary, topic, count, brokers, env)
        recorder.result["setup_s"] = round(time.perf_counter() - start, 3)
        recorder.result["input"] = {"messages": count, "payload_bytes": payload, "topic": topic}
        recorder.save()
        log(tag, f"produced {count} messages ({payload / 1e6:.1f} MB) to {topic} in "
                 f"{recorder.result['setup_s']} s; ingesting into {uri}")
        phase = "operations"
        run_ingest(recorder, engine_name, binary, topic, uri, group, brokers, count, payload,
                   storage, env, timeout)
        phase = "done"
    except Exception as e:
        fail(recorder, phase, e)
    finally:
        if produced:
            try:
                delete_kafka(brokers, topic, group, tag)
            except Exception as e:
                log(tag, f"could not delete topic {topic}: {type(e).__name__}: {e}")
        try:
            removed = storage.delete_prefix(binary, scratch)
            log(tag, f"removed {removed} objects under {scratch}; deleted topic {topic}")
        except Exception as e:
            log(tag, f"could not clean {scratch}: {type(e).__name__}: {e}")
    finish(recorder, phase)


def run_ingest(recorder, engine_name, binary, topic, uri, group, brokers, count, payload,
               storage, env, timeout):
    """The one operation: the engine ingests the whole topic; then the neutral read."""
    meter = Meter(storage.endpoint)
    try:
        if engine_name == "neuralake":
            ms, extra = ingest_neuralake(binary, topic, uri, group, brokers, env, timeout)
        else:
            ms, extra = ingest_peer(topic, uri, count, brokers, env, timeout)
    except OperationError as e:
        recorder.add({"name": "ingest", "status": e.status, "error": str(e),
                      "cpu_s": meter.cpu_s()})
        if e.status == "timeout":
            recorder.result["status"] = "timeout"
        return
    entry = {"name": "ingest", "cold_ms": ms, "rows": count, "cpu_s": meter.cpu_s(),
             **meter.reads(), "rows_per_s": round(count / (ms / 1000), 1),
             "mb_per_s": round(payload / 1e6 / (ms / 1000), 3), **extra}
    try:
        answer = neutral_read(uri, storage.delta_options())
    except Exception as e:
        entry.update({"status": "error", "error": first_line(
            f"reading the table after ingest: {type(e).__name__}: {e}")})
        recorder.add(entry)
        return
    entry["expected"] = answer[:3] == [count, count, count * (count - 1) // 2]
    if answer[0] != count:
        entry.update({"status": "error",
                      "error": f"the table holds {answer[0]} rows after the ingester exited, "
                               f"expected {count}"})
    elif not entry["expected"]:
        log(recorder.tag, f"ingest: answer {answer} differs from the {count} messages produced")
    entry["answer"] = recorder.answer("ingest", ANSWER_COLUMNS, [answer])
    recorder.add(entry)

if __name__ == "__main__":
    main()
