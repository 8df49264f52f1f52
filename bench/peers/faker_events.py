"""Peer for the generator benchmark: the `events` schema with Faker + NumPy, written as CSV.

  python bench/peers/faker_events.py --rows 200000 > /dev/null

Same columns and distributions as `neuralake generate --schema events` (Zipf users, weighted
event types, lognormal revenue with 85% NULL, exponential durations, monotonic timestamps).
NumPy draws whole columns at once (its fast path); Faker fills the text fields row by row.
Prints rows/s on stderr.
"""
import argparse
import csv
import sys
import time

import numpy as np
from faker import Faker


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    n = args.rows
    start = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    fake = Faker()
    Faker.seed(args.seed)

    ranks = np.arange(1, 100_001)
    zipf_p = 1.0 / ranks ** 1.1
    zipf_p /= zipf_p.sum()
    user_id = rng.choice(ranks, size=n, p=zipf_p)
    types = ["page_view", "click", "search", "add_to_cart", "checkout", "purchase", "signup",
             "logout"]
    weights = np.array([100, 50, 33, 25, 20, 16, 14, 12], dtype=float)
    event_type = rng.choice(types, size=n, p=weights / weights.sum())
    devices = rng.choice(["desktop", "mobile", "tablet"], size=n, p=[0.45, 0.48, 0.07])
    base = 1_767_225_600_000_000
    event_time = base + np.arange(n) * 1000 + rng.integers(0, 1000, size=n)
    session_id = rng.integers(1, 5_000_001, size=n)
    duration = rng.exponential(1 / 0.002, size=n)
    revenue = np.where(rng.random(n) < 0.85, np.nan, rng.lognormal(3.0, 0.9, size=n))

    writer = csv.writer(sys.stdout)
    writer.writerow(["event_id", "event_time", "user_id", "session_id", "event_type", "url",
                     "country", "city", "ip", "device", "user_agent", "duration_ms", "revenue"])
    for i in range(n):
        writer.writerow([i, int(event_time[i]), int(user_id[i]), int(session_id[i]),
                         event_type[i], fake.url(), fake.country_code(), fake.city(),
                         fake.ipv4(), devices[i], fake.user_agent(), float(duration[i]),
                         "" if np.isnan(revenue[i]) else float(revenue[i])])
    seconds = time.perf_counter() - start
    print(f"faker+numpy events: {n} rows in {seconds:.2f} s: {n / seconds:.0f} rows/s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
