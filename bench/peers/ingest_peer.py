"""Peer for the ingestion benchmark: a Python consumer (confluent-kafka) that parses JSON and
appends each micro-batch to a Delta table with delta-rs (`write_deltalake`), with the same flush
settings as `neuralake ingest` (max messages / max latency). Reads a topic that already holds
--count messages and reports sustained msgs/s and MB/s.

    ingest_peer.py --topic T --table s3://lake/... --count N [--max-messages 200000] [--max-latency 2]
"""
import argparse
import json
import os
import sys
import time
import uuid

import pyarrow as pa
from confluent_kafka import Consumer
from deltalake import write_deltalake

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lake_storage import storage_options  # noqa: E402



def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--topic", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--max-messages", type=int, default=200_000)
    parser.add_argument("--max-latency", type=float, default=2.0)
    parser.add_argument("--brokers", default="127.0.0.1:9092")
    args = parser.parse_args()
    options = storage_options(args.table)
    # The same fetch sizing as neuralake ingest, so both read Kafka equally fast.
    consumer = Consumer({"bootstrap.servers": args.brokers, "group.id": f"peer-{uuid.uuid4().hex}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "fetch.max.bytes": 134217728, "max.partition.fetch.bytes": 33554432,
                         "receive.message.max.bytes": 200000000,
                         "queued.max.messages.kbytes": 1048576, "queued.min.messages": 1000000})
    consumer.subscribe([args.topic])
    start = time.perf_counter()
    total = 0
    total_bytes = 0
    commits = 0
    rows = []
    batch_started = None
    while total < args.count:
        messages = consumer.consume(num_messages=10_000, timeout=0.5)
        for message in messages:
            if message.error():
                continue
            value = message.value()
            total_bytes += len(value)
            record = json.loads(value)
            record["_kafka_partition"] = message.partition()
            record["_kafka_offset"] = message.offset()
            rows.append(record)
            if batch_started is None:
                batch_started = time.perf_counter()
        due = rows and (len(rows) >= args.max_messages or
                        time.perf_counter() - batch_started >= args.max_latency or
                        total + len(rows) >= args.count)
        if due:
            write_deltalake(args.table, pa.Table.from_pylist(rows), mode="append",
                            storage_options=options)
            commits += 1
            total += len(rows)
            rows = []
            batch_started = None
    seconds = time.perf_counter() - start
    consumer.close()
    print(f"peer (confluent-kafka + deltalake): {total} messages in {seconds:.2f} s: "
          f"{total / seconds:.0f} msg/s, {total_bytes / seconds / 1e6:.1f} MB/s, {commits} commits")


if __name__ == "__main__":
    main()
