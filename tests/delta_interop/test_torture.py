"""Low-latency writer pattern under torture: a writer, a compactor and a vacuumer (short retention
override) run together on one table while readers check every version they open; processes are
killed with SIGKILL at random moments and restarted. At the end every row is present exactly once.

Runs for NEURALAKE_TORTURE_SECONDS (default 20) per backend; set it higher for a soak.
"""
import os
import random
import signal
import subprocess
import time

ROWS_PER_COMMIT = 500


def test_writer_compactor_vacuumer_with_random_kills(nl, table_uri, tmp_path):
    seconds = float(os.environ.get("NEURALAKE_TORTURE_SECONDS", "20"))
    commands = {
        "writer": ["writer", table_uri, "--app", "torture", "--rows-per-commit",
                   str(ROWS_PER_COMMIT), "--interval", "50ms"],
        "compactor": ["compactor", table_uri, "--interval", "1s", "--target-size", "4MB"],
        "vacuumer": ["vacuumer", table_uri, "--interval", "1s", "--retention-hours", "0.003",
                     "--force-retention"],
    }
    procs, logs = {}, {}

    def start(name):
        logs[name] = open(tmp_path / f"{name}.log", "a")
        procs[name] = subprocess.Popen([nl.binary, *commands[name]], env=nl.env,
                                       stdout=logs[name], stderr=subprocess.STDOUT)

    start("writer")
    deadline = time.time() + 30
    while nl.run("table", "history", table_uri, check=False).returncode != 0:
        assert time.time() < deadline, "the writer never created the table"
        time.sleep(0.2)
    start("compactor")
    start("vacuumer")

    rng = random.Random(11)
    kills, reads = 0, 0
    end = time.time() + seconds
    try:
        while time.time() < end:
            table = nl.read(table_uri)
            ids = table.column("event_id").to_pylist()
            assert len(ids) == len(set(ids)), "a reader saw duplicated rows"
            assert len(ids) % ROWS_PER_COMMIT == 0, "a reader saw a partial batch"
            reads += 1
            if rng.random() < 0.3:
                victim = rng.choice(sorted(procs))
                procs[victim].send_signal(signal.SIGKILL)
                procs[victim].wait()
                kills += 1
                start(victim)
            time.sleep(rng.uniform(0.1, 0.6))
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            proc.wait(timeout=60)
        for log in logs.values():
            log.close()

    for name in procs:
        assert procs[name].returncode == 0, (tmp_path / f"{name}.log").read_text()[-2000:]
    table = nl.read(table_uri)
    ids = table.column("event_id").to_pylist()
    assert len(ids) > 0
    assert sorted(ids) == list(range(len(ids))), "rows lost or duplicated"
    # The newest versions are readable and whole.
    history = nl.run("table", "history", table_uri).stdout.split("\n")
    latest = int(history[1].split()[0])
    for version in range(max(0, latest - 5), latest + 1):
        rows = nl.read(table_uri, version).column("event_id").to_pylist()
        assert len(rows) == len(set(rows)) and len(rows) % ROWS_PER_COMMIT == 0
    compactions = (tmp_path / "compactor.log").read_text().count("bins compacted")
    print(f"{len(ids)} rows, {latest + 1} versions, {reads} reads, {kills} kills, "
          f"{compactions} compactor rounds")
