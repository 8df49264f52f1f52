"""The peer for pg_scan_bench.sh: psycopg COPY ... TO STDOUT into pandas, count and sum."""
import io
import sys
import time

import pandas as pd
import psycopg


def main(dsn: str, table: str, column: str, repeat: int) -> None:
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        buffer = io.BytesIO()
        with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} TO STDOUT (FORMAT csv, HEADER)") as copy:
                for block in copy:
                    buffer.write(block)
        buffer.seek(0)
        frame = pd.read_csv(buffer)
        rows, total = len(frame), float(frame[column].sum())
        seconds = time.perf_counter() - start
        if best is None or seconds < best[2]:
            best = (rows, total, seconds)
    rows, total, seconds = best
    print(f"psycopg COPY -> pandas (all columns) rows={rows} sum={total:.6g}  {seconds:.3f} s  "
          f"{rows / seconds:.0f} rows/s")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
