#!/usr/bin/env bash
# Installs what Neuralake needs, idempotently, caching under $NEURALAKE_CACHE (~/.cache/neuralake).
#   scripts/setup.sh all          everything below
#   scripts/setup.sh build-deps   what compiling needs: apt packages + DuckDB + the web UI
#   scripts/setup.sh apt|duckdb|minio|kafka|venv|spark|web
# Each step is skipped in well under a second when already done.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

APT_PACKAGES=(g++ cmake ninja-build pkg-config curl ca-certificates libcurl4-openssl-dev libssl-dev
  nlohmann-json3-dev libsimdjson-dev libcli11-dev libspdlog-dev libfmt-dev librdkafka-dev
  libpq-dev postgresql libgtest-dev libgmock-dev libbenchmark-dev libyaml-cpp-dev libreadline-dev python3-venv
  openjdk-17-jre-headless maven golang-go npm libboost1.81-dev libboost-json1.81-dev libroaring-dev wrk
  chromium)

step_apt() {
  local missing=()
  for package in "${APT_PACKAGES[@]}"; do
    # Tools that exist already (e.g. a newer Go or Node installed outside apt) count as present.
    case $package in
      golang-go) command -v go >/dev/null && continue ;;
      npm) command -v npm >/dev/null && continue ;;
      maven) command -v mvn >/dev/null && continue ;;
      openjdk-17-jre-headless) command -v java >/dev/null && continue ;;
      python3-venv) python3 -c 'import venv, ensurepip' 2>/dev/null && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "setup: apt packages ok (cached)"
    return
  fi
  say "setup: installing apt packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

step_duckdb() {
  local target=$NEURALAKE_CACHE/duckdb-$DUCKDB_VERSION
  if [ -f "$target/lib/libduckdb.so" ] && [ -f "$target/include/duckdb.hpp" ]; then
    say "setup: duckdb $DUCKDB_VERSION ok (cached)"
    return
  fi
  say "setup: fetching DuckDB $DUCKDB_VERSION (library and matching headers from the npm registry)"
  local work
  work=$(mktemp -d "$NEURALAKE_CACHE/.duckdb-XXXXXX")
  (
    cd "$work"
    # npm pack only downloads the tarballs; no install scripts run.
    npm pack --silent "@duckdb/node-bindings-linux-x64@$DUCKDB_NODE_BINDINGS" "duckdb@$DUCKDB_VERSION" >/dev/null
    mkdir bindings headers staged staged/lib
    tar xzf duckdb-node-bindings-linux-x64-"$DUCKDB_NODE_BINDINGS".tgz -C bindings
    tar xzf duckdb-"$DUCKDB_VERSION".tgz -C headers
    cp bindings/package/libduckdb.so staged/lib/
    cp -r headers/package/src/duckdb/src/include staged/include
  )
  rm -rf "$target"
  mv "$work/staged" "$target"
  rm -rf "$work"
  say "setup: duckdb $DUCKDB_VERSION installed in $target"
}

step_minio() {
  local stamp=$NL_BIN/.minio-$MINIO_VERSION
  if [ -x "$NL_BIN/minio" ] && [ -f "$stamp" ]; then
    say "setup: minio ok (cached)"
    return
  fi
  say "setup: building MinIO $MINIO_VERSION with go install (a few minutes the first time)..."
  local start=$SECONDS
  GOBIN=$NL_BIN GOMODCACHE=$NEURALAKE_CACHE/go/mod GOCACHE=$NEURALAKE_CACHE/go/build \
    GOFLAGS=-mod=mod go install "$MINIO_MODULE@$MINIO_VERSION"
  touch "$stamp"
  say "setup: minio built in $((SECONDS - start)) s"
}

step_kafka() {
  local stamp=$KAFKA_HOME/.complete
  if [ -f "$stamp" ]; then
    say "setup: kafka $KAFKA_VERSION ok (cached)"
    return
  fi
  say "setup: fetching Apache Kafka $KAFKA_VERSION jars from Maven Central..."
  mkdir -p "$KAFKA_HOME"
  cat > "$KAFKA_HOME/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.neuralake</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-storage</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
POM
  rm -rf "$KAFKA_HOME/libs"
  mvn -q -B -f "$KAFKA_HOME/pom.xml" -Dmaven.repo.local="$NEURALAKE_CACHE/m2" \
    dependency:copy-dependencies -DoutputDirectory="$KAFKA_HOME/libs" -DincludeScope=runtime
  ls "$KAFKA_HOME"/libs/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null ||
    die "kafka jars missing after maven ran"
  touch "$stamp"
  say "setup: kafka $KAFKA_VERSION jars in $KAFKA_HOME/libs"
}

step_venv() {
  local requirements
  requirements=$(cd "$(dirname "$0")" && pwd)/python-requirements.txt
  local hash
  hash=$(sha256sum "$requirements" | cut -c1-16)
  if [ -f "$VENV/.requirements-$hash" ]; then
    say "setup: python venv ok (cached)"
    return
  fi
  say "setup: creating the Python venv for test oracles and benchmark peers..."
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -r "$requirements"
  rm -f "$VENV"/.requirements-*
  touch "$VENV/.requirements-$hash"
  say "setup: venv ready at $VENV"
}

# The web UI (web/ -> web/dist, TypeScript bundled by esbuild; versions pinned in package-lock.json)
# and the browser-test driver (tests/ui: playwright-core, driving Debian's /usr/bin/chromium).
# `npm ci` runs only when a lockfile changed; the build only when a source is newer than web/dist.
npm_ci_if_needed() {
  local dir=$1
  if [ -f "$dir/node_modules/.package-lock.json" ] &&
     [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    return
  fi
  say "setup: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

step_web() {
  local root
  root=$(cd "$(dirname "$0")/.." && pwd)
  npm_ci_if_needed "$root/web"
  npm_ci_if_needed "$root/tests/ui"
  if [ -f "$root/web/dist/app.js" ] && [ -f "$root/web/dist/index.html" ] &&
     [ -z "$(find "$root/web/src" "$root/web/index.html" "$root/web/build.mjs" "$root/web/package-lock.json" \
              "$root/web/tsconfig.json" -newer "$root/web/dist/app.js" -print -quit)" ]; then
    say "setup: web UI ok (cached)"
    return
  fi
  say "setup: building the web UI (web/dist)"
  (cd "$root/web" && npm run --silent build >/dev/null)
}

# Apache Spark + Delta for the dual-engine demo and the interop tests (docs/spark.md): PyPI pyspark
# (it bundles Spark's jars and Hadoop's client) and delta-spark in the venv, and from Maven Central
# the Delta and s3a jars of spark/jars-pom.xml in $SPARK_JARS, less what pyspark/jars already has.
# Nothing is downloaded at run time: scripts/spark-submit.sh passes these jars with --jars.
PYSPARK_VERSION=4.1.4
DELTA_SPARK_PY_VERSION=4.4.1
SPARK_JARS=$NEURALAKE_CACHE/spark-jars

step_spark() {
  local root pom stamp
  root=$(cd "$(dirname "$0")/.." && pwd)
  pom=$root/spark/jars-pom.xml
  stamp=$SPARK_JARS/.complete-$( (sha256sum "$pom"; echo "$PYSPARK_VERSION $DELTA_SPARK_PY_VERSION") |
    sha256sum | cut -c1-16)
  if [ -f "$stamp" ] && [ -f "$VENV/.spark-$PYSPARK_VERSION-$DELTA_SPARK_PY_VERSION" ]; then
    say "setup: spark $PYSPARK_VERSION + delta ok (cached)"
    return
  fi
  [ -x "$VENV/bin/python" ] || step_venv
  if [ ! -f "$VENV/.spark-$PYSPARK_VERSION-$DELTA_SPARK_PY_VERSION" ]; then
    say "setup: installing pyspark $PYSPARK_VERSION and delta-spark $DELTA_SPARK_PY_VERSION in the venv..."
    local links=()
    # Wheels fetched earlier (optional) save the download; PyPI is used for anything missing.
    [ -d "${NEURALAKE_SPARK_WHEELS:-/tmp/spark-wheels}" ] &&
      links=(--find-links "${NEURALAKE_SPARK_WHEELS:-/tmp/spark-wheels}")
    "$VENV/bin/pip" install -q "${links[@]}" "pyspark==$PYSPARK_VERSION" "delta-spark==$DELTA_SPARK_PY_VERSION"
    rm -f "$VENV"/.spark-*
    touch "$VENV/.spark-$PYSPARK_VERSION-$DELTA_SPARK_PY_VERSION"
  fi
  local pyspark_jars
  pyspark_jars=$("$VENV/bin/python" -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')
  [ -d "$pyspark_jars" ] || die "pyspark has no jars folder at $pyspark_jars"
  say "setup: fetching the Delta and s3a jars from Maven Central (the AWS SDK bundle is ~0.6 GB)..."
  local work
  mkdir -p "$NEURALAKE_CACHE"
  work=$(mktemp -d "$NEURALAKE_CACHE/.spark-jars-XXXXXX")
  mvn -q -B -f "$pom" -Dmaven.repo.local="$NEURALAKE_CACHE/m2" dependency:copy-dependencies \
    -DoutputDirectory="$work" -DincludeScope=runtime -DexcludeGroupIds=org.apache.spark,org.scala-lang
  # pyspark's own copy of a library wins: drop any jar whose artifact (name less version) it bundles.
  local jar artifact
  for jar in "$work"/*.jar; do
    artifact=$(basename "$jar" | sed -E 's/-[0-9][^/]*\.jar$//')
    if compgen -G "$pyspark_jars/$artifact-[0-9]*.jar" >/dev/null; then rm -f "$jar"; fi
  done
  compgen -G "$work/delta-spark_*.jar" >/dev/null && compgen -G "$work/hadoop-aws-*.jar" >/dev/null ||
    die "delta-spark or hadoop-aws jar missing after maven ran"
  rm -rf "$SPARK_JARS"
  mv "$work" "$SPARK_JARS"
  touch "$stamp"
  say "setup: spark jars in $SPARK_JARS ($(ls "$SPARK_JARS" | wc -l) jars)"
}

main() {
  local steps=("$@")
  [ ${#steps[@]} -gt 0 ] || steps=(all)
  for step in "${steps[@]}"; do
    case $step in
      all) step_apt; step_duckdb; step_minio; step_kafka; step_venv; step_spark; step_web ;;
      build-deps) step_apt; step_duckdb; step_web ;;
      apt|duckdb|minio|kafka|venv|spark|web) "step_$step" ;;
      *) die "unknown setup step '$step' (all, build-deps, apt, duckdb, minio, kafka, venv, spark, web)" ;;
    esac
  done
}

main "$@"
