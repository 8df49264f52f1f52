"""Fixtures: the neuralake CLI, fresh table locations (local and MinIO), delta-rs options."""
import subprocess
import uuid

import pytest

from nltest import binary, cli_env, delta_rs_storage_options


class Neuralake:
    def __init__(self):
        self.binary = binary()
        self.env = cli_env()

    def run(self, *args, check=True):
        proc = subprocess.run([self.binary, *args], capture_output=True, text=True, env=self.env,
                              timeout=300)
        if check and proc.returncode != 0:
            raise AssertionError(f"neuralake {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stderr}")
        return proc


@pytest.fixture
def nl():
    return Neuralake()


@pytest.fixture(params=["local", "minio"])
def table_uri(request, tmp_path):
    name = f"constraints-{uuid.uuid4().hex[:12]}"
    if request.param == "local":
        return str(tmp_path / name)
    return f"s3://lake/tests/{name}"


@pytest.fixture
def storage_options(table_uri):
    return delta_rs_storage_options() if table_uri.startswith("s3://") else None
