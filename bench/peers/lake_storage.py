"""delta-rs / Polars storage options for the project's MinIO (from the NEURALAKE_S3_* settings)."""
import os


def storage_options(uri="s3://"):
    """Options for an s3:// URI; None for a local path."""
    if not uri.startswith("s3://"):
        return None
    return {
        "AWS_ENDPOINT_URL": os.environ.get("NEURALAKE_S3_ENDPOINT", "http://127.0.0.1:9000"),
        "AWS_ACCESS_KEY_ID": os.environ.get("NEURALAKE_S3_ACCESS_KEY", "minioadmin"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("NEURALAKE_S3_SECRET_KEY", "minioadmin"),
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
    }
