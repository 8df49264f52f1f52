"""Benchmark datasets on the object store, generated once per scale factor and reused.

    tpch-sf<SF>/<table>      TPC-H (8 Delta tables, `neuralake generate --schema tpch`), database tpch
    clicks-sf<SF>/events     the generator's click stream, 6,000,000 x SF rows, many files
    clicks-sf<SF>/users      its dimension: 100,000 users (suites/users.yaml), database clicks

A dataset is complete when `<prefix>/_complete.json` exists (written last, after every table
committed); an incomplete one is removed and generated again. `--no-generate` turns a missing
dataset into an error for the suites that need it, never into an empty benchmark.
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TPCH_TABLES = ["region", "nation", "supplier", "part", "partsupp", "customer", "orders",
               "lineitem"]
EVENTS_PER_SF = 6_000_000
USERS = 100_000


class MissingDataset(Exception):
    pass


def sf_text(sf):
    return f"{sf:g}"


def events_rows(sf):
    return max(1000, int(EVENTS_PER_SF * sf))


class Datasets:
    def __init__(self, neuralake, root, sf, generate=True, log=print):
        self.neuralake = neuralake
        self.root = root.rstrip("/")
        self.sf = sf
        self.generate = generate
        self.log = log

    # -- layout --------------------------------------------------------------------------------
    def prefix(self, name):
        return f"{self.root}/{name}-sf{sf_text(self.sf)}"

    def tables(self, name):
        prefix = self.prefix(name)
        if name == "tpch":
            return {t: {"database": "tpch", "delta": f"{prefix}/{t}"} for t in TPCH_TABLES}
        if name == "clicks":
            return {t: {"database": "clicks", "delta": f"{prefix}/{t}"} for t in ("events", "users")}
        raise KeyError(name)

    # -- presence ------------------------------------------------------------------------------
    def _cli(self, *args, check=True, capture=True):
        out = subprocess.run([self.neuralake, *args], capture_output=capture, text=True)
        if check and out.returncode != 0:
            message = (out.stderr or "").strip().splitlines()
            raise RuntimeError(f"neuralake {' '.join(args[:2])}: "
                               f"{message[-1] if message else 'exit ' + str(out.returncode)}")
        return out

    def marker(self, name):
        out = self._cli("storage", "cat", f"{self.prefix(name)}/_complete.json", check=False)
        if out.returncode != 0:
            return None
        try:
            return json.loads(out.stdout)
        except ValueError:
            return None

    def ensure(self, name):
        """The dataset's tables; generates them when absent (and allowed)."""
        marker = self.marker(name)
        if marker is not None:
            return self.tables(name)
        if not self.generate:
            raise MissingDataset(f"dataset {self.prefix(name)} is missing (run without "
                                 f"--no-generate to create it)")
        prefix = self.prefix(name)
        self.log(f"generating {name} at SF {sf_text(self.sf)} into {prefix} (once; reused later)")
        start = time.monotonic()
        self._cli("storage", "rm", "-r", prefix, check=False)
        if name == "tpch":
            self._cli("generate", "--schema", "tpch", "--scale", sf_text(self.sf),
                      "--format", "delta", "--output", prefix, capture=False)
            details = {"tables": TPCH_TABLES}
        else:
            rows = events_rows(self.sf)
            per_file = max(1000, min(500_000, rows // 12))
            self._cli("generate", "--schema", "events", "--rows", str(rows), "--seed", "42",
                      "--rows-per-file", str(per_file), "--files-per-commit", "10",
                      "--format", "delta", "--output", f"{prefix}/events", capture=False)
            self._cli("generate", "--spec", os.path.join(HERE, "suites", "users.yaml"),
                      "--rows", str(USERS), "--seed", "7", "--format", "delta",
                      "--output", f"{prefix}/users", capture=False)
            details = {"events": rows, "events_rows_per_file": per_file, "users": USERS}
        seconds = time.monotonic() - start
        marker = {"dataset": name, "sf": self.sf, "generated_s": round(seconds, 1), **details}
        self._cli("storage", "put", f"{prefix}/_complete.json", "--data", json.dumps(marker))
        self.log(f"generated {name} in {seconds:.0f} s")
        return self.tables(name)

    # -- local copy for duckdb-local -------------------------------------------------------------
    def local_copy(self, name, tables, storage_options, cache_dir):
        """Copies each table's active Parquet files to cache_dir once; adds "local_files"."""
        from deltalake import DeltaTable
        import pyarrow.fs as pafs
        target = os.path.join(cache_dir, f"{name}-sf{sf_text(self.sf)}")
        done = os.path.join(target, ".complete")
        s3 = None
        for table, spec in tables.items():
            dt = DeltaTable(spec["delta"], storage_options=storage_options)
            uris = dt.file_uris()
            local = []
            for uri in uris:
                path = os.path.join(target, table, os.path.basename(uri))
                local.append(path)
                if os.path.exists(done):
                    continue
                os.makedirs(os.path.dirname(path), exist_ok=True)
                if uri.startswith("s3://"):
                    if s3 is None:
                        endpoint = storage_options["AWS_ENDPOINT_URL"]
                        s3 = pafs.S3FileSystem(
                            access_key=storage_options["AWS_ACCESS_KEY_ID"],
                            secret_key=storage_options["AWS_SECRET_ACCESS_KEY"],
                            endpoint_override=endpoint, scheme=endpoint.split("://")[0],
                            region=storage_options["AWS_REGION"])
                    pafs.copy_files(uri[len("s3://"):], path, source_filesystem=s3,
                                    destination_filesystem=pafs.LocalFileSystem())
            spec["local_files"] = local
        if not os.path.exists(done):
            with open(done, "w") as f:
                f.write("ok\n")
        return tables


if __name__ == "__main__":  # manual use: datasets.py NEURALAKE ROOT SF NAME
    d = Datasets(sys.argv[1], sys.argv[2], float(sys.argv[3]))
    print(json.dumps(d.ensure(sys.argv[4]), indent=1))
