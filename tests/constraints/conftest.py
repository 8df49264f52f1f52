"""Fixtures: the neuralake CLI, fresh table locations (local and MinIO), delta-rs options."""
import uuid

import pytest

from nltest import NeuralakeCli, delta_rs_storage_options


@pytest.fixture
def nl():
    return NeuralakeCli()


@pytest.fixture(params=["local", "minio"])
def table_uri(request, tmp_path):
    name = f"constraints-{uuid.uuid4().hex[:12]}"
    if request.param == "local":
        return str(tmp_path / name)
    return f"s3://lake/tests/{name}"


@pytest.fixture
def storage_options(table_uri):
    return delta_rs_storage_options() if table_uri.startswith("s3://") else None
