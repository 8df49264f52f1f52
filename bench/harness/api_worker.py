"""The `api` suite's worker: HTTP query API latency and throughput of `neuralake serve` against the
FastAPI + uvicorn peers (bench/peers/api_peer.py) over the same `events` Delta table.

    api_worker.py PLAN.json        (plan and result as in bench/harness/PROTOCOL.md)

Engines: `neuralake` (`neuralake serve --catalog CATALOG --port 0`), `fastapi-polars` and
`fastapi-datafusion` (`uvicorn api_peer:app --workers 2`, as bench/api/api_bench.sh starts them).
The worker starts the engine's server, waits until it is ready, measures, and stops its process
group (also on failure).

Request kinds (the result's `queries`). The peers offer only `/api/v1/health` and
`/api/v1/tables/demo/events` with `event_id=N`, `_size=N` and `_format=`, so every kind is a
request both sides answer with the same semantics, sent with the same query string (neuralake's
path names the catalog's database of `events` instead of `demo`):
- `health`        GET /api/v1/health
- `point`         GET .../events?event_id=N                 (one row, JSON)
- `point_ndjson`  GET .../events?event_id=N&_format=ndjson  (one row, the streamed path)
- `miss`          GET .../events?event_id=<max + 1>         (no row: every file pruned by stats)
- `page`          GET .../events?_size=100                  (the first JSON page)
The peers have neither sort nor SQL, so there is no ordered listing and no aggregate: on a page
neuralake returns the first 100 rows of a total order (a top-N over the table) while the peers
return the first 100 rows of their scan (which rows depends on file order), so `page`'s answer is
its row count and column list only, and `page` is left out of the default throughput mix.

Per kind: `cold_ms` is the kind's first request after the server is ready (for `point`, the first
table request: neuralake loads the snapshot then, the peers at start), `warm_ms` max(repeats, 20)
sequential requests on one keep-alive connection with seeded random ids, `cpu_s` and `bytes_read`
are the server process tree's: utime+stime from /proc, and for the cold request its rchar (local
files: a peer's lazy imports; not recv(), which is how every engine's S3 client receives) plus
MinIO's bytes sent (v3 metrics, procstats.minio_counters), with `s3_gets` the GetObject requests
MinIO served meanwhile (MinIO-wide: one engine runs at a time). The answer is the cold response's
rows with columns in the table's schema order.

Throughput: for each concurrency C, C keep-alive connections cycle through the mix (plan
`throughput_queries`, default point, point_ndjson, miss) for `duration_s` (default 10). The load
client is wrk (-t1, a generated Lua script) when installed, else Python threads with
http.client; `options.client` = wrk | python | both (both: wrk's figures, Python's nested under
`python_client`). Each entry has the server tree's `cpu_s`, the client's own `client_cpu_s`, and
`client_bound` when the client burned more CPU than the server and over 0.6 of a core (a Python
client tops out near one core, the GIL: about 4-5k requests/s of /health here, where wrk drives
neuralake to ~16k). On a small machine the client and the server share the cores.
Run it with the venv's Python: the peers are started with the same interpreter.

The peers run as `uvicorn --workers 2` with TCP_NODELAY restored on the listening socket (see
UVICORN_NODELAY; `options.peer_nodelay: false` runs plain uvicorn and its ~40 ms keep-alive stall).

Plan options: client, peer_workers (2), peer_nodelay (true), start_timeout_s (180),
min_warm (20), serve_args ([]).
"""
import http.client
import importlib.metadata
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procstats  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ("neuralake", "fastapi-polars", "fastapi-datafusion")
KINDS = ("health", "point", "point_ndjson", "miss", "page")
DEFAULT_MIX = ("point", "point_ndjson", "miss")
PAGE_SIZE = 100
SEED = 42


def log(message):
    print(f"[api_worker] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The table: schema order and id range, read once from the Delta log (neutral to every engine).

def table_facts(uri, storage):
    """{"columns": [...], "rows": N, "min_id": a, "max_id": b} of the events Delta table."""
    for key, env in (("endpoint", "NEURALAKE_S3_ENDPOINT"), ("access_key", "NEURALAKE_S3_ACCESS_KEY"),
                     ("secret_key", "NEURALAKE_S3_SECRET_KEY"), ("region", "NEURALAKE_S3_REGION")):
        if storage.get(key):
            os.environ[env] = str(storage[key])
    sys.path.insert(0, str(ROOT / "bench" / "peers"))
    from lake_storage import storage_options
    import pyarrow as pa
    from deltalake import DeltaTable

    table = DeltaTable(uri, storage_options=storage_options(uri))
    columns = [field.name for field in table.schema().fields]
    actions = pa.table(table.get_add_actions(flatten=True)).to_pydict()
    rows = sum(actions.get("num_records") or [0])
    mins = [v for v in actions.get("min.event_id", []) if v is not None]
    maxs = [v for v in actions.get("max.event_id", []) if v is not None]
    min_id = min(mins) if mins else 0
    max_id = max(maxs) if maxs else max(rows - 1, 0)
    return {"columns": columns, "rows": rows, "min_id": int(min_id), "max_id": int(max_id),
            "files": len(actions.get("num_records") or [])}


# ---------------------------------------------------------------------------------------------
# Requests.

class Requests:
    """The paths of each kind for one engine, with ids drawn from the table's range."""

    def __init__(self, table_path, facts):
        self.table_path = table_path
        self.lo, self.hi = facts["min_id"], facts["max_id"]
        self.miss_id = self.hi + 1

    def template(self, kind):
        """The kind's path; `{id}` marks a random event id."""
        return {
            "health": "/api/v1/health",
            "point": self.table_path + "?event_id={id}",
            "point_ndjson": self.table_path + "?event_id={id}&_format=ndjson",
            "miss": self.table_path + f"?event_id={self.miss_id}",
            "page": self.table_path + f"?_size={PAGE_SIZE}",
        }[kind]

    def path(self, kind, rng):
        return self.template(kind).replace("{id}", str(rng.randint(self.lo, self.hi)))

    def cold_path(self, kind):
        # Fixed ids, so every engine answers the same request; different per kind.
        offset = {"point": 0, "point_ndjson": 1}.get(kind, 0)
        middle = self.lo + (self.hi - self.lo) // 2
        return self.template(kind).replace("{id}", str(min(self.hi, middle + offset * 7919)))


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects after an error."""

    def __init__(self, host, port, timeout):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = None

    def get(self, path):
        """(status, content type, body bytes). Raises on a transport error."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request("GET", path)
            response = self.conn.getresponse()
            body = response.read()
            if response.getheader("connection", "").lower() == "close":
                self.close()
            return response.status, response.getheader("content-type", ""), body
        except Exception:
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def first_line(text):
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else ""


def parse_rows(kind, content_type, body):
    """The response's rows as a list of dicts (tables) or one dict (health)."""
    if kind == "point_ndjson":
        return [json.loads(line) for line in body.decode().splitlines() if line.strip()]
    document = json.loads(body)
    if kind == "health":
        return document
    rows = document["rows"]
    if rows and isinstance(rows[0], list):  # an array-shaped answer: pair with its columns
        names = [c["name"] if isinstance(c, dict) else c for c in document["columns"]]
        rows = [dict(zip(names, row)) for row in rows]
    return rows


def answer_of(kind, parsed, schema):
    """{"columns": [...], "rows": [[...]]} in the table's schema order."""
    if kind == "health":
        # neuralake adds {"version": "neuralake"}; the status is what both sides answer.
        return {"columns": ["status"], "rows": [[parsed.get("status")]]}
    if kind == "page":
        names = list(parsed[0]) if parsed else []
        ordered = [c for c in schema if c in names] + [c for c in names if c not in schema]
        return {"columns": ["rows", "columns"], "rows": [[len(parsed), ",".join(ordered)]]}
    names = list(schema)
    if parsed and set(parsed[0]) != set(schema):
        names = list(parsed[0])  # a different column set: keep it visible in the answer
    return {"columns": names, "rows": [[row.get(n) for n in names] for row in parsed]}


# ---------------------------------------------------------------------------------------------
# Servers.

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ERROR_LINE = re.compile(r"(Error|Exception|error:|panicked)")


def last_line(path):
    """The log's last error line (a traceback's `KeyError: ...`), else its last line."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if ERROR_LINE.search(line)]
    return (errors or lines or [""])[-1][:300]


# `uvicorn --workers N` (N > 1) binds the listening socket itself with proto 0, so asyncio never
# sets TCP_NODELAY on the accepted sockets (uvicorn issue #3149, open for 0.54): every keep-alive
# response after the first then waits ~40 ms for the client's delayed ACK, which would measure
# the bug, not the peer. This launcher runs uvicorn's own CLI with TCP_NODELAY set on the listener
# (Linux copies it to every accepted socket). `-c`, so the spawned workers do not re-run it.
UVICORN_NODELAY = """
import socket, sys
import uvicorn.config, uvicorn.main
bind = uvicorn.config.Config.bind_socket
def bind_nodelay(self):
    sock = bind(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
uvicorn.config.Config.bind_socket = bind_nodelay
sys.argv[0] = "uvicorn"
sys.exit(uvicorn.main.main())
"""


class ServerFailed(Exception):
    pass


class Server:
    """A server process in its own process group, with its log files in `work`."""

    def __init__(self, engine, plan, work, env):
        self.engine, self.plan, self.work, self.env = engine, plan, work, env
        self.proc = None
        self.host, self.port = "127.0.0.1", None
        self.stdout_path = os.path.join(work, "server.out")
        self.stderr_path = os.path.join(work, "server.err")
        self.command = []

    def start(self, timeout):
        options = self.plan.get("options") or {}
        stdout = open(self.stdout_path, "wb")
        stderr = open(self.stderr_path, "wb")
        if self.engine == "neuralake":
            binary = self.plan.get("neuralake") or "build/bin/neuralake"
            binary = str(binary if os.path.isabs(binary) else ROOT / binary)
            self.command = [binary, "serve", "--catalog", self.plan["catalog_path"], "--port", "0",
                            "--quiet", "--ui-dir", "none"] + list(options.get("serve_args", []))
            cwd = str(ROOT)
        else:
            self.port = free_port()
            launcher = (["-c", UVICORN_NODELAY] if options.get("peer_nodelay", True)
                        else ["-m", "uvicorn"])
            self.command = [sys.executable] + launcher + ["api_peer:app",
                            "--workers", str(options.get("peer_workers", 2)),
                            "--host", self.host, "--port", str(self.port), "--log-level", "info",
                            "--no-access-log"]
            cwd = str(ROOT / "bench" / "peers")
        try:
            self.proc = subprocess.Popen(self.command, cwd=cwd, env=self.env, stdout=stdout,
                                         stderr=stderr, stdin=subprocess.DEVNULL,
                                         process_group=0)
        except OSError as e:
            raise ServerFailed(f"cannot start {self.command[0]}: {e}")
        finally:
            stdout.close()
            stderr.close()
        self._start_watchdog()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailed(last_line(self.stderr_path) or last_line(self.stdout_path) or
                                   f"exited with status {self.proc.returncode} before it was ready")
            if self._ready():
                return
            time.sleep(0.1)
        raise ServerFailed(f"not ready after {timeout:.0f} s: "
                           f"{last_line(self.stderr_path) or last_line(self.stdout_path)}")

    def _start_watchdog(self):
        """A shell in the server's process group that kills the group once this worker is gone
        (the harness may SIGKILL a worker that outlives its budget; the server is in its own
        process group, so it would not be killed with the worker's group)."""
        group = self.proc.pid
        script = (f'while [ "$(cut -d" " -f4 /proc/$$/stat)" = "{os.getpid()}" ]; do sleep 1; done; '
                  f"kill -KILL -{group}")
        try:
            subprocess.Popen(["sh", "-c", script], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             preexec_fn=lambda: os.setpgid(0, group))
        except OSError as e:
            log(f"no watchdog for the server: {e}")

    def _ready(self):
        if self.engine == "neuralake":
            if self.port is None:
                for line in Path(self.stdout_path).read_text(errors="replace").splitlines():
                    if line.startswith("listening on http://"):
                        address = line.split("http://", 1)[1].split()[0]
                        self.host, port = address.rsplit(":", 1)
                        self.port = int(port)
                if self.port is None:
                    return False
        else:
            # Every uvicorn worker opens the table at import; count the workers that finished.
            workers = int((self.plan.get("options") or {}).get("peer_workers", 2))
            text = Path(self.stderr_path).read_text(errors="replace")
            if "Child process" in text and "died" in text:
                # uvicorn's supervisor restarts a worker that failed at import, forever.
                raise ServerFailed(last_line(self.stderr_path))
            if text.count("Application startup complete") < workers:
                return False
        try:
            status, _, _ = Connection(self.host, self.port, 5).get("/api/v1/health")
            return status == 200
        except Exception:
            return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def pids(self):
        if not self.alive():
            return []
        return [self.proc.pid] + procstats.descendants(self.proc.pid)

    def cpu(self):
        return procstats.tree_cpu(self.proc.pid) if self.alive() else 0.0

    def rchar(self):
        return procstats.tree_rchar(self.proc.pid) if self.alive() else 0

    def peak_rss_mb(self):
        """VmHWM of the server process and the sum over its tree (uvicorn: master + workers)."""
        pids = self.pids()
        if not pids:
            return 0.0, 0.0
        return procstats.peak_rss_mb(pids[0]), sum(procstats.peak_rss_mb(p) for p in pids)

    def stop(self):
        """SIGTERM to the group (graceful), SIGKILL after 15 s; then SIGKILL to whatever is left
        of the group (uvicorn's workers, the watchdog)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=10)


def engine_version(engine, plan):
    if engine == "neuralake":
        binary = plan.get("neuralake") or "build/bin/neuralake"
        binary = str(binary if os.path.isabs(binary) else ROOT / binary)
        try:
            out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
            return out.stdout.strip() or out.stderr.strip()
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"unknown ({e})"
    library = engine.split("-", 1)[1]
    parts = []
    for package in ("fastapi", "uvicorn", library):
        try:
            parts.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{package} ?")
    return " + ".join(parts)


# ---------------------------------------------------------------------------------------------
# Load clients.

def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * (len(sorted_values) - 1)))))
    return sorted_values[index]


def python_load(server, requests, mix, clients, duration, timeout):
    """C threads, one keep-alive connection each, cycling through the mix for `duration` s."""
    results = [None] * clients
    barrier = threading.Barrier(clients + 1)

    def client(index):
        rng = random.Random(SEED * 1000 + index)
        conn = Connection(server.host, server.port, timeout)
        latencies, errors, done = [], 0, 0
        barrier.wait()
        deadline = time.monotonic() + duration
        i = index
        while True:
            start = time.monotonic()
            if start >= deadline:
                break
            kind = mix[i % len(mix)]
            i += 1
            try:
                status, _, _ = conn.get(requests.path(kind, rng))
                ok = status == 200
            except Exception:
                ok = False
            if ok:
                done += 1
                latencies.append(time.monotonic() - start)
            else:
                errors += 1
        conn.close()
        results[index] = (done, errors, latencies)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = server.cpu()
    barrier.wait()
    start = time.monotonic()
    for thread in threads:
        thread.join(duration + timeout + 10)
    seconds = time.monotonic() - start
    cpu_after = server.cpu()
    after = resource.getrusage(resource.RUSAGE_SELF)
    finished = [r for r in results if r is not None]
    done = sum(r[0] for r in finished)
    errors = sum(r[1] for r in finished) + (clients - len(finished))
    latencies = sorted(x for r in finished for x in r[2])
    return {
        "concurrency": clients, "client": "python", "queries": done, "errors": errors,
        "seconds": round(seconds, 3), "qps": round(done / seconds, 1) if seconds else None,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 3) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 3) if latencies else None,
        "cpu_s": round(cpu_after - cpu_before, 3),
        "client_cpu_s": round(after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime, 3),
    }


def client_bound(figures):
    """True when the load client, not the server, is the likely limit: it burned more CPU than the
    server and more than 0.6 of a core (one Python process gets about one core, the GIL; on a
    small machine the client's CPU is also taken from the server)."""
    seconds = figures.get("seconds") or 0
    client = figures.get("client_cpu_s") or 0
    return bool(seconds) and client > max(figures.get("cpu_s") or 0, 0.6 * seconds)


WRK_SCRIPT = """
-- generated by bench/harness/api_worker.py: cycle through the request mix, random event ids
local templates = {%(templates)s}
local lo, hi = %(lo)d, %(hi)d
local counter = 0
function init(args)
  math.randomseed(%(seed)d)
end
function request()
  counter = counter + 1
  local path = templates[(counter - 1) %% #templates + 1]
  path = string.gsub(path, "{id}", tostring(math.random(lo, hi)))
  return wrk.format("GET", path)
end
function done(summary, latency, requests)
  io.write(string.format(
    "FIGURES requests=%%d duration_us=%%d p50_us=%%d p99_us=%%d connect=%%d read=%%d write=%%d status=%%d timeout=%%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end
"""


def wrk_load(server, requests, mix, clients, duration, timeout, work):
    script = os.path.join(work, "mix.lua")
    templates = ", ".join(json.dumps(requests.template(kind)) for kind in mix)
    # wrk's ids are plain Lua numbers: exact up to 2^53, far beyond any generated table.
    with open(script, "w") as f:
        f.write(WRK_SCRIPT % {"templates": templates, "lo": requests.lo, "hi": requests.hi,
                              "seed": SEED})
    seconds = max(1, int(round(duration)))
    command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--timeout", f"{int(timeout)}s",
               "-s", script, f"http://{server.host}:{server.port}"]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = server.cpu()
    run = dict(capture_output=True, text=True, timeout=seconds + timeout + 30)
    try:
        # In the server's process group, so the watchdog also stops it if this worker is killed.
        out = subprocess.run(command, process_group=server.proc.pid, **run)
    except (OSError, subprocess.SubprocessError) as e:
        if isinstance(e, subprocess.TimeoutExpired):
            raise
        out = subprocess.run(command, **run)
    cpu_after = server.cpu()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((l for l in out.stdout.splitlines() if l.startswith("FIGURES ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no figures: {first_line(out.stderr or out.stdout)}")
    figures = dict(item.split("=") for item in line.split()[1:])
    figures = {k: int(v) for k, v in figures.items()}
    errors = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    wall = figures["duration_us"] / 1e6
    # wrk counts a non-2xx/3xx response in `requests` and in errors.status.
    done = figures["requests"] - figures["status"]
    return {
        "concurrency": clients, "client": "wrk", "queries": done, "errors": errors,
        "seconds": round(wall, 3), "qps": round(done / wall, 1) if wall else None,
        "p50_ms": round(figures["p50_us"] / 1000, 3), "p99_ms": round(figures["p99_us"] / 1000, 3),
        "cpu_s": round(cpu_after - cpu_before, 3),
        "client_cpu_s": round(after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime, 3),
    }


# ---------------------------------------------------------------------------------------------
# The run.

class Worker:
    def __init__(self, plan):
        self.plan = plan
        self.engine = plan.get("engine")
        self.result = {"engine": self.engine, "suite": plan.get("suite", "api"),
                       "engine_version": None, "status": "ok", "error": None, "setup_s": None,
                       "queries": [], "throughput": []}

    def save(self):
        path = self.plan["result_path"]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.result, f, indent=2)
        os.replace(tmp, path)

    def run(self):
        if self.engine not in ENGINES:
            self.result["status"] = "unknown-engine"
            self.result["error"] = (f"unknown engine {self.engine!r} for suite api "
                                    f"(known: {', '.join(ENGINES)})")
            self.save()
            return
        plan = self.plan
        options = plan.get("options") or {}
        events = plan["tables"]["events"]
        storage = plan.get("storage") or {}
        self.result["engine_version"] = engine_version(self.engine, plan)
        facts = table_facts(events["delta"], storage)
        self.result["table"] = {"uri": events["delta"], **{k: facts[k] for k in
                                                          ("rows", "files", "min_id", "max_id")}}
        env = dict(os.environ)
        if self.engine == "neuralake":
            table_path = f"/api/v1/tables/{events['database']}/events"
        else:
            table_path = "/api/v1/tables/demo/events"
            env["NEURALAKE_PEER_ENGINE"] = self.engine.split("-", 1)[1]
            env["NEURALAKE_PEER_TABLE"] = events["delta"]
            env["PYTHONPATH"] = str(ROOT / "bench" / "peers")
        requests = Requests(table_path, facts)
        self.save()

        work = tempfile.mkdtemp(prefix=f"api-worker-{self.engine}-")
        server = Server(self.engine, plan, work, env)
        try:
            started = time.monotonic()
            try:
                server.start(float(options.get("start_timeout_s", 180)))
            except ServerFailed as e:
                self.result["status"] = "crashed"
                self.result["error"] = str(e)
                self.save()
                return
            self.result["setup_s"] = round(time.monotonic() - started, 3)
            self.result["server"] = {"command": server.command, "pid": server.proc.pid,
                                     "url": f"http://{server.host}:{server.port}"}
            self.save()
            self.measure_queries(server, requests, facts)
            if server.alive():
                self.measure_throughput(server, requests, work)
            if server.alive():
                main_mb, tree_mb = server.peak_rss_mb()
                self.result["server"]["peak_rss_mb"] = round(main_mb, 1)
                self.result["server"]["peak_rss_tree_mb"] = round(tree_mb, 1)
                self.result["server"]["processes"] = len(server.pids())
                self.result["server_peak_rss_mb"] = round(tree_mb, 1)
            else:
                self.result["status"] = "crashed"
                self.result["error"] = (last_line(server.stderr_path) or
                                        f"server exited with status {server.proc.returncode}")
            self.save()
        finally:
            server.stop()
            shutil.rmtree(work, ignore_errors=True)

    def s3_counters(self):
        """MinIO's (bytes sent, GetObject requests) when the table is on it, else None."""
        if not self.plan["tables"]["events"]["delta"].startswith("s3://"):
            return None
        endpoint = ((self.plan.get("storage") or {}).get("endpoint") or
                    os.environ.get("NEURALAKE_S3_ENDPOINT", "http://127.0.0.1:9000"))
        return procstats.minio_counters(endpoint.rstrip("/"))

    def kinds(self):
        names = [q["name"] for q in self.plan.get("queries") or [] if q.get("name")]
        return names or list(KINDS)

    def measure_queries(self, server, requests, facts):
        plan = self.plan
        options = plan.get("options") or {}
        timeout = float(plan.get("timeout_s", 600))
        warm_count = max(int(plan.get("repeats", 5)), int(options.get("min_warm", 20)))
        answers_dir = plan.get("answers_dir")
        if answers_dir:
            os.makedirs(answers_dir, exist_ok=True)
        conn = Connection(server.host, server.port, timeout)
        for name in self.kinds():
            entry = {"name": name, "status": "ok", "error": None, "cold_ms": None, "warm_ms": [],
                     "rows": None, "cpu_s": None, "bytes_read": None, "answer": None,
                     "path": None}
            self.result["queries"].append(entry)
            if name not in KINDS:
                entry["status"] = "unsupported"
                entry["error"] = f"unknown request kind {name} (known: {', '.join(KINDS)})"
                self.save()
                continue
            if not server.alive():
                entry["status"] = "error"
                entry["error"] = "server is not running"
                self.save()
                continue
            rng = random.Random(f"{SEED}-{name}")
            path = requests.cold_path(name)
            entry["path"] = path
            cpu_before = server.cpu()
            rchar_before = server.rchar()
            s3_before = self.s3_counters()
            try:
                start = time.perf_counter()
                status, content_type, body = conn.get(path)
                entry["cold_ms"] = round((time.perf_counter() - start) * 1000, 3)
                entry["bytes_read"] = server.rchar() - rchar_before
                s3_after = self.s3_counters() if s3_before else None
                if s3_after:
                    entry["bytes_read"] += int(s3_after[0] - s3_before[0])
                    entry["s3_gets"] = int(s3_after[1] - s3_before[1])
                if status != 200:
                    raise RuntimeError(f"HTTP {status}: {first_line(body)}")
                answer = answer_of(name, parse_rows(name, content_type, body), facts["columns"])
                entry["rows"] = len(answer["rows"]) if name != "page" else answer["rows"][0][0]
                entry["response_bytes"] = len(body)
                if answers_dir:
                    entry["answer"] = os.path.join(answers_dir, f"{name}.json")
                    with open(entry["answer"], "w") as f:
                        json.dump(answer, f)
                for _ in range(warm_count):
                    start = time.perf_counter()
                    status, _, body = conn.get(requests.path(name, rng))
                    elapsed = (time.perf_counter() - start) * 1000
                    if status != 200:
                        raise RuntimeError(f"HTTP {status}: {first_line(body)}")
                    entry["warm_ms"].append(round(elapsed, 3))
            except Exception as e:
                entry["status"] = "timeout" if isinstance(e, socket.timeout) else "error"
                entry["error"] = first_line(f"{type(e).__name__}: {e}")
            entry["cpu_s"] = round(server.cpu() - cpu_before, 3)
            self.save()
        conn.close()

    def measure_throughput(self, server, requests, work):
        plan = self.plan
        options = plan.get("options") or {}
        ok = {q["name"] for q in self.result["queries"] if q["status"] == "ok"}
        mix = [k for k in plan.get("throughput_queries") or DEFAULT_MIX if k in ok]
        if not mix:
            return
        duration = float(plan.get("duration_s", 10))
        timeout = min(float(plan.get("timeout_s", 600)), 60.0)
        client = options.get("client", "auto")
        has_wrk = shutil.which("wrk") is not None
        use_wrk = client in ("wrk", "both") or (client == "auto" and has_wrk)
        if use_wrk and not has_wrk:
            use_wrk = False
            self.result["throughput_note"] = "wrk is not installed: the Python client measured"
        for clients in plan.get("concurrency") or [1, 4, 16]:
            if not server.alive():
                break
            s3_before = self.s3_counters()
            try:
                if use_wrk:
                    entry = wrk_load(server, requests, mix, clients, duration, timeout, work)
                    if client == "both":
                        entry["python_client"] = python_load(server, requests, mix, clients,
                                                             duration, timeout)
                else:
                    entry = python_load(server, requests, mix, clients, duration, timeout)
                entry["mix"] = mix
                s3_after = self.s3_counters() if s3_before else None
                if s3_after:  # over the whole window (both clients with `both`)
                    entry["s3_bytes"] = int(s3_after[0] - s3_before[0])
                    entry["s3_gets"] = int(s3_after[1] - s3_before[1])
                for figures in (entry, entry.get("python_client")):
                    if figures:
                        figures["client_bound"] = client_bound(figures)
            except Exception as e:
                entry = {"concurrency": clients, "queries": 0, "errors": 1, "seconds": 0,
                         "qps": None, "cpu_s": None, "error": first_line(f"{type(e).__name__}: {e}")}
            self.result["throughput"].append(entry)
            log(f"{self.engine} C={clients}: {entry}")
            self.save()


def main():
    if len(sys.argv) != 2:
        print("usage: api_worker.py PLAN.json", file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        plan = json.load(f)
    worker = Worker(plan)
    # SIGTERM from the harness: unwind, so the server's process group is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        worker.run()
    except Exception as e:
        worker.result["status"] = "error"
        worker.result["error"] = first_line(f"{type(e).__name__}: {e}")
        worker.save()
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
