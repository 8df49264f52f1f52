#!/usr/bin/env bash
# spark-submit against the local lake: Spark in local[2] mode with Delta and s3a on the local MinIO.
#   scripts/spark-submit.sh [spark-submit options] job.py [job arguments]
# Uses pyspark from the venv and the jars that `scripts/setup.sh spark` cached (run on demand);
# nothing is downloaded at run time. Table paths are s3a://lake/... (docs/spark.md).
# Environment: NEURALAKE_S3_ENDPOINT / _ACCESS_KEY / _SECRET_KEY (defaults: the MinIO of
# scripts/services.sh), SPARK_DRIVER_MEMORY (default 1g).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

# Installs on first use; quiet when everything is cached already.
"$here/setup.sh" spark 2> >(grep -v '(cached)$' >&2)
SPARK_JARS=$NEURALAKE_CACHE/spark-jars
# On the JVM's class path, after Spark's own jars (SPARK_DIST_CLASSPATH is appended by Spark's
# launcher), rather than --jars, which registers each jar (the AWS SDK bundle is 0.6 GB) with the
# file server for the executor to fetch (a session started in 20 s with --jars, 9-13 s like this,
# on a busy VM). After, not before (--driver-class-path): the SDK bundle carries an slf4j 1.x.
export SPARK_DIST_CLASSPATH=$(ls "$SPARK_JARS"/*.jar | paste -sd: -)
repo=$(cd "$here/.." && pwd)

export_minio_env
ssl=false
case $NEURALAKE_S3_ENDPOINT in https://*) ssl=true ;; esac

export AWS_EC2_METADATA_DISABLED=true
export PYSPARK_PYTHON=${PYSPARK_PYTHON:-$VENV/bin/python}
export PYSPARK_DRIVER_PYTHON=${PYSPARK_DRIVER_PYTHON:-$VENV/bin/python}
# The repo root on the path so jobs can import spark/ modules (spark.elt, ...).
export PYTHONPATH=$repo${PYTHONPATH:+:$PYTHONPATH}
# Spark 4 on Java 17 needs no extra --add-opens: spark-submit sets them itself.
exec "$VENV/bin/spark-submit" --master 'local[2]' --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 --driver-memory "${SPARK_DRIVER_MEMORY:-1g}" \
  --conf spark.driver.extraJavaOptions="-Daws.ec2.metadata.disabled=true -Dlog4j2.configurationFile=file:$repo/spark/log4j2.properties" \
  --conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension \
  --conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog \
  --conf spark.hadoop.fs.s3a.endpoint="$NEURALAKE_S3_ENDPOINT" \
  --conf spark.hadoop.fs.s3a.path.style.access=true \
  --conf spark.hadoop.fs.s3a.endpoint.region="$NEURALAKE_S3_REGION" \
  --conf spark.hadoop.fs.s3a.access.key="$NEURALAKE_S3_ACCESS_KEY" \
  --conf spark.hadoop.fs.s3a.secret.key="$NEURALAKE_S3_SECRET_KEY" \
  --conf spark.hadoop.fs.s3a.aws.credentials.provider=org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider \
  --conf spark.hadoop.fs.s3a.connection.ssl.enabled=$ssl \
  --conf spark.ui.enabled=false \
  --conf spark.sql.shuffle.partitions=2 \
  --conf spark.sql.session.timeZone=UTC \
  --conf spark.ui.showConsoleProgress=false \
  --conf spark.databricks.delta.snapshotPartitions=2 \
  "$@"
