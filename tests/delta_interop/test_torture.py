"""Low-latency writer pattern under torture: a writer, a compactor and a vacuumer run together on
one table while readers check every version they open; processes are killed with SIGKILL at random
moments and restarted. At the end every row is present exactly once.

Two variants: a short retention override (0.003 h) on local disk and MinIO, and the extreme one,
retention 0 with --force-retention and a writer with no pause, where VACUUM deletes every removed
file at once: uploads not committed yet must survive (the grace period of untracked files) and the
latest version must stay readable, by us and by delta-rs, throughout.

Runs for NEURALAKE_TORTURE_SECONDS (default 20) per variant; set it higher for a soak.
"""
import os
import random
import signal
import subprocess
import time

from deltalake import DeltaTable

from conftest import delta_rs_storage_options

ROWS_PER_COMMIT = 500


class Processes:
    """The three maintenance processes, each restartable, logging to tmp_path/<name>.log."""

    def __init__(self, nl, tmp_path, commands):
        self.nl, self.tmp_path, self.commands = nl, tmp_path, commands
        self.procs, self.logs = {}, {}

    def start(self, name):
        self.logs[name] = open(self.tmp_path / f"{name}.log", "a")
        self.procs[name] = subprocess.Popen([self.nl.binary, *self.commands[name]],
                                            env=self.nl.env, stdout=self.logs[name],
                                            stderr=subprocess.STDOUT)

    def kill(self, name):
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()
        self.start(name)

    def stop(self):
        for proc in self.procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            proc.wait(timeout=60)
        for log in self.logs.values():
            log.close()
        for name, proc in self.procs.items():
            assert proc.returncode == 0, self.log(name)[-2000:]

    def log(self, name):
        return (self.tmp_path / f"{name}.log").read_text()


def start_all(nl, table_uri, processes):
    processes.start("writer")
    deadline = time.time() + 30
    while nl.run("table", "history", table_uri, check=False).returncode != 0:
        assert time.time() < deadline, "the writer never created the table"
        time.sleep(0.2)
    processes.start("compactor")
    processes.start("vacuumer")


def latest_version(nl, table_uri):
    history = nl.run("table", "history", table_uri).stdout.split("\n")
    return int(history[1].split()[0])


def check_whole(ids):
    """Every batch committed so far is there once: ids are exactly 0..N-1 in whole batches."""
    assert len(ids) % ROWS_PER_COMMIT == 0, "a reader saw a partial batch"
    assert sorted(ids) == list(range(len(ids))), "a reader saw lost or duplicated rows"


def test_writer_compactor_vacuumer_with_random_kills(nl, table_uri, tmp_path):
    seconds = float(os.environ.get("NEURALAKE_TORTURE_SECONDS", "20"))
    processes = Processes(nl, tmp_path, {
        "writer": ["writer", table_uri, "--app", "torture", "--rows-per-commit",
                   str(ROWS_PER_COMMIT), "--interval", "50ms"],
        "compactor": ["compactor", table_uri, "--interval", "1s", "--target-size", "4MB"],
        "vacuumer": ["vacuumer", table_uri, "--interval", "1s", "--retention-hours", "0.003",
                     "--force-retention"],
    })
    start_all(nl, table_uri, processes)
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
                processes.kill(rng.choice(sorted(processes.procs)))
                kills += 1
            time.sleep(rng.uniform(0.1, 0.6))
    finally:
        processes.stop()

    table = nl.read(table_uri)
    ids = table.column("event_id").to_pylist()
    assert len(ids) > 0
    assert sorted(ids) == list(range(len(ids))), "rows lost or duplicated"
    # The newest versions are readable and whole.
    latest = latest_version(nl, table_uri)
    for version in range(max(0, latest - 5), latest + 1):
        rows = nl.read(table_uri, version).column("event_id").to_pylist()
        assert len(rows) == len(set(rows)) and len(rows) % ROWS_PER_COMMIT == 0
    compactions = processes.log("compactor").count("bins compacted")
    print(f"{len(ids)} rows, {latest + 1} versions, {reads} reads, {kills} kills, "
          f"{compactions} compactor rounds")


def test_retention_zero_never_makes_the_latest_version_unreadable(nl, tmp_path):
    """The report: `writer --interval 0` beside `vacuumer --retention-hours 0 --force-retention`
    lost writer files in 6 of 8 rounds, after which the latest version failed with NotFound for
    good (delta-rs too) and the compactor failed every round.

    Readers alternate between our CLI and delta-rs, each reading the latest version it sees. At
    retention 0 a version stops being protected the moment a newer one exists, so a read may fail
    only if the table had moved past the version read by then; the latest version never fails."""
    seconds = float(os.environ.get("NEURALAKE_TORTURE_SECONDS", "20"))
    table_uri = f"s3://lake/tests/torture0-{os.urandom(6).hex()}"
    processes = Processes(nl, tmp_path, {
        "writer": ["writer", table_uri, "--app", "torture", "--rows-per-commit",
                   str(ROWS_PER_COMMIT), "--interval", "0"],
        "compactor": ["compactor", table_uri, "--interval", "1s", "--target-size", "4MB"],
        "vacuumer": ["vacuumer", table_uri, "--interval", "1s", "--retention-hours", "0",
                     "--force-retention"],
    })
    start_all(nl, table_uri, processes)
    rng = random.Random(5)
    storage = delta_rs_storage_options()
    reads = {"neuralake": 0, "delta-rs": 0}
    stale_failures, kills, rows_seen = 0, 0, 0
    end = time.time() + seconds
    try:
        while time.time() < end:
            reader = "delta-rs" if reads["neuralake"] > reads["delta-rs"] else "neuralake"
            version = None
            try:
                if reader == "neuralake":
                    version = latest_version(nl, table_uri)
                    ids = nl.read(table_uri, version).column("event_id").to_pylist()
                else:
                    table = DeltaTable(table_uri, storage_options=storage)
                    version = table.version()
                    ids = table.to_pyarrow_table(columns=["event_id"]).column(
                        "event_id").to_pylist()
            except Exception as error:  # noqa: BLE001 (the CLI's AssertionError, delta-rs' errors)
                newest = latest_version(nl, table_uri)
                assert version is not None and newest > version, (
                    f"{reader} failed to read version {version}, still the latest "
                    f"({newest}): {error}\nvacuumer:\n{processes.log('vacuumer')[-1500:]}")
                stale_failures += 1
                continue
            check_whole(ids)
            assert len(ids) >= rows_seen, "rows a reader saw before are gone"
            rows_seen = len(ids)
            reads[reader] += 1
            if rng.random() < 0.15:
                processes.kill(rng.choice(sorted(processes.procs)))
                kills += 1
            time.sleep(rng.uniform(0.05, 0.3))
    finally:
        processes.stop()

    # After the storm, the latest version is whole for both readers.
    latest = latest_version(nl, table_uri)
    ids = nl.read(table_uri).column("event_id").to_pylist()
    check_whole(ids)
    assert len(ids) >= rows_seen > 0
    delta_rs = DeltaTable(table_uri, storage_options=storage)
    assert delta_rs.version() == latest
    check_whole(delta_rs.to_pyarrow_table(columns=["event_id"]).column("event_id").to_pylist())
    # The compactor never found a file missing, the vacuumer never failed.
    assert "error" not in processes.log("compactor"), processes.log("compactor")[-2000:]
    assert "error" not in processes.log("vacuumer"), processes.log("vacuumer")[-2000:]
    compactions = processes.log("compactor").count("bins compacted")
    vacuumed = sum(int(line.split("deleted ")[1].split()[0])
                   for line in processes.log("vacuumer").splitlines() if "deleted " in line)
    print(f"{len(ids)} rows, {latest + 1} versions, reads {reads}, {stale_failures} reads of a "
          f"superseded version failed, {kills} kills, {compactions} compactor rounds, "
          f"{vacuumed} files vacuumed")
