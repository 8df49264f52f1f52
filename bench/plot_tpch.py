"""Bar chart of per-query TPC-H latency for every configuration in the given result files
(bench/sql_bench.cc --json and bench/peers/tpch_peers.py --json), one PNG.

    plot_tpch.py --title "TPC-H SF1, 2 cores" --out tpch.png results/*.json
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(paths):
    suites = []
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        suites.extend(data if isinstance(data, list) else [data])
    return suites


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--title", default="TPC-H")
    parser.add_argument("--out", required=True)
    parser.add_argument("results", nargs="+")
    args = parser.parse_args()
    suites = load(args.results)
    names = sorted({q for s in suites for q in s["queries"]})
    width = 0.8 / max(1, len(suites))
    fig, ax = plt.subplots(figsize=(max(10, len(names) * 0.7), 5))
    for i, suite in enumerate(suites):
        xs = [n + i * width for n in range(len(names))]
        ys = [suite["queries"].get(q) or 0 for q in names]
        ax.bar(xs, ys, width, label=f'{suite["label"]} (geomean {suite["geomean_ms"]:.0f} ms)')
    ax.set_xticks([n + 0.4 - width / 2 for n in range(len(names))])
    ax.set_xticklabels(names, rotation=45)
    ax.set_ylabel("median latency (ms, log scale)")
    ax.set_yscale("log")
    ax.set_title(args.title + " (missing bar: query failed)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"plot written to {args.out}")


if __name__ == "__main__":
    main()
