#!/usr/bin/env bash
# Local services for development and tests, all on 127.0.0.1, data under $NEURALAKE_CACHE/data.
#   scripts/services.sh up|down|status|restart [minio|kafka|postgres ...]   (default: all three)
#   scripts/services.sh env      the environment variables tests and tools use
# `up` is idempotent (a healthy service is left alone), waits for health and prints log paths;
# `down` stops what `up` started (TERM, then KILL) and leaves no orphans.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ALL_SERVICES=(minio kafka postgres)
MINIO_USER=minioadmin
MINIO_PASSWORD=minioadmin

pid_file() { echo "$NL_RUN/$1.pid"; }
log_file() { echo "$NL_LOGS/$1.log"; }

# Whether `pid` is a running process. A killed child of ours that nobody has reaped yet is a
# zombie: `kill -0` still succeeds on it, so the state in /proc decides.
pid_alive() {
  local pid=$1 state
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# The recorded pid, if that process is alive.
live_pid() {
  local file
  file=$(pid_file "$1")
  [ -f "$file" ] || return 1
  local pid
  pid=$(cat "$file")
  if pid_alive "$pid"; then
    echo "$pid"
    return 0
  fi
  rm -f "$file"
  return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {  # wait_for <service> <seconds> <check command...>
  local service=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then
      say "services: $service did not become healthy in ${seconds}s; last log lines:"
      tail -n 30 "$(log_file "$service")" >&2 || true
      return 1
    fi
    if ! live_pid "$service" >/dev/null && [ "$service" != postgres ]; then
      say "services: $service exited during start-up; last log lines:"
      tail -n 30 "$(log_file "$service")" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

start_detached() {  # start_detached <service> <command...>
  local service=$1
  shift
  local pid_path
  pid_path=$(pid_file "$service")
  rm -f "$pid_path"
  # The service records its own pid just before exec: `setsid` forks when its caller leads a
  # process group (a shell with job control), so `$!` would name a process that is already gone.
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pid_path" "$@" \
    >>"$(log_file "$service")" 2>&1 < /dev/null &
  for _ in $(seq 1 100); do
    [ -s "$pid_path" ] && return 0
    sleep 0.05
  done
  die "$service did not start (no pid file)"
}

stop_pid() {  # stop_pid <service> <pid>
  local service=$1 pid=$2
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    pid_alive "$pid" || break
    sleep 0.5
  done
  if pid_alive "$pid"; then
    say "services: $service did not stop in 30s; killing"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$(pid_file "$service")"
}

# ---- MinIO -----------------------------------------------------------------------------------
minio_healthy() { curl -sf -o /dev/null --max-time 2 http://127.0.0.1:9000/minio/health/live; }

minio_bucket() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X PUT \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$MINIO_USER:$MINIO_PASSWORD" \
    "http://127.0.0.1:9000/$1")
  case $code in
    200|409) ;;
    *) die "could not create bucket '$1' on MinIO (HTTP $code)" ;;
  esac
}

up_minio() {
  [ -x "$NL_BIN/minio" ] || "$(dirname "$0")/setup.sh" minio
  if ! live_pid minio >/dev/null; then
    if port_open 9000; then
      die "port 9000 is taken by a process these scripts did not start; stop it first"
    fi
    mkdir -p "$NL_DATA/minio"
    MINIO_ROOT_USER=$MINIO_USER MINIO_ROOT_PASSWORD=$MINIO_PASSWORD MINIO_REGION=us-east-1 \
      MINIO_UPDATE=off MINIO_BROWSER=on MINIO_PROMETHEUS_AUTH_TYPE=public \
      start_detached minio "$NL_BIN/minio" server "$NL_DATA/minio" \
      --address 127.0.0.1:9000 --console-address 127.0.0.1:9001
  fi
  wait_for minio 60 minio_healthy
  minio_bucket lake
  say "services: minio   up  http://127.0.0.1:9000 (console :9001, bucket 'lake')  log $(log_file minio)"
}

# ---- Kafka (KRaft, combined broker + controller) ---------------------------------------------
kafka_config() {
  local config=$NL_RUN/kafka.properties
  cat > "$config" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9093
listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093
advertised.listeners=PLAINTEXT://127.0.0.1:9092
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$NL_DATA/kafka
num.partitions=4
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
min.insync.replicas=1
default.replication.factor=1
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0
log.retention.hours=24
CONF
  cat > "$NL_RUN/kafka-log4j.properties" <<CONF
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.controller=WARN
log4j.logger.state.change.logger=WARN
CONF
  echo "$config"
}

kafka_healthy() {
  port_open 9092 && grep -q "Kafka Server started" "$(log_file kafka)" 2>/dev/null
}

up_kafka() {
  [ -f "$KAFKA_HOME/.complete" ] || "$(dirname "$0")/setup.sh" kafka
  if ! live_pid kafka >/dev/null; then
    if port_open 9092; then
      die "port 9092 is taken by a process these scripts did not start; stop it first"
    fi
    local config java_opts
    config=$(kafka_config)
    java_opts=(-Xms256m -Xmx768m -Dlog4j.configuration="file:$NL_RUN/kafka-log4j.properties")
    if [ ! -f "$NL_DATA/kafka/meta.properties" ]; then
      mkdir -p "$NL_DATA/kafka"
      local cluster_id
      cluster_id=$(java "${java_opts[@]}" -cp "$KAFKA_HOME/libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
      java "${java_opts[@]}" -cp "$KAFKA_HOME/libs/*" kafka.tools.StorageTool format \
        -t "$cluster_id" -c "$config" >>"$(log_file kafka)" 2>&1 ||
        die "formatting Kafka storage failed; see $(log_file kafka)"
    fi
    : > "$(log_file kafka)"
    start_detached kafka java "${java_opts[@]}" -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$config"
  fi
  wait_for kafka 90 kafka_healthy
  say "services: kafka   up  127.0.0.1:9092 (KRaft controller :9093)  log $(log_file kafka)"
}

# ---- PostgreSQL --------------------------------------------------------------------------------
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_healthy() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; }

up_postgres() {
  local data=$NL_DATA/postgres
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root: it runs as the `postgres` user, which needs to traverse
    # (not list) the directories above its data directory in our cache.
    local dir=$data
    while [ "$dir" != "/" ]; do
      dir=$(dirname "$dir")
      chmod o+x "$dir" 2>/dev/null || true
    done
    mkdir -p "$data"
    chown postgres:postgres "$data"
    touch "$(log_file postgres)"
    chown postgres "$(log_file postgres)"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    as_pg "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >>"$(log_file postgres)" 2>&1 ||
      die "initdb failed; see $(log_file postgres)"
  fi
  if ! pg_healthy; then
    as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$(log_file postgres)" -w -t 60 \
      -o "-h 127.0.0.1 -p $PG_PORT -k ''" start >/dev/null ||
      { tail -n 30 "$(log_file postgres)" >&2; die "PostgreSQL did not start"; }
  fi
  head -n 1 "$data/postmaster.pid" > "$(pid_file postgres)"
  echo "$PG_PORT" > "$NL_RUN/postgres.port"
  wait_for postgres 30 pg_healthy
  if ! psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc \
      "select 1 from pg_database where datname='neuralake'" | grep -q 1; then
    psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "create database neuralake" >/dev/null
  fi
  # One role must log in with a password (the postgres source's wrong-password test): its line
  # goes before the trust lines. The role and its password are the test's.
  local hba=$data/pg_hba.conf
  if ! as_pg grep -q '^host all nl_secret ' "$hba"; then
    as_pg sed -i '1i host all nl_secret 127.0.0.1/32 scram-sha-256' "$hba"
    psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "select pg_reload_conf()" >/dev/null
  fi
  say "services: postgres up  127.0.0.1:$PG_PORT (database 'neuralake', user postgres)  log $(log_file postgres)"
}

down_postgres() {
  local data=$NL_DATA/postgres
  if [ -f "$data/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -f "$(pid_file postgres)"
  say "services: postgres down"
}

down_generic() {
  local pid
  if pid=$(live_pid "$1"); then
    stop_pid "$1" "$pid"
  fi
  say "services: $1 down"
}

status_of() {
  local healthy=no
  case $1 in
    minio) minio_healthy && healthy=yes ;;
    kafka) kafka_healthy && healthy=yes ;;
    postgres) pg_healthy && healthy=yes ;;
  esac
  local pid
  pid=$(live_pid "$1" || echo "-")
  printf '%-9s healthy=%-3s pid=%-8s log=%s\n' "$1" "$healthy" "$pid" "$(log_file "$1")"
}

print_env() {
  cat <<ENV
export NEURALAKE_S3_ENDPOINT=http://127.0.0.1:9000
export NEURALAKE_S3_ACCESS_KEY=$MINIO_USER
export NEURALAKE_S3_SECRET_KEY=$MINIO_PASSWORD
export NEURALAKE_S3_REGION=us-east-1
export NEURALAKE_KAFKA_BROKERS=127.0.0.1:9092
export NEURALAKE_PG_PORT=$PG_PORT
export NEURALAKE_PG_DSN="host=127.0.0.1 port=$PG_PORT user=postgres dbname=neuralake"
ENV
}

main() {
  local command=${1:-status}
  shift || true
  local services=("$@")
  [ ${#services[@]} -gt 0 ] || services=("${ALL_SERVICES[@]}")
  for service in "${services[@]}"; do
    case $service in minio|kafka|postgres) ;; *) die "unknown service '$service' (minio, kafka, postgres)" ;; esac
  done
  case $command in
    up) for s in "${services[@]}"; do "up_$s"; done ;;
    down)
      for s in "${services[@]}"; do
        if [ "$s" = postgres ]; then down_postgres; else down_generic "$s"; fi
      done ;;
    restart) "$0" down "${services[@]}"; "$0" up "${services[@]}" ;;
    status) for s in "${services[@]}"; do status_of "$s"; done ;;
    env) print_env ;;
    *) die "usage: services.sh up|down|status|restart|env [minio|kafka|postgres ...]" ;;
  esac
}

main "$@"
