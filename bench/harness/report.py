"""Turn a benchmark run folder's results.json into report.html, summary.md and PNG plots.

    report.py RUN_DIR

results.json (written by harness.py) is the run's single source of truth; this script only reads
it and writes, next to it:
  report.html            self-contained page (inline CSS; plots referenced relatively)
  summary.md             the headline tables in Markdown, with relative image links
  <suite>-queries.png    per-query warm p50 per engine (grouped bars)
  <suite>-cdf.png        latency CDF of every warm run per engine
  <suite>-concurrency.png  qps vs concurrency per engine (only with throughput data)
  <suite>-scaling.png    geomean warm latency vs scale factor (only with >= 2 distinct SFs)
  <suite>-resources.png  CPU seconds and peak RSS per engine

Geomeans are taken over the common ok set of a suite: the queries that every participating
engine answered with status ok and an answer that was not wrong. Participating: the engine's
worker finished (run status "ok") and answered at least one query ok. Engines whose run crashed,
timed out or never started keep their per-query cells but get no geomean; the captions say which
engines and queries the geomean covers.

The computations (percentile, geomean, common ok set, geomeans per engine) are pure functions
over plain dicts so test_report.py can check them without plotting. Every field of results.json
may be missing or null: the report shows a dash and carries on.
"""
from __future__ import annotations

import html
import json
import math
import re
import sys
import zlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

DPI = 110

# Stable colors: the same engine has the same color in every plot of every run.
ENGINE_COLORS = {
    "neuralake": "#1f77b4",
    "neuralake-cli": "#6baed6",
    "duckdb": "#ff7f0e",
    "duckdb-local": "#fdae6b",
    "polars": "#2ca02c",
    "datafusion": "#d62728",
    "spark": "#9467bd",
    "delta-rs": "#8c564b",
    "python-peer": "#e377c2",
    "fastapi-polars": "#74c476",
    "fastapi-datafusion": "#fc9272",
}
# Other engines pick from this palette by a hash of their name (crc32: stable across processes,
# unlike hash()), so an unknown engine keeps its color from one run to the next.
# None of them is close to a fixed color above.
OTHER_COLORS = ["#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#e7ba52", "#7b4173",
                "#006d5b"]

# Query statuses other than ok, with the mark the tables show.
QUERY_MARKS = {
    "error": "✗ error",
    "unsupported": "– unsupported",
    "timeout": "timeout",
    "wrong": "≠ wrong",
    "missing": "· not run",
}
PLACEHOLDER = "-"  # the harness's suite or engine of a run it could not start
GEOMEAN_FLOOR_MS = 1e-3  # a 0 ms latency would make the log undefined


# ----------------------------------------------------------------------------- pure computations

def number(value) -> float | None:
    """value as a finite float, or None (missing, null, text, NaN, inf)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def percentile(values, p: float) -> float | None:
    """The p-th percentile (0..100) with linear interpolation between closest ranks (numpy's
    default); None for no values. Non-numbers are ignored."""
    xs = sorted(v for v in (number(x) for x in (values or [])) if v is not None)
    if not xs:
        return None
    if len(xs) == 1:
        return xs[0]
    rank = (len(xs) - 1) * min(max(p, 0.0), 100.0) / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(xs) - 1)
    return xs[low] + (xs[high] - xs[low]) * (rank - low)


def geomean(values) -> float | None:
    """Geometric mean of the values (each floored at GEOMEAN_FLOOR_MS); None when there are none
    or any value is missing, so a geomean is always over the full set it was asked for."""
    values = list(values)
    if not values:
        return None
    logs = []
    for value in values:
        value = number(value)
        if value is None:
            return None
        logs.append(math.log(max(value, GEOMEAN_FLOOR_MS)))
    return math.exp(sum(logs) / len(logs))


def warm_p50(query: dict) -> float | None:
    """The query's median warm latency: p50_ms as recorded, else computed from warm_ms."""
    recorded = number(query.get("p50_ms"))
    return recorded if recorded is not None else percentile(query.get("warm_ms"), 50)


def query_state(query: dict | None) -> str:
    """ok, wrong, error, unsupported, timeout, or missing (no record)."""
    if not query:
        return "missing"
    status = query.get("status") or "ok"
    if status == "ok" and query.get("match") == "wrong":
        return "wrong"
    return status if status in ("ok", "wrong", "error", "unsupported", "timeout") else "error"


def problem_text(query: dict | None, state: str) -> str:
    """What went wrong with a query that is not ok, for tables and tooltips."""
    error = (query or {}).get("error")
    if error:
        return str(error)
    if state == "wrong":
        return f"checksum {(query or {}).get('checksum') or '—'} differs from the reference's"
    if state == "missing":
        return "no record in the engine's result"
    return state


def run_status(run: dict) -> str:
    return run.get("status") or "ok"


def queries_by_name(run: dict) -> dict[str, dict]:
    return {q["name"]: q for q in (run.get("queries") or [])
            if isinstance(q, dict) and q.get("name") is not None}


def geomean_participants(runs: dict[str, dict]) -> list[str]:
    """Engines that take part in the suite's geomeans: run status ok and at least one query
    answered ok (an engine that failed every query would otherwise empty the common set)."""
    return [engine for engine, run in runs.items() if run_status(run) == "ok"
            and any(query_state(q) == "ok" for q in queries_by_name(run).values())]


def common_ok_queries(runs: dict[str, dict], query_order: list[str] | None = None) -> list[str]:
    """Names of the queries every participating engine answered ok (not wrong), in query_order
    (default: the first participant's order). runs maps engine -> run dict of one suite."""
    participants = geomean_participants(runs)
    if not participants:
        return []
    common = None
    for engine in participants:
        ok = {name for name, q in queries_by_name(runs[engine]).items() if query_state(q) == "ok"}
        common = ok if common is None else common & ok
    order = query_order or list(queries_by_name(runs[participants[0]]))
    return [name for name in order if name in common]


def engine_geomeans(runs: dict[str, dict], common: list[str]) -> dict[str, dict]:
    """engine -> {"warm": ms, "cold": ms} over the common set, for the participating engines
    (None for a metric an engine lacks on any common query, or when the set is empty)."""
    result = {}
    for engine in geomean_participants(runs):
        by_name = queries_by_name(runs[engine])
        if not common:
            result[engine] = {"warm": None, "cold": None}
            continue
        result[engine] = {
            "warm": geomean(warm_p50(by_name[name]) for name in common),
            "cold": geomean(by_name[name].get("cold_ms") for name in common),
        }
    return result


def own_ok_geomean(run: dict) -> float | None:
    """Geomean warm p50 over the queries this engine answered ok (each engine its own set): the
    definition of geomean_warm_ms in the history rows (bench.runs), for the scaling plot."""
    values = [warm_p50(q) for q in queries_by_name(run).values() if query_state(q) == "ok"]
    return geomean(v for v in values if v is not None and v > 0)


def ratios_to_fastest(values: dict[str, float | None]) -> dict[str, float | None]:
    """engine -> value / min(value) over the engines with a value."""
    present = [v for v in values.values() if v is not None and v > 0]
    best = min(present) if present else None
    return {engine: (v / best if best and v is not None else None) for engine, v in values.items()}


def spread(values) -> float:
    """max / min of the positive values (1.0 for fewer than two)."""
    xs = [v for v in (number(x) for x in values) if v is not None and v > 0]
    return max(xs) / min(xs) if len(xs) >= 2 else 1.0


def engine_color(engine: str) -> str:
    if engine in ENGINE_COLORS:
        return ENGINE_COLORS[engine]
    return OTHER_COLORS[zlib.crc32(engine.encode()) % len(OTHER_COLORS)]


def scaling_points(history: list[dict], suite: str, current_sf, current: dict[str, float | None],
                   current_run_id: str | None = None) -> dict[str, list[tuple[float, float]]]:
    """engine -> sorted [(sf, geomean warm ms)] from history rows of the suite plus this run's
    geomeans (which win over history at the same SF; among history rows the latest run_id wins)."""
    best: dict[tuple[str, float], tuple[str, float]] = {}
    for row in history or []:
        if not isinstance(row, dict) or row.get("suite") != suite or not row.get("engine"):
            continue
        if current_run_id is not None and row.get("run_id") == current_run_id:
            continue
        sf, ms = number(row.get("sf")), number(row.get("geomean_warm_ms"))
        if sf is None or sf <= 0 or ms is None or ms <= 0:
            continue
        key = (row["engine"], sf)
        run_id = str(row.get("run_id") or "")
        if key not in best or run_id >= best[key][0]:
            best[key] = (run_id, ms)
    sf = number(current_sf)
    if sf is not None and sf > 0:
        for engine, ms in current.items():
            if ms is not None and ms > 0:
                best[(engine, sf)] = ("\uffff", ms)
    points: dict[str, list[tuple[float, float]]] = {}
    for (engine, sf_value), (_, ms) in best.items():
        points.setdefault(engine, []).append((sf_value, ms))
    return {engine: sorted(pts) for engine, pts in points.items()}


# ----------------------------------------------------------------------------- the suite model

class SuiteView:
    """Everything the report shows about one suite, computed once from results.json."""

    def __init__(self, results: dict, suite: str):
        self.name = suite
        all_runs = [r for r in (results.get("runs") or [])
                    if isinstance(r, dict) and r.get("suite") == suite and not unplaced(r)]
        order = [e for e in (results.get("engines") or []) if isinstance(e, str)]
        for run in all_runs:
            if run["engine"] not in order:
                order.append(run["engine"])
        self.runs: dict[str, dict] = {}
        for engine in order:
            for run in all_runs:
                if run["engine"] == engine:
                    self.runs[engine] = run  # the last run of an engine wins
        self.engines = list(self.runs)
        self.by_name = {engine: queries_by_name(run) for engine, run in self.runs.items()}
        # Engines with per-query records (a crashed run may hold the queries before the crash).
        self.query_engines = [e for e in self.engines if queries_by_name(self.runs[e])]
        self.queries: list[str] = []
        for engine in self.query_engines:
            for name in queries_by_name(self.runs[engine]):
                if name not in self.queries:
                    self.queries.append(name)
        self.reference = (results.get("reference") or {}).get(suite)
        self.participants = geomean_participants(self.runs)
        self.common = common_ok_queries(self.runs, self.queries)
        self.geomeans = engine_geomeans(self.runs, self.common)
        # Runs that did not finish (crashed, timeout, unknown-engine, missing-dataset,
        # not-applicable, or any other status the harness may add).
        self.failed_runs = [e for e in self.engines if run_status(self.runs[e]) != "ok"]
        self.problems = []  # (engine, query, state, error)
        for engine in self.query_engines:
            by_name = queries_by_name(self.runs[engine])
            for name in self.queries:
                state = query_state(by_name.get(name))
                if state != "ok" and not (state == "missing"
                                          and run_status(self.runs[engine]) != "ok"):
                    self.problems.append((engine, name, state,
                                          problem_text(by_name.get(name), state)))

    def query(self, engine: str, name: str) -> dict | None:
        return self.by_name[engine].get(name)

    def throughput_engines(self) -> list[str]:
        return [e for e in self.engines if throughput_rows(self.runs[e])]

    def geomean_caption(self) -> str:
        excluded = []
        for engine in self.engines:
            if engine not in self.participants:
                status = run_status(self.runs[engine])
                reason = "no query ok" if status == "ok" else f"run {status}"
                excluded.append(f"{engine} ({reason})")
        if not self.participants:
            text = "No geomean: no engine finished its run with a query answered ok"
        elif not self.common:
            text = "No geomean: no query was answered ok by every engine that finished"
        else:
            text = (f"Geomean over the {len(self.common)} of {len(self.queries)} queries that "
                    f"every engine that finished answered ok ({', '.join(self.common)})")
        if excluded:
            text += f"; not in the geomean: {', '.join(excluded)}"
        return text + "."


def throughput_rows(run: dict) -> list[dict]:
    rows = [t for t in (run.get("throughput") or [])
            if isinstance(t, dict) and number(t.get("concurrency")) is not None]
    return sorted(rows, key=lambda t: number(t.get("concurrency")))


def unplaced(run: dict) -> bool:
    """A run the harness could not place in a suite table: its suite or engine is unknown
    (recorded as "-", e.g. status unknown-suite or unknown-engine) or missing."""
    return any(not isinstance(run.get(key), str) or run.get(key) in ("", PLACEHOLDER)
               for key in ("suite", "engine"))


def unplaced_runs(results: dict) -> list[dict]:
    return [r for r in (results.get("runs") or []) if isinstance(r, dict) and unplaced(r)]


def suite_names(results: dict) -> list[str]:
    names = [s for s in (results.get("suites") or []) if isinstance(s, str)]
    for run in results.get("runs") or []:
        if isinstance(run, dict) and not unplaced(run) and run["suite"] not in names:
            names.append(run["suite"])
    return names


# ----------------------------------------------------------------------------- formatting

def fmt_ms(value) -> str:
    value = number(value)
    if value is None:
        return "—"
    if value < 1:
        return f"{value:.3f}"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def fmt_num(value, digits: int = 1) -> str:
    value = number(value)
    return "—" if value is None else f"{value:,.{digits}f}"


def fmt_int(value) -> str:
    value = number(value)
    return "—" if value is None else f"{value:,.0f}"


def fmt_bytes(value) -> str:
    value = number(value)
    if value is None:
        return "—"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1024 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return "—"


def fmt_ratio(value) -> str:
    value = number(value)
    return "—" if value is None else f"{value:.2f}×"


def first_line(text, limit: int = 0) -> str:
    """The line of an error text worth showing: the first, or the last of a Python traceback."""
    lines = [line.strip() for line in ("" if text is None else str(text)).splitlines()
             if line.strip()]
    line = (lines[-1] if lines[0].startswith("Traceback") else lines[0]) if lines else ""
    return line[:limit - 1] + "…" if limit and len(line) > limit else line


def safe_file_part(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "suite"


# ----------------------------------------------------------------------------- plots

def _finish(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def plot_queries(view: SuiteView, path: Path) -> Path | None:
    """Grouped bars of warm p50 per query and engine; x at the base for a cell with no time.
    A suite without warm runs (an operation timed once, like ingest) shows its cold times."""
    engines, queries = view.query_engines, view.queries
    if not engines or not queries:
        return None
    values = {(e, q): warm_p50(view.query(e, q) or {}) for e in engines for q in queries}
    metric = "warm p50"
    if all(v is None for v in values.values()):
        metric = "cold (single run)"
        values = {(e, q): number((view.query(e, q) or {}).get("cold_ms"))
                  for e in engines for q in queries}
    present = [v for v in values.values() if v is not None and v > 0]
    log_y = spread(present) > 20
    width = 0.8 / len(engines)
    fig_width = min(22.0, max(8.0, len(queries) * (0.25 + 0.1 * len(engines)) + 2.5))
    fig, ax = plt.subplots(figsize=(fig_width, 5.2))
    failed_x, failed_colors = [], []
    hatched = False
    for i, engine in enumerate(engines):
        xs, ys, hatches = [], [], []
        for n, name in enumerate(queries):
            x = n - 0.4 + width * (i + 0.5)
            value = values[(engine, name)]
            state = query_state(view.query(engine, name))
            if value is None or value <= 0 or state not in ("ok", "wrong"):
                failed_x.append(x)
                failed_colors.append(engine_color(engine))
                continue
            xs.append(x)
            ys.append(value)
            hatches.append("///" if state == "wrong" else "")
            hatched = hatched or state == "wrong"
        bars = ax.bar(xs, ys, width * 0.95, color=engine_color(engine), label=engine)
        for bar, hatch in zip(bars, hatches):
            if hatch:
                bar.set_hatch(hatch)
                bar.set_edgecolor("black")
    if log_y:
        ax.set_yscale("log")
    if failed_x:
        # x in data coordinates, y in axes coordinates: sits on the base whatever the scale.
        ax.scatter(failed_x, [0.03] * len(failed_x), marker="x", s=64, linewidths=2.2,
                   c=failed_colors, transform=ax.get_xaxis_transform(), zorder=5, clip_on=False)
    ax.set_xticks(range(len(queries)))
    ax.set_xticklabels(queries, rotation=45 if len(queries) > 8 else 0,
                       ha="right" if len(queries) > 8 else "center", fontsize=9)
    ax.set_xlim(-0.6, len(queries) - 0.4)
    ax.set_ylabel(f"{metric} latency (ms" + (", log scale)" if log_y else ")"))
    ax.set_title(f"{view.name}: {metric} per query")
    ax.grid(axis="y", alpha=0.3, which="both" if log_y else "major")
    handles, labels = ax.get_legend_handles_labels()
    if failed_x:
        handles.append(Line2D([], [], marker="x", color="black", linestyle="none"))
        labels.append("failed / not run")
    if hatched:
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="///"))
        labels.append("wrong answer")
    ax.legend(handles, labels, fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _finish(fig, path)


def plot_cdf(view: SuiteView, path: Path) -> Path | None:
    """Empirical CDF of every warm run per engine (all queries), log x."""
    series = {}
    for engine in view.query_engines:
        samples = []
        for q in queries_by_name(view.runs[engine]).values():
            samples.extend(v for v in (number(x) for x in (q.get("warm_ms") or []))
                           if v is not None and v > 0)
        if samples:
            series[engine] = sorted(samples)
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    for engine, samples in series.items():
        n = len(samples)
        ys = [(i + 1) / n for i in range(n)]
        ax.step(samples, ys, where="post", color=engine_color(engine), linewidth=1.8,
                label=f"{engine} (n={n}, p50 {fmt_ms(percentile(samples, 50))} ms)")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("warm latency (ms, log scale)")
    ax.set_ylabel("fraction of warm runs ≤ x")
    ax.set_title(f"{view.name}: latency CDF of all warm runs")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9, loc="best")
    return _finish(fig, path)


def plot_concurrency(view: SuiteView, path: Path) -> Path | None:
    """qps vs concurrency per engine; None without throughput data."""
    engines = view.throughput_engines()
    if not engines:
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    levels = set()
    for engine in engines:
        rows = [t for t in throughput_rows(view.runs[engine]) if number(t.get("qps")) is not None]
        if not rows:
            continue
        xs = [number(t["concurrency"]) for t in rows]
        levels.update(xs)
        ax.plot(xs, [number(t["qps"]) for t in rows], marker="o", linewidth=1.8,
                color=engine_color(engine), label=engine)
    if not levels:
        plt.close(fig)
        return None
    positive = sorted(x for x in levels if x > 0)
    if positive and len(positive) == len(levels) and spread(positive) >= 4:
        ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(levels))
    ax.set_xticklabels([f"{x:g}" for x in sorted(levels)])
    ax.set_ylim(bottom=0)
    ax.set_xlabel("concurrent clients")
    ax.set_ylabel("queries per second")
    ax.set_title(f"{view.name}: throughput vs concurrency")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    return _finish(fig, path)


def plot_scaling(view: SuiteView, results: dict, path: Path) -> Path | None:
    """Geomean warm latency vs SF per engine; None with fewer than two distinct SFs."""
    current = {e: own_ok_geomean(view.runs[e]) for e in view.participants}
    points = scaling_points(results.get("history") or [], view.name, results.get("sf"), current,
                            results.get("run_id"))
    sfs = {sf for pts in points.values() for sf, _ in pts}
    if len(sfs) < 2:
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    order = [e for e in view.engines if e in points] + sorted(e for e in points
                                                              if e not in view.engines)
    for engine in order:
        pts = points[engine]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", linewidth=1.8,
                color=engine_color(engine), label=engine)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sorted(sfs))
    ax.set_xticklabels([f"{sf:g}" for sf in sorted(sfs)])
    ax.minorticks_off()
    ax.set_xlabel("scale factor (log)")
    ax.set_ylabel("geomean warm p50 (ms, log)")
    ax.set_title(f"{view.name}: geomean warm latency vs scale factor")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    return _finish(fig, path)


def plot_resources(view: SuiteView, path: Path) -> Path | None:
    """Two bar charts: CPU seconds and peak RSS per engine; None when no engine has either."""
    metrics = [("cpu_s", "CPU seconds (process tree)", "s"),
               ("peak_rss_mb", "peak RSS (MB)", "MB")]
    data = {key: [(e, number(view.runs[e].get(key))) for e in view.engines] for key, _, _ in
            metrics}
    data = {key: [(e, v) for e, v in rows if v is not None] for key, rows in data.items()}
    if not any(data.values()):
        return None
    shown = max(len(rows) for rows in data.values())
    fig, axes = plt.subplots(1, 2, figsize=(min(20.0, max(8.0, 3.0 + 1.8 * shown)), 4.5))
    for ax, (key, label, unit) in zip(axes, metrics):
        rows = data[key]
        if not rows:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
        else:
            bars = ax.bar([e for e, _ in rows], [v for _, v in rows],
                          color=[engine_color(e) for e, _ in rows])
            ax.bar_label(bars, labels=[f"{v:,.1f}" for _, v in rows], fontsize=8, padding=2)
            ax.tick_params(axis="x", labelrotation=30 if len(rows) > 3 else 0, labelsize=9)
            ax.margins(y=0.15)
        ax.set_title(label)
        ax.set_ylabel(unit)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"{view.name}: resources per engine (whole worker)")
    return _finish(fig, path)


PLOTS = ("queries", "cdf", "concurrency", "scaling", "resources")


def write_plots(view: SuiteView, results: dict, run_dir: Path) -> dict[str, Path]:
    """Writes the suite's plots; removes an earlier report's plot that is skipped now."""
    written = {}
    for kind in PLOTS:
        path = run_dir / f"{safe_file_part(view.name)}-{kind}.png"
        if kind == "scaling":
            out = plot_scaling(view, results, path)
        else:
            out = {"queries": plot_queries, "cdf": plot_cdf, "concurrency": plot_concurrency,
                   "resources": plot_resources}[kind](view, path)
        if out is None:
            path.unlink(missing_ok=True)
        else:
            written[kind] = out
    return written


# ----------------------------------------------------------------------------- HTML

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em 2em;
       color: #222; max-width: 1500px; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { margin-top: 2em; border-bottom: 2px solid #ddd; } h3 { margin-top: 1.5em; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { caption-side: bottom; text-align: left; font-size: 0.85em; color: #555;
          padding-top: 4px; max-width: 70em; }
tfoot td, tfoot th { background: #fafafa; font-weight: 600; }
td.best { font-weight: 700; }
td.error { background: #fde2e2; color: #a00; } td.wrong { background: #ffd7a8; color: #8a3b00; }
td.unsupported { background: #eee; color: #666; }
td.timeout { background: #fff3c4; color: #7a5a00; } td.missing { color: #999; }
.status-ok { color: #1a7f37; font-weight: 700; } .status-bad { color: #b00; font-weight: 700; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 4px;
          border-radius: 2px; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.4em 0; }
.note { color: #555; font-size: 0.9em; }
code { background: #f4f4f4; padding: 0 3px; }
"""


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def td(content_html: str, cls: str = "", title=None, colspan: int = 1) -> str:
    """One <td>; content_html is already escaped, title is plain text."""
    attrs = f' class="{cls}"' if cls else ""
    attrs += f' colspan="{colspan}"' if colspan > 1 else ""
    attrs += f' title="{esc(title)}"' if title else ""
    return f"<td{attrs}>{content_html}</td>"


def table_html(head: list[str], rows: list[str], caption: str = "") -> str:
    """A table from header cells (escaped HTML) and ready-made <tr> rows."""
    out = ["<table>"]
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>")
    return "\n".join(out + rows + ["</table>"])


def engine_label_html(engine: str, reference: str | None = None) -> str:
    swatch = f'<span class="swatch" style="background:{engine_color(engine)}"></span>'
    return swatch + esc(engine) + (" <small>(ref)</small>" if engine == reference else "")


def status_html(status) -> str:
    cls = "status-ok" if status == "ok" else "status-bad"
    return f'<span class="{cls}">{esc(status or "—")}</span>'


def error_html(error) -> str:
    return td(f"<code>{esc(first_line(error, 300) or '—')}</code>", title=error)


# Fields of a query record the tables show; other numeric fields (an operation suite's rows_per_s,
# mb_per_s, ...) go into the cell's tooltip.
KNOWN_QUERY_FIELDS = {"name", "status", "error", "cold_ms", "warm_ms", "p50_ms", "p95_ms", "p99_ms",
                      "rows", "cpu_s", "bytes_read", "checksum", "match", "answer"}


def query_detail(query: dict, warm) -> str:
    """Tooltip of a query cell: the numbers that do not fit in it."""
    warm_runs = query.get("warm_ms")
    p95 = number(query.get("p95_ms"))
    p99 = number(query.get("p99_ms"))
    p95 = percentile(warm_runs, 95) if p95 is None else p95
    p99 = percentile(warm_runs, 99) if p99 is None else p99
    return (f"p50 {fmt_ms(warm)} ms, p95 {fmt_ms(p95)} ms, p99 {fmt_ms(p99)} ms, "
            f"rows {fmt_int(query.get('rows'))}, CPU {fmt_num(query.get('cpu_s'), 2)} s, "
            f"read {fmt_bytes(query.get('bytes_read'))}, "
            f"checksum {query.get('checksum') or '—'}, match {query.get('match') or '—'}"
            + "".join(f", {key} {fmt_num(query[key], 2)}" for key in sorted(query)
                      if key not in KNOWN_QUERY_FIELDS and number(query[key]) is not None))


def query_cells_html(view: SuiteView, engine: str, name: str, best) -> str:
    """Two cells (warm p50, cold), or one two-column mark for a query without a time."""
    query = view.query(engine, name)
    state = query_state(query)
    if state in ("missing", "error", "unsupported", "timeout"):
        title = problem_text(query, state)
        if state == "missing":
            title += f" (run {run_status(view.runs[engine])})"
        return td(esc(QUERY_MARKS[state]), state, title, colspan=2)
    warm, cold = warm_p50(query), number(query.get("cold_ms"))
    if state == "wrong":
        title = "wrong answer: " + problem_text(query, state)
        return (td(f"{fmt_ms(warm)} {QUERY_MARKS['wrong']}", "num wrong", title)
                + td(fmt_ms(cold), "num wrong", title))
    detail = query_detail(query, warm)
    fastest = best is not None and warm is not None and warm <= best
    mark = ""
    if query.get("match") == "tolerance":
        mark = ' <small title="matched the reference within the relative tolerance">≈</small>'
    return (td(fmt_ms(warm) + mark, "num best" if fastest else "num", detail)
            + td(fmt_ms(cold), "num", detail))


def best_warm(view: SuiteView, name: str):
    """The fastest ok warm p50 of the query, when at least two engines answered it ok."""
    values = [warm_p50(view.query(e, name)) for e in view.query_engines
              if query_state(view.query(e, name)) == "ok"]
    values = [v for v in values if v is not None]
    return min(values) if len(values) > 1 else None


def query_table_html(view: SuiteView) -> str:
    engines = view.query_engines
    if not engines or not view.queries:
        return '<p class="note">No per-query results.</p>'
    caption = (f"{view.geomean_caption()} Cells: warm p50 and cold (first) run in ms; bold: the "
               "fastest warm p50 of the query; *: not in the geomean set. Hover a cell for "
               "p95/p99, rows, CPU, bytes read and checksum, or for the error.")
    out = ["<table>", f"<caption>{esc(caption)}</caption>",
           "<thead><tr><th rowspan=2>query</th>"
           + "".join(f"<th colspan=2>{engine_label_html(e, view.reference)}</th>"
                     for e in engines)
           + "</tr><tr>" + "<th>warm p50</th><th>cold</th>" * len(engines) + "</tr></thead>",
           "<tbody>"]
    for name in view.queries:
        label = esc(name) if name in view.common else \
            f'<span title="not in the geomean set">{esc(name)}*</span>'
        best = best_warm(view, name)
        out.append(f"<tr><th>{label}</th>"
                   + "".join(query_cells_html(view, e, name, best) for e in engines) + "</tr>")
    out.append("</tbody><tfoot>")
    for label, key in (("geomean warm p50", "warm"), ("geomean cold", "cold")):
        ratios = ratios_to_fastest({e: g[key] for e, g in view.geomeans.items()})
        cells = []
        for engine in engines:
            if engine not in view.geomeans:
                cells.append(td("—", "missing", "run not ok: not in the geomean", colspan=2))
            else:
                value = view.geomeans[engine][key]
                text = f"{fmt_ms(value)} <small>({fmt_ratio(ratios.get(engine))})</small>"
                cells.append(td(text, "num", colspan=2))
        out.append(f"<tr><th>{label} <small>({len(view.common)} q)</small></th>"
                   + "".join(cells) + "</tr>")
    out.append("</tfoot></table>")
    return "\n".join(out)


def state_counts(view: SuiteView, engine: str) -> str:
    """"ok / wrong / failed" counts of the engine's query records."""
    states = [query_state(q) for q in queries_by_name(view.runs[engine]).values()]
    ok, wrong = states.count("ok"), states.count("wrong")
    return f"{ok} / {wrong} / {len(states) - ok - wrong}"


def geomean_table_html(view: SuiteView) -> str:
    if not view.geomeans:
        return f'<p class="note">{esc(view.geomean_caption())}</p>'
    warm = ratios_to_fastest({e: g["warm"] for e, g in view.geomeans.items()})
    cold = ratios_to_fastest({e: g["cold"] for e, g in view.geomeans.items()})
    rows = [f"<tr>{td(engine_label_html(e, view.reference))}"
            f"{td(fmt_ms(g['warm']), 'num')}{td(fmt_ratio(warm[e]), 'num')}"
            f"{td(fmt_ms(g['cold']), 'num')}{td(fmt_ratio(cold[e]), 'num')}"
            f"{td(state_counts(view, e), 'num')}</tr>" for e, g in view.geomeans.items()]
    return table_html(["engine", "geomean warm p50 (ms)", "× fastest", "geomean cold (ms)",
                       "× fastest", "ok / wrong / failed"], rows,
                      view.geomean_caption() + " ×: ratio to the fastest engine.")


def resources_table_html(view: SuiteView) -> str:
    rows = []
    for engine in view.engines:
        run = view.runs[engine]
        rows.append(f"<tr>{td(engine_label_html(engine, view.reference))}"
                    f"{td(esc(run.get('engine_version') or '—'))}"
                    f"{td(status_html(run_status(run)))}"
                    f"{td(fmt_num(run.get('wall_s')), 'num')}"
                    f"{td(fmt_num(run.get('cpu_s')), 'num')}"
                    f"{td(fmt_num(run.get('peak_rss_mb')), 'num')}"
                    f"{td(fmt_bytes(run.get('s3_bytes')), 'num', fmt_int(run.get('s3_bytes')))}"
                    f"{td(fmt_int(run.get('s3_gets')), 'num')}"
                    f"{td(fmt_num(run.get('setup_s'), 2), 'num')}"
                    f"{td(state_counts(view, engine), 'num')}</tr>")
    return table_html(["engine", "version", "run status", "wall (s)", "CPU (s)", "peak RSS (MB)",
                       "S3 bytes", "S3 GETs", "setup (s)", "ok / wrong / failed"], rows,
                      "Measured by the harness around each worker's process tree (wait4; MinIO "
                      "counters for S3). setup: the worker's own setup time.")


def throughput_table_html(view: SuiteView) -> str:
    engines = view.throughput_engines()
    if not engines:
        return '<p class="note">No throughput data.</p>'
    all_rows = [(e, t) for e in engines for t in throughput_rows(view.runs[e])]
    # Latency under load, when the worker measured it (the api suite does).
    latency = any(number(t.get("p50_ms")) is not None for _, t in all_rows)
    rows = []
    for engine, t in all_rows:
        errors = number(t.get("errors"))
        row = (f"<tr>{td(engine_label_html(engine))}"
               f"{td(fmt_int(t.get('concurrency')), 'num')}"
               f"{td(fmt_int(t.get('queries')), 'num')}"
               f"{td(fmt_int(errors), 'num error' if errors else 'num', t.get('error'))}"
               f"{td(fmt_num(t.get('seconds'), 2), 'num')}"
               f"{td(fmt_num(t.get('qps'), 2), 'num')}"
               f"{td(fmt_num(t.get('cpu_s'), 2), 'num')}")
        if latency:
            row += td(fmt_ms(t.get("p50_ms")), "num") + td(fmt_ms(t.get("p99_ms")), "num")
        rows.append(row + "</tr>")
    head = ["engine", "concurrency", "queries", "errors", "seconds", "qps", "CPU (s)"]
    head += ["p50 (ms)", "p99 (ms)"] if latency else []
    return table_html(head, rows, "At concurrency C, C clients each run the throughput queries "
                      "in rounds; qps = queries / seconds.")


def failed_runs_html(view: SuiteView) -> str:
    if not view.failed_runs:
        return ""
    rows = [f"<tr>{td(engine_label_html(e))}{td(status_html(run_status(view.runs[e])))}"
            f"{td(str(len(queries_by_name(view.runs[e]))), 'num')}"
            f"{error_html(view.runs[e].get('error'))}</tr>" for e in view.failed_runs]
    return "<h3>Runs without a complete result</h3>\n" + table_html(
        ["engine", "run status", "queries recorded", "error"], rows)


def problems_html(view: SuiteView) -> str:
    if not view.problems:
        return ""
    rows = [f"<tr>{td(engine_label_html(engine))}{td(esc(name))}"
            f"{td(esc(QUERY_MARKS.get(state, state)), state)}{error_html(text)}</tr>"
            for engine, name, state, text in view.problems]
    return "<h3>Wrong and failed queries</h3>\n" + table_html(
        ["engine", "query", "status", "error"], rows)


PLOT_CAPTIONS = {
    "queries": "Warm p50 per query (x at the base: no time; hatched: wrong answer).",
    "cdf": "Latency CDF of every warm run (all queries) per engine.",
    "concurrency": "Throughput (qps) vs number of concurrent clients.",
    "scaling": "Geomean warm p50 vs scale factor from earlier runs (bench.runs) and this run; "
               "each point is over the queries that engine answered ok in that run (not the "
               "common set), so points at different SFs may cover different queries.",
    "resources": "CPU seconds and peak RSS of each engine's worker.",
}


def header_items(results: dict) -> list[tuple[str, str]]:
    """(label, text) pairs for the run header, shared by HTML and Markdown."""
    host = results.get("host") or {}
    load = host.get("load_before")
    load_text = ", ".join(fmt_num(x, 2) for x in load) if isinstance(load, list) and load else "—"
    host_text = (f"{fmt_int(host.get('cores'))} cores, "
                 f"{fmt_num(host.get('memory_gb'), 0)} GB memory, load before {load_text}")
    if host.get("name") or host.get("hostname"):
        host_text = f"{host.get('name') or host.get('hostname')}: " + host_text
    reference = results.get("reference") or {}
    sf = results.get("sf")
    return [
        ("run", str(results.get("run_id") or "—")),
        ("scale factor", "—" if sf is None else str(sf)),
        ("started / finished",
         f"{results.get('started') or '—'} / {results.get('finished') or '—'}"),
        ("host", host_text),
        ("git", str(results.get("git") or "—")),
        ("suites", ", ".join(suite_names(results)) or "—"),
        ("engines", ", ".join(str(e) for e in (results.get("engines") or [])) or "—"),
        ("reference", ", ".join(f"{s}: {e}" for s, e in reference.items()) or "—"),
    ]


def render_html(results: dict, views: list[SuiteView], plots: dict[str, dict[str, Path]]) -> str:
    title = f"Neuralake benchmark {results.get('run_id') or ''}".strip()
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
           f"<h1>{esc(title)}</h1>", '<dl class="meta">']
    engines = [str(e) for e in (results.get("engines") or [])]
    for label, text in header_items(results):
        text_html = esc(text)
        if label == "engines" and engines:
            text_html = ", ".join(engine_label_html(e) for e in engines)
        out.append(f"<dt>{esc(label)}</dt><dd>{text_html}</dd>")
    out.append(f"<dt>status</dt><dd>{status_html(results.get('status'))}</dd></dl>")
    unstarted = unplaced_runs(results)
    if unstarted:
        rows = [f"<tr>{td(esc(r.get('suite') or '—'))}{td(esc(r.get('engine') or '—'))}"
                f"{td(status_html(run_status(r)))}{error_html(r.get('error'))}</tr>"
                for r in unstarted]
        out += ["<h2>Runs not started</h2>",
                table_html(["suite", "engine", "status", "error"], rows)]
    if not views:
        out.append('<p class="note">No suites in results.json.</p>')
    if len(views) > 1:
        out.append("<p>Suites: " + ", ".join(
            f'<a href="#suite-{esc(safe_file_part(v.name))}">{esc(v.name)}</a>' for v in views)
            + "</p>")
    for view in views:
        out.append(f'<h2 id="suite-{esc(safe_file_part(view.name))}">{esc(view.name)}</h2>')
        if not view.engines:
            out.append('<p class="note">No engine ran this suite (see "Runs not started").</p>')
            continue
        out += ["<h3>Geomean per engine</h3>", geomean_table_html(view),
                "<h3>Per query (ms)</h3>", query_table_html(view),
                "<h3>Resources per engine</h3>", resources_table_html(view),
                "<h3>Throughput</h3>", throughput_table_html(view),
                failed_runs_html(view), problems_html(view)]
        suite_plots = plots.get(view.name) or {}
        if suite_plots:
            out.append("<h3>Plots</h3>")
        for kind, path in suite_plots.items():
            out.append(f'<figure><img src="{esc(path.name)}" alt="{esc(view.name)} {kind}">'
                       f'<figcaption class="note">{esc(PLOT_CAPTIONS[kind])}</figcaption>'
                       "</figure>")
    out.append('<p class="note">Generated by bench/harness/report.py from results.json.</p>')
    out.append("</body></html>")
    return "\n".join(s for s in out if s)


# ----------------------------------------------------------------------------- Markdown

def md_cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def md_table(head: list[str], rows: list[list[str]], align_right_from: int = 1) -> list[str]:
    lines = ["| " + " | ".join(md_cell(h) for h in head) + " |",
             "|" + "|".join("---" if i < align_right_from else "---:"
                            for i in range(len(head))) + "|"]
    lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    return lines + [""]


def md_query_cell(view: SuiteView, engine: str, name: str) -> str:
    query = view.query(engine, name)
    state = query_state(query)
    if state in ("missing", "error", "unsupported", "timeout"):
        return QUERY_MARKS[state]
    text = f"{fmt_ms(warm_p50(query))} / {fmt_ms(query.get('cold_ms'))}"
    return text + (" ≠ wrong" if state == "wrong" else "")


def throughput_pivot(view: SuiteView, engines: list[str]) -> list[list[str]]:
    """Rows of [concurrency, qps per engine] (with the error count when there were errors)."""
    cells: dict[float, dict[str, str]] = {}
    for engine in engines:
        for t in throughput_rows(view.runs[engine]):
            errors = number(t.get("errors"))
            text = fmt_num(t.get("qps"), 2) + (f" ({errors:.0f} errors)" if errors else "")
            cells.setdefault(number(t["concurrency"]), {})[engine] = text
    return [[f"{level:g}"] + [row.get(e, "—") for e in engines]
            for level, row in sorted(cells.items())]


def render_markdown(results: dict, views: list[SuiteView],
                    plots: dict[str, dict[str, Path]]) -> str:
    out = [f"# Neuralake benchmark {results.get('run_id') or ''}".rstrip(), ""]
    out += [f"- **{label}**: {text}" for label, text in header_items(results)]
    out += [f"- **status**: {results.get('status') or '—'}", ""]
    unstarted = unplaced_runs(results)
    if unstarted:
        out += ["## Runs not started", ""]
        out += [f"- suite {r.get('suite') or '—'}, engine {r.get('engine') or '—'}: "
                f"{run_status(r)}: {md_cell(first_line(r.get('error'), 300) or '(no error text)')}"
                for r in unstarted] + [""]
    # Headline: geomean per engine per suite.
    out += ["## Geomean per engine", ""]
    rows = []
    for view in views:
        warm = ratios_to_fastest({e: g["warm"] for e, g in view.geomeans.items()})
        for engine, g in view.geomeans.items():
            rows.append([view.name, engine + (" (ref)" if engine == view.reference else ""),
                         fmt_ms(g["warm"]), fmt_ratio(warm[engine]), fmt_ms(g["cold"]),
                         str(len(view.common))])
    if rows:
        out += md_table(["suite", "engine", "geomean warm p50 (ms)", "× fastest",
                         "geomean cold (ms)", "queries"], rows, align_right_from=2)
    else:
        out += ["No geomean: no engine finished a run with per-query results.", ""]
    for view in views:
        out += [f"## {view.name}", ""]
        if not view.engines:
            out += ["No engine ran this suite (see \"Runs not started\").", ""]
            continue
        out += [f"_{view.geomean_caption()}_", ""]
        if view.query_engines and view.queries:
            out += ["### Per query: warm p50 / cold (ms)", ""]
            rows = [[name if name in view.common else name + "*"]
                    + [md_query_cell(view, e, name) for e in view.query_engines]
                    for name in view.queries]
            for label, key in (("geomean warm p50", "warm"), ("geomean cold", "cold")):
                rows.append([f"**{label}**"] + [fmt_ms((view.geomeans.get(e) or {}).get(key))
                                                 for e in view.query_engines])
            out += md_table(["query"] + view.query_engines, rows)
            if len(view.common) < len(view.queries):
                out += ["\\* not in the geomean set.", ""]
        out += ["### Resources", ""]
        out += md_table(["engine", "status", "wall (s)", "CPU (s)", "peak RSS (MB)", "S3 bytes",
                         "S3 GETs"],
                        [[e, run_status(r), fmt_num(r.get("wall_s")), fmt_num(r.get("cpu_s")),
                          fmt_num(r.get("peak_rss_mb")), fmt_bytes(r.get("s3_bytes")),
                          fmt_int(r.get("s3_gets"))] for e, r in view.runs.items()], 2)
        engines = view.throughput_engines()
        if engines:
            out += ["### Throughput: queries per second by concurrency", ""]
            out += md_table(["concurrency"] + engines, throughput_pivot(view, engines))
        if view.failed_runs or view.problems:
            out += ["### Wrong and failed", ""]
            for engine in view.failed_runs:
                run = view.runs[engine]
                out.append(f"- **{engine}** run {run_status(run)}: "
                           f"{md_cell(first_line(run.get('error'), 300) or '(no error text)')}")
            for engine, name, state, error in view.problems:
                out.append(f"- {engine} {name}: {state}"
                           + (f": {md_cell(first_line(error, 300))}" if error else ""))
            out.append("")
        for kind, path in (plots.get(view.name) or {}).items():
            out += [f"![{view.name} {kind}]({path.name})", ""]
    return "\n".join(out).rstrip() + "\n"


# ----------------------------------------------------------------------------- entry points

def build_report(run_dir) -> list[str]:
    """Reads RUN_DIR/results.json, writes the report files into RUN_DIR, returns their paths."""
    run_dir = Path(run_dir)
    with open(run_dir / "results.json") as f:
        results = json.load(f)
    if not isinstance(results, dict):
        raise ValueError(f"{run_dir / 'results.json'}: not a JSON object")
    views = [SuiteView(results, suite) for suite in suite_names(results)]
    plots = {view.name: write_plots(view, results, run_dir) for view in views}
    html_path, md_path = run_dir / "report.html", run_dir / "summary.md"
    html_path.write_text(render_html(results, views, plots), encoding="utf-8")
    md_path.write_text(render_markdown(results, views, plots), encoding="utf-8")
    written = [html_path, md_path]
    written += [path for suite_plots in plots.values() for path in suite_plots.values()]
    return [str(p) for p in written]


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[0] + "\n\nusage: report.py RUN_DIR", file=sys.stderr)
        return 2
    try:
        files = build_report(argv[1])
    except (OSError, ValueError) as error:  # json.JSONDecodeError is a ValueError
        print(f"report.py: {error}", file=sys.stderr)
        return 1
    for path in files:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
