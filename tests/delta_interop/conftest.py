"""Shared fixtures: the neuralake binary, fresh table locations, MinIO options for delta-rs."""
import uuid

import pytest

from nltest import NeuralakeCli, binary, cli_env, delta_rs_storage_options  # noqa: F401 (tests import it here)


class Neuralake(NeuralakeCli):
    """Runs the CLI as a script would and returns its output; fails the test on a non-zero exit."""

    def read(self, uri, version=None):
        """The table at `version` (or latest) as a pyarrow Table, through our Parquet output."""
        return self.read_arrow(uri, version)


@pytest.fixture
def nl(tmp_path):
    return Neuralake(tmp_path)


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
