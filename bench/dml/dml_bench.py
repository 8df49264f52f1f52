"""Row-level DML on MinIO (issue 19 figures): neuralake deletion vectors vs neuralake copy-on-write
vs delta-rs, each on its own copy of the same table, every result checked before it is reported.

  bench/dml/dml_bench.sh [--scale-gb 2] [--merge-rows 10000000] [--merge-upserts 1000000] ...
  (make bench-dml [SCALE_GB=2 MERGE_ROWS=10000000 MERGE_UPSERTS=1000000])

(a) DELETE of 0.1% of rows scattered over every file (`event_id % 1000 = 7`) on an events table of
    --scale-gb (generator raw size; ~37.2 bytes a row): ours with deletion vectors, ours
    copy-on-write, delta-rs `DeltaTable.delete`. All three must leave the same row count and sums.
(b) MERGE of --merge-upserts source rows (half match existing keys spread over every file, half
    new) into a --merge-rows table: ours (DV, CoW) vs delta-rs
    `merge(...).when_matched_update_all().when_not_matched_insert_all()`; checked against the
    expected count and sums (base - matched rows + source).
(c) Scan overhead: a full-scan aggregate over the table with deletion vectors on 1% of its rows vs
    the same table after `table optimize` purged them (a target size just above the largest file,
    so each file is rewritten alone: the same layout without vectors), and the base table's same
    files without vectors for reference; runs alternated, query time as the CLI reports it, wall
    and process CPU seconds (steadier than wall time on a loaded machine).

The base tables (plain, and with delta.enableDeletionVectors=true) are generated once per row
count under s3://lake/bench/dml/events-<rows>[-dv] and reused (a --merge-rows equal to the events
table's rows merges into the same tables); each measurement runs on a fresh server-side copy of one,
deleted afterwards (--keep keeps them). delta-rs 1.6 cannot read tables with the deletionVectors
reader feature, so delta-rs and our copy-on-write run on copies of the plain table and our DV
mode on copies of the DV table (the same rows: same generator seed). Results go to
bench/dml/results/ (JSON, markdown, PNG).
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyarrow import fs

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
RAW_BYTES_PER_ROW = 37.2  # events generator: 37.2 MB raw per 1M rows
STATS = ("count(*), sum(event_id), sum(user_id), sum(session_id), sum(duration_ms)")
STAT_NAMES = ["rows", "sum_event_id", "sum_user_id", "sum_session_id", "sum_duration_ms"]
SCAN_SQL = ("SELECT count(*), sum(event_id), sum(user_id), sum(session_id), sum(duration_ms), "
            "sum(revenue), max(event_time) FROM b.t")


def log(msg):
    load = open("/proc/loadavg").read().split()[:3]
    print(f"[{datetime.datetime.now():%H:%M:%S} load {' '.join(load)}] {msg}", flush=True)


class Lake:
    """The neuralake CLI and MinIO (server-side copies through pyarrow's S3 filesystem)."""

    def __init__(self, nl, prefix, work):
        self.nl, self.prefix, self.work = nl, prefix.rstrip("/"), work
        endpoint = os.environ.get("NEURALAKE_S3_ENDPOINT", "http://127.0.0.1:9000")
        self.s3 = fs.S3FileSystem(
            endpoint_override=endpoint.split("://", 1)[1], scheme=endpoint.split("://", 1)[0],
            access_key=os.environ.get("NEURALAKE_S3_ACCESS_KEY", "minioadmin"),
            secret_key=os.environ.get("NEURALAKE_S3_SECRET_KEY", "minioadmin"),
            region=os.environ.get("NEURALAKE_S3_REGION", "us-east-1"),
            request_timeout=600, connect_timeout=30)  # a server-side copy of a big file is slow

    def run(self, *args, capture=True):
        """Runs the CLI; returns (stdout, stderr, wall seconds). Fails the bench on an error.
        Leaves the process's user + system CPU seconds in self.cpu (steadier than wall time on a
        loaded machine; children run one at a time, so the children's totals move by its own)."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run([self.nl, *args], text=True,
                              stdout=subprocess.PIPE if capture else None,
                              stderr=subprocess.PIPE if capture else None)
        secs = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        if proc.returncode != 0:
            sys.exit(f"neuralake {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
        return proc.stdout, proc.stderr, secs

    def sql(self, uri, query):
        """One row of `query` over the table `uri` (named b.t); also the CLI's own query time."""
        catalog = os.path.join(self.work, "catalog.yaml")
        with open(catalog, "w") as f:
            f.write(f'databases: {{b: {{tables: {{t: {{type: delta, uri: "{uri}"}}}}}}}}\n')
        out, err, wall = self.run("sql", "--catalog", catalog, "--timeout", "60m",
                                  "--format", "json", query)
        row = json.loads(out.strip().splitlines()[-1])
        row = list(row.values()) if isinstance(row, dict) else row
        engine = None
        for line in err.splitlines():  # "1 row in 0.109 s"
            if " row" in line and " in " in line and line.endswith(" s"):
                engine = float(line.rsplit(" ", 2)[1])
        return row, wall, engine

    def stats(self, uri, where=None):
        row, _, _ = self.sql(uri, f"SELECT {STATS} FROM b.t" + (f" WHERE {where}" if where else ""))
        return dict(zip(STAT_NAMES, [0 if v is None else v for v in row]))

    def describe(self, uri):
        try:
            out, _, _ = self.run("table", "describe", uri)
        except SystemExit:
            return None
        info = {}
        for line in out.splitlines():
            key, _, value = line.partition(":")
            info[key.strip()] = value.strip()
        return info

    def rm(self, uri):
        subprocess.run([self.nl, "storage", "rm", "-r", uri], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def copy(self, src, dst):
        """Server-side copy of every object below src to dst (s3:// URIs)."""
        self.rm(dst)
        src_key, dst_key = src[len("s3://"):], dst[len("s3://"):]
        files = [i.path for i in self.s3.get_file_info(fs.FileSelector(src_key, recursive=True))
                 if i.type == fs.FileType.File]
        def one(path):
            for attempt in range(3):
                try:
                    return self.s3.copy_file(path, dst_key + path[len(src_key):])
                except OSError as e:
                    if attempt == 2:
                        raise
                    log(f"  copy of {path} failed ({e}); retrying")
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(one, files))
        return len(files)


def same_stats(got, want):
    """Integer stats exactly; the double sum within 1e-9 relative (summation order differs)."""
    for name in STAT_NAMES:
        a, b = got[name], want[name]
        if name == "sum_duration_ms":
            if abs(a - b) > 1e-9 * max(abs(b), 1.0):
                return False
        elif int(a) != int(b):
            return False
    return True


def same_row(a, b):
    """SCAN_SQL rows: count and integer sums exactly, double sums within 1e-9 relative."""
    def close(x, y):
        return x == y or (x is not None and y is not None and abs(x - y) <= 1e-9 * max(abs(y), 1.0))
    return a[:4] == b[:4] and close(a[4], b[4]) and close(a[5], b[5]) and a[6] == b[6]


def check(label, got, want):
    ok = same_stats(got, want)
    log(f"  check {label}: rows {got['rows']} (expected {want['rows']}), sums "
        f"{'match' if ok else 'DIFFER'}")
    if not ok:
        sys.exit(f"WRONG RESULT for {label}: got {got}, expected {want}")


def ensure_base(lake, uri, rows, rows_per_file, dv, seed=42):
    """The events table `uri` with `rows` rows (generator seed 42), made once and reused."""
    info = lake.describe(uri)
    if info and info.get("rows") == str(rows) and ("deletionVectors" in info.get("protocol", "")) == dv:
        log(f"reusing {uri} ({rows} rows, {int(info['files'])} files, {int(info['bytes']) / 1e9:.2f} GB)")
        return info
    lake.rm(uri)
    log(f"generating {rows} events into {uri}{' (deletion vectors enabled)' if dv else ''}: once, reused later")
    if dv:
        # A DV table holding exactly the generated rows: create it from a seed file with the
        # property, delete the seed rows (the file goes), then the generator appends.
        seed_dir = os.path.join(lake.work, "seed")
        lake.run("generate", "--schema", "events", "--rows", "10", "--seed", "7",
                 "--format", "parquet", "--output", seed_dir)
        lake.run("table", "create", uri, "--from", os.path.join(seed_dir, "part-000000.parquet"),
                 "--property", "delta.enableDeletionVectors=true")
        lake.run("table", "delete", uri, "--where", "true")
    start = time.perf_counter()
    lake.run("generate", "--schema", "events", "--rows", str(rows), "--seed", str(seed),
             "--rows-per-file", str(rows_per_file), "--format", "delta", "--output", uri,
             capture=False)
    log(f"generated in {time.perf_counter() - start:.1f} s")
    info = lake.describe(uri)
    if info is None or info.get("rows") != str(rows):
        sys.exit(f"{uri}: expected {rows} rows after generation, describe says {info}")
    return info


def ours(lake, op, uri, mode, *args):
    log(f"  neuralake {op} --mode {mode} on {uri.rsplit('/', 1)[-1]} ...")
    out, _, secs = lake.run("table", op, uri, *args, "--mode", mode, "--format", "json")
    result = json.loads(out)
    if result.get("mode") != mode:
        sys.exit(f"expected mode {mode}, the CLI reports {result.get('mode')}")
    log(f"  -> {secs:.2f} s: {out.strip()}")
    return {"seconds": secs, "result": result}


def delta_rs(*args):
    log(f"  delta-rs {args[0]} on {args[1].rsplit('/', 1)[-1]} ...")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, os.path.join(HERE, "delta_rs_dml.py"), *args],
                          text=True, stdout=subprocess.PIPE)
    if proc.returncode != 0:
        sys.exit(f"delta-rs {args[0]} failed ({proc.returncode})")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_seconds"] = time.perf_counter() - start
    log(f"  -> {out['seconds']:.2f} s (process {out['process_seconds']:.2f} s): {out['metrics']}")
    return out


def bench_delete(lake, run_prefix, base_plain, base_dv, predicate):
    log(f"(a) DELETE WHERE {predicate}")
    before = lake.stats(base_plain)
    want = lake.stats(base_plain, f"NOT ({predicate})")
    log(f"  base {before['rows']} rows; expecting {before['rows'] - want['rows']} deleted")
    variants = {}
    for name, base in (("dv", base_dv), ("cow", base_plain), ("delta-rs", base_plain)):
        uri = f"{run_prefix}/delete-{name}"
        log(f"  copying {base.rsplit('/', 1)[-1]} -> {uri} ({lake.copy(base, uri)} objects)")
        if name == "delta-rs":
            variants[name] = delta_rs("delete", uri, predicate)
        else:
            mode = "deletion-vectors" if name == "dv" else "copy-on-write"
            variants[name] = ours(lake, "delete", uri, mode, "--where", predicate)
        got = lake.stats(uri)
        check(name, got, want)
        variants[name]["stats"] = got
    return {"predicate": predicate, "rows_before": before["rows"],
            "rows_deleted": before["rows"] - want["rows"], "variants": variants}


def merge_source(lake, path, rows, upserts, seed=99):
    """`upserts` generated events: the first half take existing keys spread over the whole table
    (every stride-th event_id), the second half new keys (rows, rows+1, ...)."""
    import pyarrow as pa
    half = upserts // 2
    stride = rows // half
    if not os.path.exists(path):
        gen = os.path.join(lake.work, "source")
        lake.run("generate", "--schema", "events", "--rows", str(upserts), "--seed", str(seed),
                 "--rows-per-file", str(upserts), "--format", "parquet", "--output", gen)
        table = pq.read_table(os.path.join(gen, "part-000000.parquet"))
        ids = [i * stride for i in range(half)] + [rows + i for i in range(upserts - half)]
        table = table.set_column(table.schema.get_field_index("event_id"), "event_id",
                                 pa.array(ids, pa.int64()))
        pq.write_table(table, path + ".tmp")
        os.replace(path + ".tmp", path)
    table = pq.read_table(path)
    stats = {"rows": table.num_rows}
    for name, column in (("sum_event_id", "event_id"), ("sum_user_id", "user_id"),
                         ("sum_session_id", "session_id"), ("sum_duration_ms", "duration_ms")):
        stats[name] = pc.sum(table[column]).as_py() or 0
    return stats, stride, half


def bench_merge(lake, run_prefix, base_plain, base_dv, rows, upserts, source_dir):
    log(f"(b) MERGE {upserts} upserts into {rows} rows")
    source = os.path.join(source_dir, f"merge-source-{rows}-{upserts}.parquet")
    src, stride, half = merge_source(lake, source, rows, upserts)
    base = lake.stats(base_plain)
    matched = lake.stats(base_plain, f"event_id % {stride} = 0 AND event_id < {stride * half}")
    if matched["rows"] != half:
        sys.exit(f"expected {half} target rows matched by the source, found {matched['rows']}")
    want = {k: base[k] - matched[k] + src[k] for k in STAT_NAMES}
    log(f"  source {source}: {half} matched keys (every {stride}th), {upserts - half} new; "
        f"expecting {want['rows']} rows")
    on = "t.event_id = s.event_id"
    variants = {}
    for name, base_uri in (("dv", base_dv), ("cow", base_plain), ("delta-rs", base_plain)):
        uri = f"{run_prefix}/merge-{name}"
        log(f"  copying {base_uri.rsplit('/', 1)[-1]} -> {uri} ({lake.copy(base_uri, uri)} objects)")
        if name == "delta-rs":
            variants[name] = delta_rs("merge", uri, source, on)
        else:
            mode = "deletion-vectors" if name == "dv" else "copy-on-write"
            variants[name] = ours(lake, "merge", uri, mode, "--source", source, "--on", on,
                                  "--when-matched-update-all", "--when-not-matched-insert-all")
        got = lake.stats(uri)
        check(name, got, want)
        variants[name]["stats"] = got
    return {"rows": rows, "upserts": upserts, "matched": half, "inserted": upserts - half,
            "variants": variants}


def bench_scan(lake, run_prefix, base_dv, predicate, runs):
    """Full-scan aggregate over: the table with vectors on the rows `predicate` selects; the same
    after optimize purged them (a target size just above every file's, so each file with a vector
    is rewritten alone into one file: the same layout without vectors); and, for reference, the
    base table itself (the same files as the first, no vectors, the deleted rows still in)."""
    log(f"(c) scan overhead: deletion vectors on the rows WHERE {predicate} vs compacted")
    dv_uri, compact_uri = f"{run_prefix}/scan-dv", f"{run_prefix}/scan-compacted"
    prep = {}
    for uri in (dv_uri, compact_uri):
        log(f"  copying -> {uri} ({lake.copy(base_dv, uri)} objects)")
        prep[uri] = ours(lake, "delete", uri, "deletion-vectors", "--where", predicate)
    sizes = [i.size for i in lake.s3.get_file_info(fs.FileSelector(base_dv[len("s3://"):]))
             if i.path.endswith(".parquet")]
    target = f"{max(sizes) // (1 << 20) + 2}MB"
    log(f"  optimize --target-size {target} (files up to {max(sizes) / (1 << 20):.1f} MiB: each "
        f"file with a vector is rewritten alone)")
    _, _, opt_secs = lake.run("table", "optimize", compact_uri, "--target-size", target)
    log(f"  -> {opt_secs:.2f} s")
    uris = {"dv": dv_uri, "compacted": compact_uri, "base": base_dv}
    info = {k: lake.describe(u) for k, u in uris.items()}
    if "deletion vector" in json.dumps(info["compacted"]).lower():
        log("  note: describe mentions deletion vectors after optimize")
    times = {k: [] for k in uris}
    results = {}
    order = list(uris)
    for i in range(runs + 1):  # run 0 warms every table up and is not counted
        for key in (order if i % 2 else order[::-1]):
            row, wall, engine = lake.sql(uris[key], SCAN_SQL)
            cpu = lake.cpu
            results.setdefault(key, row)
            if not same_row(row, results[key]):
                sys.exit(f"scan of {uris[key]} changed between runs: {row} vs {results[key]}")
            if i:
                times[key].append({"wall": wall, "engine": engine, "cpu": cpu})
            log(f"  scan {'(warm-up) ' if not i else ''}{key}: {engine} s query, {wall:.2f} s wall, "
                f"{cpu:.2f} s CPU")
    deleted = prep[dv_uri]["result"]["rows_deleted"]
    if not same_row(results["dv"], results["compacted"]):
        sys.exit(f"scan results differ: DV {results['dv']} vs compacted {results['compacted']}")
    if results["base"][0] != results["dv"][0] + deleted:
        sys.exit(f"base has {results['base'][0]} rows, expected {results['dv'][0]} + {deleted}")
    log(f"  check: DV and compacted scans return {results['dv'][0]} rows, equal sums; base "
        f"{results['base'][0]} = + {deleted} deleted")
    out = {"predicate": predicate, "rows_deleted": deleted, "optimize_target": target,
           "optimize_seconds": opt_secs, "runs": runs, "result": results["dv"]}
    for key in uris:
        out[key] = {"files": int(info[key]["files"]), "bytes": int(info[key]["bytes"]),
                    "engine": statistics.median(t["engine"] for t in times[key]),
                    "wall": statistics.median(t["wall"] for t in times[key]),
                    "cpu": statistics.median(t["cpu"] for t in times[key]), "all": times[key]}
    return out


def report(res):
    """The side-by-side figures as markdown lines (also printed)."""
    env = res["environment"]
    lines = [f"# DML on MinIO, {res['started']}",
             "", f"{env['cores']} cores, load average {env['load_before']} before / "
             f"{env['load_after']} after; {env['neuralake']} (HEAD {env.get('commit')}, binary built "
             f"{env.get('binary_mtime')}), deltalake {env['deltalake']}"]
    if env["events_rows"]:
        lines.append(f"events table: {env['events_rows']} rows, {env['events_gb']:.2f} GB Parquet "
                     f"in {env['events_files']} files (--scale-gb {env['scale_gb']})")
    if "merge" in res:
        lines.append(f"merge table: {env['merge_rows']} rows")
    lines.append("")
    names = {"dv": "neuralake, deletion vectors", "cow": "neuralake, copy-on-write",
             "delta-rs": "delta-rs"}
    for key, title in (("delete", "(a) DELETE"), ("merge", "(b) MERGE")):
        if key not in res:
            continue
        part = res[key]
        if key == "delete":
            lines.append(f"## {title} WHERE {part['predicate']}: {part['rows_deleted']} of "
                         f"{part['rows_before']} rows (fresh copy each)")
        else:
            lines.append(f"## {title} of {part['upserts']} upserts ({part['matched']} matched, "
                         f"{part['inserted']} new) into {part['rows']} rows (fresh copy each)")
        lines += ["", "| variant | seconds | delta-rs / this | files removed | files added | "
                  "DVs written | rows after | check |", "|---|---:|---:|---:|---:|---:|---:|---|"]
        rs = part["variants"]["delta-rs"]["seconds"]
        for name, v in part["variants"].items():
            r = v.get("result") or {}
            m = v.get("metrics") or {}
            removed = r.get("files_removed", m.get("num_removed_files", m.get("num_target_files_removed", "")))
            added = r.get("files_added", m.get("num_added_files", m.get("num_target_files_added", "")))
            lines.append(f"| {names[name]} | {v['seconds']:.2f} | {rs / v['seconds']:.1f}x | "
                         f"{removed} | {added} | {r.get('deletion_vectors', '-')} | "
                         f"{v['stats']['rows']} | ok |")
        lines.append("")
    if "scan" in res:
        s = res["scan"]
        c = s["compacted"]
        lines += [f"## (c) Full-scan aggregate, deletion vectors on {s['rows_deleted']} rows "
                  f"(WHERE {s['predicate']}) vs compacted; median of {s['runs']} alternated runs",
                  "", f"`{SCAN_SQL}`", "",
                  f"compacted = `table optimize --target-size {s['optimize_target']}` "
                  f"({s['optimize_seconds']:.1f} s): every file with a vector rewritten alone",
                  "", "| table | files | query s (CLI report) | vs compacted | wall s (process) | "
                  "CPU s (process) | CPU vs compacted |", "|---|---:|---:|---:|---:|---:|---:|"]
        for key, label in (("dv", "with deletion vectors"), ("compacted", "compacted (vectors purged)"),
                           ("base", "base: same files as DV, no vectors, deleted rows kept")):
            t = s[key]
            lines.append(f"| {label} | {t['files']} | {t['engine']:.3f} | "
                         f"{(t['engine'] / c['engine'] - 1) * 100:+.1f}% | {t['wall']:.3f} | "
                         f"{t['cpu']:.2f} | {(t['cpu'] / c['cpu'] - 1) * 100:+.1f}% |")
        lines.append("")
    return lines


def plot(res, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    parts = [k for k in ("delete", "merge") if k in res]
    fig, axes = plt.subplots(1, len(parts) + ("scan" in res), figsize=(4.5 * (len(parts) + 1), 4))
    axes = list(axes) if hasattr(axes, "__len__") else [axes]
    colors = {"dv": "tab:green", "cow": "tab:blue", "delta-rs": "tab:orange"}
    for ax, key in zip(axes, parts):
        v = res[key]["variants"]
        ax.bar(list(v), [v[n]["seconds"] for n in v], color=[colors[n] for n in v])
        ax.set_title({"delete": "DELETE 0.1%", "merge": f"MERGE {res['merge']['upserts']:,} upserts"}[key])
        ax.set_ylabel("seconds")
    if "scan" in res:
        s = res["scan"]
        axes[-1].bar(["with DVs", "compacted", "base, no DVs"],
                     [s["dv"]["engine"], s["compacted"]["engine"], s["base"]["engine"]],
                     color=["tab:green", "tab:gray", "tab:olive"])
        axes[-1].set_title("full-scan aggregate")
        axes[-1].set_ylabel("query seconds")
    env = res["environment"]
    fig.suptitle("Neuralake DML on MinIO: " + ", ".join(
        ([f"{env['events_rows']:,} events"] if env["events_rows"] else []) +
        ([f"merge into {env['merge_rows']:,} rows"] if "merge" in res else [])))
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale-gb", type=float, default=2.0, help="events table raw size (a, c)")
    parser.add_argument("--rows-per-file", type=int, default=1_000_000)
    parser.add_argument("--merge-rows", type=int, default=10_000_000)
    parser.add_argument("--merge-upserts", type=int, default=1_000_000)
    parser.add_argument("--scan-runs", type=int, default=5)
    parser.add_argument("--parts", default="delete,scan,merge")
    parser.add_argument("--delete-predicate", default="event_id % 1000 = 7")
    parser.add_argument("--scan-predicate", default="event_id % 100 = 3")
    parser.add_argument("--prefix", default="s3://lake/bench/dml")
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    parser.add_argument("--cache", default="/tmp/neuralake-bench/dml", help="merge source files")
    parser.add_argument("--nl", default=os.path.join(ROOT, "build", "bin", "neuralake"))
    parser.add_argument("--keep", action="store_true", help="keep the per-run table copies")
    args = parser.parse_args()
    parts = args.parts.split(",")
    import deltalake
    os.makedirs(args.cache, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    started = datetime.datetime.now()
    stamp = started.strftime("%Y%m%d-%H%M%S")
    with tempfile.TemporaryDirectory(prefix="neuralake-dml-bench.") as work:
        lake = Lake(args.nl, args.prefix, work)
        rows = int(args.scale_gb * 1e9 / RAW_BYTES_PER_ROW)
        version = lake.run("--version")[0].strip()
        res = {"started": started.isoformat(timespec="seconds"), "args": vars(args),
               "environment": {"cores": os.cpu_count(), "deltalake": deltalake.__version__,
                               "neuralake": version, "scale_gb": args.scale_gb,
                               "load_before": open("/proc/loadavg").read().split()[0],
                               "merge_rows": args.merge_rows,
                               "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                                        text=True, capture_output=True).stdout.strip(),
                               "binary_mtime": datetime.datetime.fromtimestamp(
                                   os.path.getmtime(args.nl)).isoformat(timespec="seconds")}}
        run_prefix = f"{lake.prefix}/run-{stamp}"
        try:
            if "delete" in parts or "scan" in parts:
                plain = ensure_base(lake, f"{lake.prefix}/events-{rows}", rows, args.rows_per_file, False)
                dv_info = ensure_base(lake, f"{lake.prefix}/events-{rows}-dv", rows, args.rows_per_file, True)
                res["environment"].update(events_rows=rows, events_files=int(plain["files"]),
                                          events_gb=int(plain["bytes"]) / 1e9)
                if int(dv_info["files"]) != int(plain["files"]):
                    sys.exit(f"plain and DV base tables differ in files: {plain} vs {dv_info}")
            if "delete" in parts:
                check("DV base = plain base", lake.stats(f"{lake.prefix}/events-{rows}-dv"),
                      lake.stats(f"{lake.prefix}/events-{rows}"))
                res["delete"] = bench_delete(lake, run_prefix, f"{lake.prefix}/events-{rows}",
                                             f"{lake.prefix}/events-{rows}-dv", args.delete_predicate)
            if "scan" in parts:
                res["scan"] = bench_scan(lake, run_prefix, f"{lake.prefix}/events-{rows}-dv",
                                         args.scan_predicate, args.scan_runs)
            if "merge" in parts:
                m = args.merge_rows
                # Same names as the events tables: --merge-rows equal to the events rows reuses them.
                ensure_base(lake, f"{lake.prefix}/events-{m}", m, args.rows_per_file, False)
                ensure_base(lake, f"{lake.prefix}/events-{m}-dv", m, args.rows_per_file, True)
                res["merge"] = bench_merge(lake, run_prefix, f"{lake.prefix}/events-{m}",
                                           f"{lake.prefix}/events-{m}-dv", m, args.merge_upserts,
                                           args.cache)
        finally:
            if not args.keep:
                lake.rm(run_prefix)
        res["environment"]["load_after"] = open("/proc/loadavg").read().split()[0]
        res["environment"].setdefault("events_rows", 0)
        res["environment"].setdefault("events_files", 0)
        res["environment"].setdefault("events_gb", 0.0)
        res["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
    name = "dml" + (f"-{args.scale_gb:g}gb" if "delete" in parts or "scan" in parts else "") + (
        f"-merge-{args.merge_upserts}-into-{args.merge_rows}" if "merge" in parts else "") + f"-{stamp}"
    lines = report(res)
    print("\n" + "\n".join(lines))
    with open(os.path.join(args.out, name + ".json"), "w") as f:
        json.dump(res, f, indent=1, default=str)
    with open(os.path.join(args.out, name + ".md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    if plot(res, os.path.join(args.out, name + ".png")):
        log(f"plot: {os.path.join(args.out, name + '.png')}")
    log(f"results: {os.path.join(args.out, name)}.{{json,md}}")


if __name__ == "__main__":
    main()
