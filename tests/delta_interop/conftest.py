"""Shared fixtures: the neuralake binary, fresh table locations, MinIO options for delta-rs."""
import subprocess
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nltest import binary, cli_env, delta_rs_storage_options  # noqa: F401 (tests import it here)


class Neuralake:
    """Runs the CLI as a script would and returns its output; fails the test on a non-zero exit."""

    def __init__(self, binary, tmp_path):
        self.binary = binary
        self.tmp_path = tmp_path
        self.env = cli_env()

    def run(self, *args, check=True):
        proc = subprocess.run([self.binary, *args], capture_output=True, text=True, env=self.env,
                              timeout=300)
        if check and proc.returncode != 0:
            raise AssertionError(f"neuralake {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stderr}")
        return proc

    def read(self, uri, version=None):
        """The table at `version` (or latest) as a pyarrow Table, through our Parquet output."""
        out = self.tmp_path / f"read-{uuid.uuid4().hex}.parquet"
        args = ["table", "read", uri, "--format", "parquet", "--output", str(out)]
        if version is not None:
            args += ["--version", str(version)]
        self.run(*args)
        return pq.read_table(out)


@pytest.fixture
def nl(tmp_path):
    return Neuralake(binary(), tmp_path)


@pytest.fixture(params=["local", "minio"])
def table_uri(request, tmp_path):
    name = f"interop-{uuid.uuid4().hex[:12]}"
    if request.param == "local":
        return str(tmp_path / name)
    return f"s3://lake/tests/{name}"


def rows(table, key="id"):
    """Order-independent, type-normalized rows of a pyarrow Table for comparison."""
    table = table.combine_chunks()
    columns = sorted(table.column_names)
    out = []
    for record in table.select(columns).to_pylist():
        out.append(tuple((c, _normalize(record[c])) for c in columns))
    return sorted(out, key=lambda r: dict(r)[key])


def _normalize(value):
    if isinstance(value, float):
        return round(value, 9)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def write_csv(path, header, records):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for record in records:
            f.write(",".join("" if v is None else str(v) for v in record) + "\n")
    return str(path)
