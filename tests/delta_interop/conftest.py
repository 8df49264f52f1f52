"""Shared fixtures: the neuralake binary, fresh table locations, MinIO options for delta-rs."""
import os
import subprocess
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

MINIO = {
    "endpoint": os.environ.get("NEURALAKE_S3_ENDPOINT", "http://127.0.0.1:9000"),
    "access_key": os.environ.get("NEURALAKE_S3_ACCESS_KEY", "minioadmin"),
    "secret_key": os.environ.get("NEURALAKE_S3_SECRET_KEY", "minioadmin"),
}


def delta_rs_storage_options():
    return {
        "AWS_ENDPOINT_URL": MINIO["endpoint"],
        "AWS_ACCESS_KEY_ID": MINIO["access_key"],
        "AWS_SECRET_ACCESS_KEY": MINIO["secret_key"],
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
    }


class Neuralake:
    """Runs the CLI as a script would and returns its output; fails the test on a non-zero exit."""

    def __init__(self, binary, tmp_path):
        self.binary = binary
        self.tmp_path = tmp_path
        self.env = dict(os.environ)
        self.env.update({
            "NEURALAKE_S3_ENDPOINT": MINIO["endpoint"],
            "NEURALAKE_S3_ACCESS_KEY": MINIO["access_key"],
            "NEURALAKE_S3_SECRET_KEY": MINIO["secret_key"],
        })

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
    binary = os.environ.get("NEURALAKE_BIN")
    if not binary:
        here = os.path.dirname(__file__)
        binary = os.path.join(here, "..", "..", "build", "bin", "neuralake")
    assert os.path.exists(binary), f"neuralake binary not found at {binary} (run make build)"
    return Neuralake(binary, tmp_path)


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
