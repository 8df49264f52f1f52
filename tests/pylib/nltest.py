"""Helpers shared by the pytest suites under tests/ (on PYTHONPATH through neuralake_pytest)."""
import os
import subprocess
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))

MINIO = {
    "endpoint": os.environ.get("NEURALAKE_S3_ENDPOINT", "http://127.0.0.1:9000"),
    "access_key": os.environ.get("NEURALAKE_S3_ACCESS_KEY", "minioadmin"),
    "secret_key": os.environ.get("NEURALAKE_S3_SECRET_KEY", "minioadmin"),
}

# What the neuralake CLI reads to reach MinIO.
MINIO_ENV = {
    "NEURALAKE_S3_ENDPOINT": MINIO["endpoint"],
    "NEURALAKE_S3_ACCESS_KEY": MINIO["access_key"],
    "NEURALAKE_S3_SECRET_KEY": MINIO["secret_key"],
}


def cli_env():
    """This process's environment plus the MinIO settings, for running the CLI."""
    env = dict(os.environ)
    env.update(MINIO_ENV)
    return env


def binary():
    """The neuralake CLI: $NEURALAKE_BIN (set by CTest), else build/bin/neuralake."""
    path = os.environ.get("NEURALAKE_BIN") or os.path.join(HERE, "..", "..", "build", "bin",
                                                           "neuralake")
    assert os.path.exists(path), f"neuralake binary not found at {path} (run make build)"
    return path


def delta_rs_storage_options():
    """MinIO as delta-rs (the `deltalake` package) wants it."""
    return {
        "AWS_ENDPOINT_URL": MINIO["endpoint"],
        "AWS_ACCESS_KEY_ID": MINIO["access_key"],
        "AWS_SECRET_ACCESS_KEY": MINIO["secret_key"],
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
    }


class NeuralakeCli:
    """Runs the CLI as a script would; fails the test on a non-zero exit unless check=False."""

    def __init__(self, tmp_path=None, timeout=300):
        self.binary = binary()
        self.tmp_path = tmp_path
        self.env = cli_env()
        self.timeout = timeout

    def run(self, *args, check=True):
        proc = subprocess.run([self.binary, *args], capture_output=True, text=True, env=self.env,
                              timeout=self.timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"neuralake {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stderr}")
        return proc

    def read_arrow(self, uri, version=None):
        """The table at `version` (latest when None) as a pyarrow Table, through our Parquet
        output (`table read --format parquet`)."""
        import pyarrow.parquet as pq
        assert self.tmp_path is not None, "read_arrow needs a tmp_path"
        out = self.tmp_path / f"read-{uuid.uuid4().hex}.parquet"
        args = ["table", "read", uri, "--format", "parquet", "--output", str(out)]
        if version is not None:
            args += ["--version", str(version)]
        self.run(*args)
        return pq.read_table(out)
