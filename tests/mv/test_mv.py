"""Materialized views: incremental refresh equals a full recompute, and kill -9 never doubles.

Two local source Delta tables (demo.events, demo.users) are mutated with delta-rs (append,
overwrite, delete); after each step every view is refreshed with `neuralake mv refresh` and read
back with delta-rs; DuckDB-Python computes the same SQL over the sources (read with delta-rs too)
and the two must hold the same rows (EXCEPT ALL both ways; doubles rounded to 6 digits).
"""
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

import duckdb
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake
from nltest import binary, cli_env

VIEWS = {
    # (sql, columns compared; doubles rounded)
    "filtered": ("SELECT id, country, val * 2 AS doubled FROM demo.events WHERE val > 20",
                 "id, country, round(doubled, 6)"),
    "by_country": ("SELECT country, day, sum(val) AS total, count(*) AS n, count(val) AS n_val, "
                   "min(val) AS lo, max(val) AS hi, avg(val) AS mean "
                   "FROM demo.events GROUP BY country, day",
                   "country, day, round(total, 6), n, n_val, lo, hi, round(mean, 6)"),
    "user_totals": ("SELECT u.name, count(*) AS n, sum(e.val) AS total FROM demo.events e "
                    "JOIN demo.users u ON e.user_id = u.user_id GROUP BY u.name",
                    "name, n, round(total, 6)"),
    "user_names": ("SELECT user_id, upper(name) AS name FROM demo.users", "*"),
}
COUNTRIES = ["fr", "de", "us", "jp"]


def events(rng, start, count):
    ids = list(range(start, start + count))
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "user_id": pa.array([rng.randrange(6) for _ in ids], pa.int64()),
        "country": pa.array([rng.choice(COUNTRIES) for _ in ids], pa.string()),
        "val": pa.array([None if rng.random() < 0.1 else round(rng.uniform(-50, 100), 3)
                         for _ in ids], pa.float64()),
        "day": pa.array([rng.randrange(3) for _ in ids], pa.int32()),
    })


def users(rng, count):
    return pa.table({
        "user_id": pa.array(range(count), pa.int64()),
        "name": pa.array([f"user{rng.randrange(4)}" for _ in range(count)], pa.string()),
    })


class Lake:
    def __init__(self, root):
        self.root = root
        self.catalog = os.path.join(root, "catalog.yaml")
        lines = ["databases:", "  demo:", "    tables:",
                 f"      events: {{type: delta, uri: \"{root}/events\"}}",
                 f"      users: {{type: delta, uri: \"{root}/users\"}}", "  gold:", "    tables:"]
        for name, (sql, _) in VIEWS.items():
            lines.append(f"      {name}: {{type: materialized_view, uri: \"{root}/{name}\", "
                         f"sql: \"{sql}\"}}")
        with open(self.catalog, "w") as f:
            f.write("\n".join(lines) + "\n")

    def uri(self, name):
        return os.path.join(self.root, name)

    def refresh(self, view, extra_env=None, full=False):
        env = cli_env()
        env.update(extra_env or {})
        args = [binary(), "mv", "refresh", f"gold.{view}", "--catalog", self.catalog]
        if full:
            args.append("--full")
        run = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
        assert run.returncode == 0, run.stderr
        return run.stdout

    def differences(self, view):
        sql, columns = VIEWS[view]
        con = duckdb.connect()
        con.execute("CREATE SCHEMA demo")
        for name in ("events", "users"):
            data = DeltaTable(self.uri(name)).to_pyarrow_table()
            con.register(f"src_{name}", data)
            con.execute(f"CREATE TABLE demo.{name} AS SELECT * FROM src_{name}")
        stored = DeltaTable(self.uri(view)).to_pyarrow_table()
        con.register("stored", stored)
        got = f"SELECT {columns} FROM stored"
        want = f"SELECT {columns} FROM ({sql})"
        return con.execute(f"SELECT count(*) FROM (({got} EXCEPT ALL {want}) UNION ALL "
                           f"({want} EXCEPT ALL {got}))").fetchone()[0]


@pytest.fixture
def lake():
    root = tempfile.mkdtemp(prefix="nl-mv-")
    yield Lake(root)
    shutil.rmtree(root, ignore_errors=True)


def mutate(lake, rng, next_id):
    """One random step on one source: append, overwrite or delete. Returns (description, next_id)."""
    source = rng.choice(["events", "events", "users"])
    op = rng.choice(["append", "append", "append", "overwrite", "delete"])
    uri = lake.uri(source)
    if source == "users":
        if op == "delete":
            DeltaTable(uri).delete(f"user_id = {rng.randrange(6)}")
        else:
            write_deltalake(uri, users(rng, rng.randrange(3, 7)), mode=op)
        return f"users {op}", next_id
    if op == "delete":
        DeltaTable(uri).delete(f"country = '{rng.choice(COUNTRIES)}'")
        return "events delete", next_id
    count = rng.randrange(1, 40)
    write_deltalake(uri, events(rng, next_id, count), mode=op)
    return f"events {op} {count}", next_id + count


def test_random_sequences_match_duckdb(lake):
    modes = {"incremental": 0, "full": 0, "noop": 0}
    for sequence in range(50):
        rng = random.Random(sequence)
        root = tempfile.mkdtemp(prefix=f"seq{sequence}-", dir=lake.root)
        seq_lake = Lake(root)
        write_deltalake(seq_lake.uri("events"), events(rng, 0, 30))
        write_deltalake(seq_lake.uri("users"), users(rng, 6))
        next_id = 30
        views = rng.sample(sorted(VIEWS), 2)
        for view in views:
            seq_lake.refresh(view)
        for step in range(rng.randrange(2, 4)):
            what, next_id = mutate(seq_lake, rng, next_id)
            for view in views:
                out = seq_lake.refresh(view)
                for mode in modes:
                    if f"mode {mode} " in out:
                        modes[mode] += 1
                diff = seq_lake.differences(view)
                assert diff == 0, f"sequence {sequence} step {step} ({what}) view {view}: {out}"
    # The property exercised both paths.
    assert modes["incremental"] > 10 and modes["full"] > 10 and modes["noop"] > 5, modes


def test_kill_minus_nine_before_commit_is_redone_not_doubled(lake):
    rng = random.Random(7)
    write_deltalake(lake.uri("events"), events(rng, 0, 200))
    write_deltalake(lake.uri("users"), users(rng, 6))
    for view in ("filtered", "by_country"):
        lake.refresh(view)
        write_deltalake(lake.uri("events"), events(rng, 1000, 150), mode="append")
        version_before = DeltaTable(lake.uri(view)).version()
        env = cli_env()
        env["NEURALAKE_MV_PAUSE_BEFORE_COMMIT_MS"] = "30000"
        proc = subprocess.Popen([binary(), "mv", "refresh", f"gold.{view}", "--catalog",
                                 lake.catalog], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        # Wait until the data files are written (the view's data directory grows), then kill.
        deadline = time.time() + 60
        files_before = set(os.listdir(lake.uri(view)))
        while time.time() < deadline and set(os.listdir(lake.uri(view))) == files_before:
            time.sleep(0.05)
        time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert DeltaTable(lake.uri(view)).version() == version_before, "killed refresh committed"
        out = lake.refresh(view)
        assert "mode incremental" in out, out
        assert lake.differences(view) == 0
        # A full recompute gives the same rows.
        lake.refresh(view, full=True)
        assert lake.differences(view) == 0
        again = lake.refresh(view)
        assert "mode noop" in again, again
