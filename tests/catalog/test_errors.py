"""Bad catalog input through the CLI: a non-zero exit and one error line naming the table and the
reason; a password never appears in any output, response or log.
"""
import json
import os
import re
import secrets
import socket
import subprocess
import urllib.error
import urllib.request

import pytest
from nltest import binary, cli_env
from conftest import PG_SCHEMA, pg_connect, pg_dsn, run_cli, write_catalog


def free_port():
    """A port nothing listens on: bind one, learn it, close it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SECRET = "nlcat-" + secrets.token_hex(12)


@pytest.fixture(scope="module")
def pg_table():
    with pg_connect() as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {PG_SCHEMA}.small (id int, p polygon)")
        conn.execute(f"INSERT INTO {PG_SCHEMA}.small VALUES (1, '((0,0),(1,1),(1,0))')")
        # The role services.sh gives a password line in pg_hba.conf (scram-sha-256).
        conn.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nl_secret') "
                     "THEN CREATE ROLE nl_secret LOGIN; END IF; END $$")
        hba = conn.execute("SELECT count(*) FROM pg_hba_file_rules WHERE 'nl_secret' = ANY(user_name)"
                           " AND auth_method = 'scram-sha-256'").fetchone()[0]
    assert hba, "pg_hba.conf has no password line for nl_secret: run scripts/services.sh up postgres"
    return f"{PG_SCHEMA}.small"


def error_lines(proc):
    return [line for line in proc.stderr.splitlines() if line.startswith("error:")]


def fails_naming(tmp_path, table_spec, *words, query=None, env=None, table="bad"):
    catalog = write_catalog(tmp_path / "catalog.yaml", {
        table: table_spec,
        "fine": "{type: function, function: generate, args: {rows: 3}}"})
    proc = run_cli("sql", "--catalog", str(catalog), query or f"SELECT count(*) FROM app.{table}",
                   env=env)
    assert proc.returncode != 0, proc.stdout
    assert proc.stdout == ""
    errors = error_lines(proc)
    assert len(errors) == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    for word in words:
        assert word in errors[0], f"{word!r} not in {errors[0]!r}"
    return proc


def test_unreachable_postgres(tmp_path, pg_table):
    dsn = pg_dsn(port=free_port()) + " connect_timeout=5"
    fails_naming(tmp_path, f'{{type: postgres, dsn: "{dsn}", table: {pg_table}}}',
                 "app.bad", "cannot connect")


def test_wrong_password_is_refused_and_never_echoed(tmp_path, pg_table):
    env = cli_env()
    env["NLCAT_PG_PASSWORD"] = SECRET
    log = os.path.join(os.environ.get("NEURALAKE_CACHE", os.path.expanduser("~/.cache/neuralake")),
                       "logs", "postgres.log")
    offset = os.path.getsize(log)
    spec = (f'{{type: postgres, dsn: "{pg_dsn("nl_secret")}", table: {pg_table}, '
            'password_env: NLCAT_PG_PASSWORD}')
    proc = fails_naming(tmp_path, spec, "app.bad", "password authentication failed", env=env)
    assert SECRET not in proc.stdout + proc.stderr
    check = run_cli("catalog", "check", "--catalog", str(tmp_path / "catalog.yaml"), env=env)
    assert check.returncode == 1 and "app.bad" in check.stdout + check.stderr
    assert SECRET not in check.stdout + check.stderr
    # The server: the error response and its log hold no password either.
    proc = subprocess.Popen([binary(), "serve", "--catalog", str(tmp_path / "catalog.yaml"),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        base = match.group(0)
        request = urllib.request.Request(base + "/api/v1/sql", method="POST",
                                         data=json.dumps({"sql": "SELECT * FROM app.bad"}).encode())
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                body, status = response.read().decode(), response.status
        except urllib.error.HTTPError as error:
            body, status = error.read().decode(), error.code
        assert status >= 400 and "app.bad" in body, (status, body)
        assert SECRET not in body
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert SECRET not in out + err
    with open(log, encoding="utf-8", errors="replace") as f:
        f.seek(offset)
        assert SECRET not in f.read()


def test_missing_postgres_table(tmp_path, pg_table):
    fails_naming(tmp_path, f'{{type: postgres, dsn: "{pg_dsn()}", table: {PG_SCHEMA}.nope}}',
                 "app.bad", f"{PG_SCHEMA}.nope", "does not exist")


def test_unmappable_column_type(tmp_path, pg_table):
    fails_naming(tmp_path, f'{{type: postgres, dsn: "{pg_dsn()}", table: {pg_table}}}',
                 "app.bad", "'p'", "polygon")


def test_unmappable_type_cast_in_a_query_reads(tmp_path, pg_table):
    catalog = write_catalog(tmp_path / "catalog.yaml", {
        "ok": f'{{type: postgres, dsn: "{pg_dsn()}", query: "SELECT id, p::text AS p FROM {pg_table}"}}'})
    proc = run_cli("sql", "--catalog", str(catalog), "--format", "csv", "--quiet",
                   "SELECT * FROM app.ok")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["id,p", '1,"((0,0),(1,1),(1,0))"']


def test_view_cycle_fails_at_start_naming_the_cycle(tmp_path):
    catalog = write_catalog(tmp_path / "catalog.yaml", {
        "a": '{type: view, sql: "SELECT * FROM app.b"}',
        "b": '{type: view, sql: "SELECT * FROM app.c"}',
        "c": '{type: view, sql: "SELECT * FROM app.a"}',
        "fine": "{type: function, function: generate, args: {rows: 3}}"})
    # At start: even a query on another table is refused.
    proc = run_cli("sql", "--catalog", str(catalog), "SELECT count(*) FROM app.fine")
    assert proc.returncode != 0
    errors = error_lines(proc)
    assert len(errors) == 1 and "cycle" in errors[0], proc.stderr
    assert any(c in errors[0] for c in ("app.a -> app.b -> app.c -> app.a",
                                        "app.b -> app.c -> app.a -> app.b",
                                        "app.c -> app.a -> app.b -> app.c")), errors[0]


@pytest.mark.parametrize("args,words", [
    ("{schema: nosuch, rows: 5}", ["nosuch"]),
    ("{schema: events, rows: lots}", ["rows", "lots"]),
    ("{schema: events, rows: -4}", ["rows"]),
    ("{schema: events, colour: blue}", ["colour"]),
])
def test_function_table_with_a_bad_argument(tmp_path, args, words):
    fails_naming(tmp_path, f"{{type: function, function: generate, args: {args}}}",
                 "app.bad", *words)


def test_unknown_function(tmp_path):
    fails_naming(tmp_path, "{type: function, function: no_such_function}", "no_such_function")


@pytest.mark.parametrize("dsn", [
    f"host=127.0.0.1 port=5432 dbname=neuralake user=postgres password={SECRET}",
    f"postgresql://postgres:{SECRET}@127.0.0.1:5432/neuralake",
])
def test_password_in_the_catalog_file_is_refused_without_echo(tmp_path, dsn):
    proc = fails_naming(tmp_path, f'{{type: postgres, dsn: "{dsn}", table: public.x}}',
                        "password", query="SELECT count(*) FROM app.fine")
    assert "'bad'" in proc.stderr or "app.bad" in proc.stderr
    assert SECRET not in proc.stdout + proc.stderr


@pytest.mark.parametrize("where", ["local", "s3"])
def test_empty_parquet_prefix(tmp_path, where):
    if where == "local":
        uri = str(tmp_path / "empty")
        os.makedirs(uri)
    else:
        uri = f"s3://lake/catalog-test-empty-{secrets.token_hex(6)}/"
    fails_naming(tmp_path, f'{{type: parquet, uri: "{uri}"}}', "app.bad", "no parquet files",
                 "declare")
    catalog = write_catalog(tmp_path / "catalog.yaml", {
        "empty": f'{{type: parquet, uri: "{uri}", schema: {{id: INTEGER, name: VARCHAR}}}}'})
    proc = run_cli("sql", "--catalog", str(catalog), "--format", "csv", "--quiet",
                   "SELECT count(*) AS n, count(name) AS names FROM app.empty")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["n,names", "0,0"]
    proc = run_cli("sql", "--catalog", str(catalog), "--format", "csv", "--quiet",
                   "SELECT * FROM app.empty")
    assert proc.returncode == 0 and proc.stdout.splitlines() == ["id,name"], proc.stderr
