"""Concurrent writers and crashed writers, through the CLI, on MinIO and local disk.

- 4 processes append 50 commits each to one table: 200 commits, every row exactly once.
- A writer killed with SIGKILL at random moments never leaves a half-written version.
"""
import os
import random
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from deltalake import DeltaTable

from conftest import delta_rs_storage_options, write_csv


def appender(nl, uri, worker, commits, tmp_path):
    """One OS process per commit, as independent writers would be."""
    for commit in range(commits):
        first = (worker * 1000 + commit) * 10
        path = write_csv(tmp_path / f"w{worker}-c{commit}.csv", ["id", "worker", "commit"],
                         [(first + i, worker, commit) for i in range(10)])
        nl.run("table", "append", uri, "--from", path)


@pytest.mark.parametrize("workers,commits", [(4, 50)])
def test_four_processes_appending_lose_and_duplicate_nothing(nl, table_uri, tmp_path, workers,
                                                             commits):
    nl.run("table", "create", table_uri, "--from",
           write_csv(tmp_path / "seed.csv", ["id", "worker", "commit"], [(-1, -1, -1)]))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(appender, nl, table_uri, w, commits, tmp_path)
                   for w in range(workers)]
        for future in futures:
            future.result()

    table = nl.read(table_uri)
    ids = table.column("id").to_pylist()
    assert len(ids) == workers * commits * 10 + 1
    assert len(set(ids)) == len(ids), "duplicated rows"
    expected = {-1} | {(w * 1000 + c) * 10 + i for w in range(workers) for c in range(commits)
                       for i in range(10)}
    assert set(ids) == expected, "lost rows"

    options = delta_rs_storage_options() if table_uri.startswith("s3://") else None
    dt = DeltaTable(table_uri, storage_options=options)
    assert dt.version() == workers * commits
    # Every version is a whole commit: 1 + 10*k rows at version k.
    for version in (1, 17, 100, 199, workers * commits):
        dt.load_as_version(version)
        assert dt.to_pyarrow_table().num_rows == 1 + 10 * version


def test_writer_killed_at_random_moments_leaves_the_table_consistent(nl, table_uri, tmp_path):
    nl.run("table", "create", table_uri, "--from",
           write_csv(tmp_path / "seed.csv", ["id", "batch"], [(-1, -1)]))
    rng = random.Random(7)
    killed = 0
    for batch in range(12):
        path = write_csv(tmp_path / f"b{batch}.csv", ["id", "batch"],
                         [(batch * 100_000 + i, batch) for i in range(20_000)])
        proc = subprocess.Popen([nl.binary, "table", "append", table_uri, "--from", path],
                                env=nl.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()

    table = nl.read(table_uri)
    batches = table.column("batch").to_pylist()
    # Each batch is in the table completely or not at all.
    counts = {}
    for b in batches:
        counts[b] = counts.get(b, 0) + 1
    for b, count in counts.items():
        assert count == (1 if b == -1 else 20_000), f"batch {b} is partial: {count} rows"
    history = nl.run("table", "history", table_uri).stdout
    assert history.strip(), "history must be readable after crashes"
    print(f"killed {killed} of 12 writers; {len(counts) - 1} batches committed")
