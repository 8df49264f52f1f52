"""Row-level DML through the CLI (`table delete|update|merge`), in deletion-vector and copy-on-write
mode, checked against DuckDB-Python running the same statement on a plain table.

- kill -9 during each DML (at the pause before the commit, and at random moments) leaves the table
  unchanged or exactly committed, readable by us and by delta-rs, also after VACUUM; local and
  MinIO.
- Bad input (unknown columns, type mismatches, runtime CAST failures, duplicate MERGE keys,
  predicates that do not parse, ...): one short error line, and not one file written.
- Partition-column updates, NULL predicates, every MERGE clause: same rows and same affected-row
  counts (`--format json`) as DuckDB.
"""
import json
import os
import random
import selectors
import signal
import subprocess
import time

import pyarrow as pa
import pytest

from conftest import COLUMNS, SCHEMA, Reference, new_table, rows_table, write_parquet
from nltest import NeuralakeCli, binary, cli_env

MODES = ["deletion-vectors", "copy-on-write"]
PAUSE_LINE = "dml: files written, pausing"
INSERT_ALL = (f"INSERT ({', '.join(COLUMNS)}) VALUES "
              f"({', '.join('s.' + column for column in COLUMNS)})")
UPDATE_ALL = "UPDATE SET " + ", ".join(f"{column} = s.{column}" for column in COLUMNS)


def dml_argv(table, cli, mode):
    """`neuralake table <op> URI <flags> --mode M --format json`."""
    return [binary(), "table", cli[0], table.uri, *cli[1:], "--mode", mode, "--format", "json"]


def run_dml(table, cli, mode):
    proc = subprocess.run(dml_argv(table, cli, mode), capture_output=True, text=True,
                          env=cli_env(), timeout=120)
    assert proc.returncode == 0, f"{cli} failed:\n{proc.stderr}"
    return json.loads(proc.stdout)


def assert_counts(result, counts):
    got = {kind: result[f"rows_{kind}"] for kind in counts}
    assert got == counts, f"neuralake counted {got}, DuckDB {counts}"


def step(table, ref, cli, sql, mode, ours=False):
    """Runs one DML on the table and in DuckDB; the rows (by delta-rs, and by us with ours=True),
    counts and version must agree."""
    version = table.version()
    result = run_dml(table, cli, mode)
    counts = ref.run(sql)
    assert_counts(result, counts)
    changed = any(counts.values())
    assert result["committed"] == changed, result
    assert table.version() == version + (1 if changed else 0)
    assert table.rows(ours) == ref.rows(), f"{cli} differs from DuckDB's {sql}"
    return result


# ---------------------------------------------------------------------------------------------
# kill -9


def kill_ops(op, k, source):
    """Round k of an operation: (CLI words, DuckDB SQL). Each round changes the table again."""
    if op == "delete":
        where = f"id % 13 = {k} OR v < -80"
        return ["delete", "--where", where], f"DELETE FROM t WHERE {where}"
    if op == "update":
        assignments = f"v = v + {k + 1}, name = name || '-{k}'"
        where = f"id % 7 = {k}"
        return (["update", "--set", assignments, "--where", where],
                f"UPDATE t SET {assignments} WHERE {where}")
    update = f"v = s.v + {k}, name = s.name"
    return (["merge", "--source", source, "--on", "t.id = s.id", "--when-matched-delete",
             "--condition", "s.v < -50", "--when-matched-update", update,
             "--when-not-matched-insert-all"],
            f"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED AND s.v < -50 THEN DELETE "
            f"WHEN MATCHED THEN UPDATE SET {update} WHEN NOT MATCHED THEN {INSERT_ALL}")


def wait_for_stderr(proc, text, timeout):
    selector = selectors.DefaultSelector()
    selector.register(proc.stderr, selectors.EVENT_READ)
    seen = b""
    deadline = time.monotonic() + timeout
    while text.encode() not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0 and selector.select(remaining), f"no '{text}' on stderr: {seen}"
        chunk = os.read(proc.stderr.fileno(), 4096)
        assert chunk, f"the command ended before '{text}': {seen.decode()}"
        seen += chunk


def expected_after(rows, sql, source):
    ref = Reference(rows)
    if source:
        ref.source(source)
    ref.run(sql)
    return ref.rows()


@pytest.mark.parametrize("where", ["local", "minio"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", ["delete", "update", "merge"])
def test_kill_minus_nine_leaves_table_unchanged_or_committed(nl, make_table, rng, tmp_path, op,
                                                             mode, where):
    table = make_table(where)
    table.create(rows_table(rng, range(0, 1000)), dv=mode == "deletion-vectors")
    table.append(rows_table(rng, range(1000, 2000)))
    if mode == "deletion-vectors":  # the files the DML changes already carry deletion vectors
        nl.run("table", "delete", table.uri, "--where", "id % 10 = 9")
    source = write_parquet(tmp_path, rows_table(rng, range(1500, 2500, 2)))

    # (a) Killed while paused before the commit, its files written: nothing changed.
    cli, sql = kill_ops(op, 0, source)
    version, before, files_before = table.version(), table.rows(), table.files()
    env = cli_env()
    env["NEURALAKE_TEST_DML_PAUSE_BEFORE_COMMIT_MS"] = "60000"
    proc = subprocess.Popen(dml_argv(table, cli, mode), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        wait_for_stderr(proc, PAUSE_LINE, 60)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert table.version() == version, "the killed DML committed"
    assert table.rows() == before
    written = table.files() - files_before
    assert written and not any(path.startswith("_delta_log") for path in written), written

    # Run again, it commits the same result as DuckDB.
    started = time.monotonic()
    result = run_dml(table, cli, mode)
    duration = time.monotonic() - started
    assert result["committed"] and result["version"] == version + 1, result
    state = expected_after(before, sql, source)
    assert table.rows() == state

    # (b) Killed at random moments without the pause: unchanged or exactly committed. A run that
    # ends before its kill commits (checked the same way) and shortens the next delays, until
    # two kills have landed.
    interrupted, k = 0, 0
    while interrupted < 2 and k < 6:
        k += 1
        cli, sql = kill_ops(op, k, source)
        version, before = table.version(), state
        expected = expected_after(before, sql, source)
        started = time.monotonic()
        proc = subprocess.Popen(dml_argv(table, cli, mode), env=cli_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            proc.wait(timeout=rng.uniform(0.1, 0.9) * duration)
            duration = time.monotonic() - started
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            interrupted += proc.wait() == -signal.SIGKILL
        now = table.version()
        assert now in (version, version + 1), f"round {k}: version {now} after {version}"
        assert proc.returncode != 0 or now == version + 1, f"round {k} ended without a commit"
        # The same log is the same snapshot to our reader (checked in (a) and after VACUUM).
        state = table.rows(ours=now != version)
        assert state == (before if now == version else expected), f"round {k}, version {now}"
    assert interrupted, "no kill landed while the command ran"

    # VACUUM (orphans of the killed commands may stay, younger than its 1 h floor) keeps the rows.
    nl.run("table", "vacuum", table.uri, "--retention-hours", "0", "--force-retention")
    assert table.rows() == state


# ---------------------------------------------------------------------------------------------
# Bad input: one error line, nothing written

MERGE_ON = ["merge", "{uri}", "--source", "{source}", "--on", "t.id = s.id"]
DUP_MERGE = ["merge", "{uri}", "--source", "{dup}", "--on", "t.id = s.id"]
ERROR_CASES = {
    # name: (arguments, words the error line must hold)
    "set-unknown-column": (["update", "{uri}", "--set", "nope = 1"], ["nope"]),
    "set-unknown-column-in-value": (["update", "{uri}", "--set", "v = nope + 1"], ["nope"]),
    "set-string-literal-into-number": (["update", "{uri}", "--set", "v = 'abc'", "--where",
                                        "id = 1"], ["type mismatch", "v"]),
    "set-string-column-into-number": (["update", "{uri}", "--set", "v = name"],
                                      ["type mismatch", "v"]),
    "set-runtime-cast-date": (["update", "{uri}", "--set", "d = 'not a date'"], ["not a date"]),
    "set-runtime-cast-late-rows": (["update", "{uri}", "--set",
                                    "v = CASE WHEN id >= 2900 THEN CAST(name AS BIGINT) "
                                    "ELSE v END"], ["convert"]),
    "set-value-out-of-range": (["update", "{uri}", "--set", "v = 99999999999999999999"],
                               ["out of range"]),
    "set-violates-check": (["update", "{uri}", "--set", "v = v + 5000", "--where",
                            "id % 2 = 0"], ["check constraint", "small_v"]),
    "merge-violates-check": (MERGE_ON + ["--when-matched-update", "v = 5000",
                                         "--when-not-matched-insert-all"],
                             ["check constraint", "small_v"]),
    "set-does-not-parse": (["update", "{uri}", "--set", "v = v +"], ["does not parse"]),
    "where-does-not-parse": (["delete", "{uri}", "--where", "id = = 1"], ["does not parse"]),
    "where-unknown-column": (["delete", "{uri}", "--where", "nope > 1"], ["nope"]),
    "update-where-unknown-column": (["update", "{uri}", "--set", "v = 1", "--where",
                                     "nope = 1"], ["nope"]),
    "dv-mode-without-dvs": (["delete", "{uri}", "--where", "id = 1", "--mode",
                             "deletion-vectors"], ["deletion vectors"]),
    "merge-source-missing": (["merge", "{uri}", "--source", "{missing}", "--on", "t.id = s.id",
                              "--when-not-matched-insert-all"], ["no-such-source"]),
    "merge-no-clause": (MERGE_ON, ["clause"]),
    "merge-on-does-not-parse": (["merge", "{uri}", "--source", "{source}", "--on",
                                 "t.id = = s.id", "--when-matched-update-all"],
                                ["does not parse"]),
    "merge-update-unknown-column": (MERGE_ON + ["--when-matched-update", "nope = s.v"],
                                    ["nope"]),
    "merge-update-type-mismatch": (MERGE_ON + ["--when-matched-update", "v = s.name"],
                                   ["type mismatch"]),
    "merge-duplicate-keys-update": (DUP_MERGE + ["--when-matched-update", "v = s.v"],
                                    ["more than one source row"]),
    "merge-duplicate-keys-update-all-insert": (DUP_MERGE + ["--when-matched-update-all",
                                                            "--when-not-matched-insert-all"],
                                               ["more than one source row"]),
    "merge-duplicate-keys-conditional-delete": (DUP_MERGE + ["--when-matched-delete",
                                                             "--condition", "s.v > -1000"],
                                                ["more than one source row"]),
}
# Refused while parsing or binding, before the table's files matter.
EARLY_ERRORS = ["set-unknown-column", "set-unknown-column-in-value",
                "set-string-literal-into-number", "set-string-column-into-number",
                "set-does-not-parse", "where-does-not-parse", "where-unknown-column",
                "update-where-unknown-column", "merge-no-clause", "merge-on-does-not-parse",
                "merge-update-unknown-column", "merge-update-type-mismatch"]
# (where, table kind, case): locally every case on a DV table, those that get further also on a
# plain (copy-on-write) table.
assert set(EARLY_ERRORS) <= set(ERROR_CASES)
ERROR_MATRIX = [("local", "dv", case) for case in ERROR_CASES if case != "dv-mode-without-dvs"]
ERROR_MATRIX += [("local", "plain", case) for case in ERROR_CASES if case not in EARLY_ERRORS]
# On MinIO, the cases that get past parsing and binding.
ERROR_MATRIX += [("minio", "plain", "dv-mode-without-dvs"),
                 ("minio", "plain", "set-runtime-cast-late-rows")]
ERROR_MATRIX += [("minio", "dv", case) for case in
                 ["set-runtime-cast-date", "set-runtime-cast-late-rows", "merge-source-missing",
                  "set-violates-check", "merge-violates-check",
                  "merge-duplicate-keys-update", "merge-duplicate-keys-update-all-insert",
                  "merge-duplicate-keys-conditional-delete", "merge-update-type-mismatch"]]


@pytest.fixture(scope="module")
def error_tables(tmp_path_factory):
    """One table per (where, kind), made once: nothing the cases run may change it."""
    work_dir = tmp_path_factory.mktemp("errors")
    nl = NeuralakeCli(work_dir, timeout=120)
    tables = {}
    rng = random.Random(19)
    inputs = {
        "source": write_parquet(work_dir, rows_table(rng, range(100, 200))),
        # Target row 6 matched by two source rows, both satisfying every clause condition.
        "dup": write_parquet(work_dir, pa.table({
            "id": [5, 6, 7, 6], "name": ["a", "b", "c", "d"], "v": [1, 2, 3, 4],
            "d": pa.array([None] * 4, pa.date32()), "p": ["x"] * 4}, schema=SCHEMA)),
        "missing": os.path.join(str(work_dir), "no-such-source.parquet"),
    }

    def get(where, kind):
        if (where, kind) not in tables:
            table = new_table(nl, work_dir, where)
            table.create(rows_table(rng, range(0, 1500)), dv=kind == "dv")
            table.append(rows_table(rng, range(1500, 3000)))
            if kind == "dv":
                nl.run("table", "delete", table.uri, "--where", "id % 10 = 9")
            nl.run("table", "constraint", "add", table.uri, "small_v", "v IS NULL OR v < 1000")
            tables[(where, kind)] = table
        return tables[(where, kind)]
    return get, inputs


@pytest.mark.parametrize("where,kind,case", ERROR_MATRIX)
def test_bad_input_is_one_error_line_and_writes_nothing(error_tables, where, kind, case):
    get, inputs = error_tables
    table = get(where, kind)
    arguments, words = ERROR_CASES[case]
    argv = [argument.format(uri=table.uri, **inputs) for argument in arguments]
    version, files = table.version(), table.files()
    proc = subprocess.run([binary(), "table", *argv], capture_output=True, text=True,
                          env=cli_env(), timeout=120)
    assert proc.returncode != 0, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, f"want one error line, got:\n{proc.stderr}"
    line = lines[0]
    assert line.startswith("error:") and len(line) <= 400, line
    for word in words:
        assert word.lower() in line.lower(), f"'{word}' not in: {line}"
    assert proc.stdout.strip() == "", proc.stdout
    assert table.version() == version
    assert table.files() == files, f"files written: {table.files() - files}"


# ---------------------------------------------------------------------------------------------
# Equivalence with DuckDB


@pytest.mark.parametrize("mode", MODES)
def test_update_of_partition_column_matches_duckdb(make_table, rng, mode):
    table = make_table()
    table.create(rows_table(rng, range(0, 800)), dv=mode == "deletion-vectors", partition_by="p")
    table.append(rows_table(rng, range(800, 1600)))
    ref = Reference(table.rows())
    steps = [
        (["update", "--set", "p = 'w', v = v + 1", "--where", "id % 3 = 0"],
         "UPDATE t SET p = 'w', v = v + 1 WHERE id % 3 = 0"),
        (["delete", "--where", "p = 'x'"], "DELETE FROM t WHERE p = 'x'"),
        (["update", "--set", "p = CASE WHEN v > 0 THEN 'pos' ELSE p END"],
         "UPDATE t SET p = CASE WHEN v > 0 THEN 'pos' ELSE p END"),
        (["delete", "--where", "p = 'w' AND v < 0"], "DELETE FROM t WHERE p = 'w' AND v < 0"),
        (["update", "--set", "p = NULL", "--where", "id < 100"],
         "UPDATE t SET p = NULL WHERE id < 100"),
        (["update", "--set", "p = 'back'", "--where", "p IS NULL AND id % 2 = 0"],
         "UPDATE t SET p = 'back' WHERE p IS NULL AND id % 2 = 0"),
    ]
    for i, (cli, sql) in enumerate(steps):
        step(table, ref, cli, sql, mode, ours=i == len(steps) - 1)


@pytest.mark.parametrize("mode", MODES)
def test_null_predicates_match_duckdb(make_table, rng, mode):
    table = make_table()
    table.create(rows_table(rng, range(0, 800)), dv=mode == "deletion-vectors")
    table.append(rows_table(rng, range(800, 1600)))
    ref = Reference(table.rows())
    version = table.version()
    result = step(table, ref, ["delete", "--where", "v = NULL"], "DELETE FROM t WHERE v = NULL",
                  mode)
    assert result["rows_deleted"] == 0 and result["version"] == version
    steps = [
        ("DELETE FROM t WHERE", ["delete", "--where"], "v > 50"),
        ("UPDATE t SET name = 'neg' WHERE", ["update", "--set", "name = 'neg'", "--where"],
         "NOT (v > 0)"),
        ("UPDATE t SET v = NULL WHERE", ["update", "--set", "v = NULL", "--where"],
         "d < DATE '2024-01-10'"),
        ("DELETE FROM t WHERE", ["delete", "--where"],
         "CASE WHEN v IS NULL THEN NULL ELSE id % 2 = 0 END"),
        ("UPDATE t SET v = coalesce(v, -1) WHERE",
         ["update", "--set", "v = coalesce(v, -1)", "--where"], "v IS NULL OR id % 5 = 0"),
        ("DELETE FROM t WHERE", ["delete", "--where"], "d IS NULL"),
        ("UPDATE t SET v = v * 2 WHERE", ["update", "--set", "v = v * 2", "--where"],
         "v IN (1, 2, NULL)"),
    ]
    for i, (sql, cli, predicate) in enumerate(steps):
        step(table, ref, cli + [predicate], f"{sql} {predicate}", mode, ours=i == len(steps) - 1)


@pytest.mark.parametrize("mode", MODES)
def test_merge_clauses_match_duckdb(nl, make_table, rng, tmp_path, mode):
    table = make_table()
    table.create(rows_table(rng, range(0, 1000)), dv=mode == "deletion-vectors")
    table.append(rows_table(rng, range(1000, 2000)))
    table.append(pa.table({"id": pa.array([None, None], pa.int64()), "name": ["null-id", "x"],
                           "v": [1, None], "d": pa.array([None, None], pa.date32()),
                           "p": ["x", "y"]}, schema=SCHEMA))
    ref = Reference(table.rows())

    # A file source whose columns come in another order (matched by name), with NULL keys.
    upserts = pa.concat_tables([rows_table(rng, range(1500, 2500, 2)),
                                rows_table(rng, [None, None])])
    upserts = upserts.select(["v", "p", "id", "d", "name"])
    upserts_path = write_parquet(tmp_path, upserts)
    ref.source(upserts_path)
    step(table, ref,
         ["merge", "--source", upserts_path, "--on", "t.id = s.id", "--when-matched-delete",
          "--condition", "s.v < -50 OR t.d IS NULL", "--when-matched-update-all",
          "--when-not-matched-insert-all"],
         "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED AND (s.v < -50 OR t.d IS NULL) THEN "
         f"DELETE WHEN MATCHED THEN {UPDATE_ALL} WHEN NOT MATCHED THEN {INSERT_ALL}", mode)

    # A Delta table source: update matched, delete the target rows it does not match.
    keys_path = write_parquet(tmp_path, rows_table(rng, range(0, 3000, 3)))
    keys = os.path.join(str(tmp_path), "keys")
    nl.run("table", "create", keys, "--from", keys_path)
    ref.source(keys_path)
    step(table, ref,
         ["merge", "--source", keys, "--on", "t.id = s.id", "--when-matched-update",
          "v = s.v * 10, name = t.name || s.name", "--when-not-matched-by-source-delete"],
         "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v * 10, "
         "name = t.name || s.name WHEN NOT MATCHED BY SOURCE THEN DELETE", mode)

    # Every clause at once, a compound ON condition with NULLs in it.
    ref.source(upserts_path)
    step(table, ref,
         ["merge", "--source", upserts_path, "--on", "t.id = s.id AND s.v > t.v",
          "--when-matched-delete", "--condition", "s.p = 'x'", "--when-matched-update",
          "v = s.v, d = NULL", "--when-not-matched-insert-all",
          "--when-not-matched-by-source-delete"],
         "MERGE INTO t USING s ON t.id = s.id AND s.v > t.v WHEN MATCHED AND s.p = 'x' THEN "
         "DELETE WHEN MATCHED THEN UPDATE SET v = s.v, d = NULL "
         f"WHEN NOT MATCHED THEN {INSERT_ALL} WHEN NOT MATCHED BY SOURCE THEN DELETE", mode,
         ours=True)
