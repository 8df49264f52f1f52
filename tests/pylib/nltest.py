"""Helpers shared by the pytest suites under tests/ (on PYTHONPATH through neuralake_pytest)."""
import os

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
