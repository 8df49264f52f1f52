"""An in-process SparkSession on the local lake, for pytest modules (one session per module).

The same settings as scripts/spark-submit.sh: local[2], 1 GB driver, Delta's SQL extension and
catalog, s3a on the local MinIO, the jars that `scripts/setup.sh spark` cached (appended to the
JVM class path through SPARK_DIST_CLASSPATH, so nothing is copied or downloaded at start).

    from nlspark import spark_session
    spark = spark_session("my-test")     # cached per process; spark.stop() at module teardown
"""
import glob
import os
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CACHE = os.environ.get("NEURALAKE_CACHE", os.path.expanduser("~/.cache/neuralake"))
SPARK_JARS = os.path.join(CACHE, "spark-jars")

# Seconds the last spark_session() call spent starting the JVM and the session.
last_startup_seconds = None


def spark_jars():
    """The cached Delta/s3a jars; raises if `scripts/setup.sh spark` has not run."""
    jars = sorted(glob.glob(os.path.join(SPARK_JARS, "*.jar")))
    if not any(os.path.basename(j).startswith("delta-spark_") for j in jars):
        raise RuntimeError(f"no Delta jars in {SPARK_JARS}: run scripts/setup.sh spark")
    return jars


def lake_confs():
    """Spark settings for the local lake (endpoint and keys as scripts/services.sh env prints)."""
    endpoint = os.environ.get("NEURALAKE_S3_ENDPOINT", "http://127.0.0.1:9000")
    return {
        "spark.master": "local[2]",
        "spark.driver.memory": os.environ.get("SPARK_DRIVER_MEMORY", "1g"),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.extraJavaOptions": "-Daws.ec2.metadata.disabled=true "
        f"-Dlog4j2.configurationFile=file:{REPO}/spark/log4j2.properties",
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.hadoop.fs.s3a.endpoint": endpoint,
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.endpoint.region": "us-east-1",
        "spark.hadoop.fs.s3a.access.key": os.environ.get("NEURALAKE_S3_ACCESS_KEY", "minioadmin"),
        "spark.hadoop.fs.s3a.secret.key": os.environ.get("NEURALAKE_S3_SECRET_KEY", "minioadmin"),
        "spark.hadoop.fs.s3a.aws.credentials.provider":
            "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": str(endpoint.startswith("https://")).lower(),
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "2",
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",
        # Delta rebuilds a table's state with this many tasks (default 50): lake tables here are small.
        "spark.databricks.delta.snapshotPartitions": "2",
    }


def spark_session(app_name="neuralake-test", extra_confs=None):
    """A SparkSession (getOrCreate: one per process) with the lake settings."""
    global last_startup_seconds
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["SPARK_DIST_CLASSPATH"] = os.pathsep.join(spark_jars())
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    for key, value in {**lake_confs(), **(extra_confs or {})}.items():
        builder = builder.config(key, value)
    start = time.monotonic()
    session = builder.getOrCreate()
    last_startup_seconds = time.monotonic() - start
    return session
