// `neuralake produce` and `neuralake ingest`: Kafka in, Bronze Delta table out (docs/ingest.md).
//
//   neuralake produce --topic T --count N [--rate N/s] [--schema events|telemetry|SPEC]
//                     [--key COLUMN] [--seed N] [--first-row N] [--brokers H:P]
//   neuralake produce --topic T --from-file FILE|-          (one message per line)
//   neuralake ingest --topic T --table URI [--group G] [--member NAME] [--schema NAME|SPEC]
//                    [--max-latency 1s] [--max-messages N] [--max-bytes 64MB] [--stop-at-end]
//                    [--dead-letter URI] [--catalog FILE] [--quality-uri URI] [--quarantine URI]
//                    [--rename field=column ...] [--evolve-schema] [--brokers H:P]
//                    [--kafka-option key=value ...]
#include <cstdlib>
#include <iomanip>
#include <iostream>

#include <CLI/CLI.hpp>

#include "neuralake/cli/cli.h"
#include "neuralake/cli/flag_values.h"
#include "neuralake/cli/quality_commands.h"
#include "neuralake/common/units.h"
#include "neuralake/ingest/producer.h"
#include "neuralake/service/ingest_service.h"
#include "neuralake/service/stop_flag.h"

namespace neuralake::cli {
namespace {

std::string DefaultBrokers() {
  const char* env = std::getenv("NEURALAKE_KAFKA_BROKERS");
  return env != nullptr && *env != '\0' ? env : "127.0.0.1:9092";
}

// A positive duration flag ("1s", "500ms", "2m", "1.5"), in seconds.
Result<double> PositiveSeconds(std::string_view flag, const std::string& text) {
  NL_ASSIGN_OR_RETURN(int64_t ms, DurationFlag(flag, text));
  if (ms <= 0) return Status::Invalid(std::string(flag) + " must be > 0, not '" + text + "'");
  return static_cast<double>(ms) / 1000;
}

// "1000", "1000/s".
Result<double> ParseRate(const std::string& text) {
  std::string number = text;
  if (number.size() > 2 && number.substr(number.size() - 2) == "/s") {
    number = number.substr(0, number.size() - 2);
  }
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (end == number.c_str() || *end != '\0' || !(value >= 0)) {
    return Status::Invalid("bad --rate '" + text + "' (messages per second, e.g. 5000 or 5000/s; "
                           "0 = as fast as possible)");
  }
  return value;
}

struct ProduceFlags {
  ingest::ProduceOptions options;
  std::string rate = "0";
};

Status ProduceCommand(ProduceFlags flags, std::ostream& out, std::ostream& err) {
  NL_ASSIGN_OR_RETURN(flags.options.rate, ParseRate(flags.rate));
  if (flags.options.brokers.empty()) flags.options.brokers = DefaultBrokers();
  flags.options.log = &err;
  service::StopFlag stop;
  service::ScopedStopSignals signals(stop);
  flags.options.stop = stop.atomic();
  NL_ASSIGN_OR_RETURN(auto summary, ingest::Produce(flags.options));
  double seconds = std::max(summary.seconds, 1e-9);
  out << "produced " << summary.messages << " messages (" << FormatBytes(summary.bytes) << ") to "
      << flags.options.topic << " in " << std::fixed << std::setprecision(2) << summary.seconds
      << " s: " << std::setprecision(0) << summary.messages / seconds << " msg/s, "
      << FormatBytes(static_cast<int64_t>(summary.bytes / seconds)) << "/s\n";
  return Status::OK();
}

struct IngestFlags {
  ingest::IngestOptions options;
  std::string max_latency = "1s";
  std::string max_bytes = "64MB";
  std::vector<std::string> renames;
  std::vector<std::string> kafka_options;
  std::string status_interval = "5s";
  QualityFlags quality;
};

Status IngestCommand(const GlobalOptions& global, IngestFlags flags, std::ostream& out,
                     std::ostream& err) {
  NL_ASSIGN_OR_RETURN(flags.options.max_latency_s,
                      PositiveSeconds("--max-latency", flags.max_latency));
  NL_ASSIGN_OR_RETURN(flags.options.status_interval_s,
                      PositiveSeconds("--status-interval", flags.status_interval));
  NL_ASSIGN_OR_RETURN(flags.options.max_bytes, SizeFlag("--max-bytes", flags.max_bytes));
  if (flags.options.max_bytes <= 0) return Status::Invalid("--max-bytes must be > 0");
  for (const auto& rename : flags.renames) {
    auto eq = rename.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == rename.size()) {
      return Status::Invalid("bad --rename '" + rename + "' (expected field=column)");
    }
    flags.options.renames[rename.substr(0, eq)] = rename.substr(eq + 1);
  }
  for (const auto& setting : flags.kafka_options) {
    auto eq = setting.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::Invalid("bad --kafka-option '" + setting + "' (expected key=value)");
    }
    flags.options.kafka_settings[setting.substr(0, eq)] = setting.substr(eq + 1);
  }
  if (flags.options.brokers.empty()) flags.options.brokers = DefaultBrokers();
  flags.options.storage = global.storage;
  flags.options.log = &err;
  NL_ASSIGN_OR_RETURN(flags.options.check_rows,
                      IngestQualityGate(global, flags.options.table_uri, flags.quality, err));
  flags.options.quarantine_uri = flags.quality.quarantine_uri;
  service::IngestService ingestor(flags.options);
  service::StopFlag stop;
  service::ScopedStopSignals signals(stop);
  NL_ASSIGN_OR_RETURN(auto summary, ingestor.Run(stop));
  out << "ingested " << summary.rows << " rows from " << summary.messages << " messages ("
      << summary.dead_letters << " dead letters, " << summary.quarantined << " quarantined, "
      << summary.dropped_duplicates
      << " duplicates dropped) in " << summary.commits << " commits; table version "
      << summary.last_version << "; " << std::fixed << std::setprecision(2) << summary.seconds
      << " s\n";
  return Status::OK();
}

}  // namespace

void AddIngestCommands(CLI::App& app, CommandContext& context) {
  {
    auto flags = std::make_shared<ProduceFlags>();
    CLI::App* produce = app.add_subcommand("produce", "Send generated rows to Kafka as JSON");
    produce->add_option("--topic", flags->options.topic, "Kafka topic")->required();
    produce->add_option("--count", flags->options.count, "number of messages");
    produce->add_option("--from-file", flags->options.from_file,
                        "send each line of FILE ('-' for stdin) as a message, instead of rows");
    produce->add_option("--rate", flags->rate, "messages per second (0 = as fast as possible)");
    produce->add_option("--schema", flags->options.schema,
                        "generator schema (events, telemetry) or a spec file (default events)");
    produce->add_option("--key", flags->options.key, "key column (default: the first column)");
    produce->add_option("--seed", flags->options.seed, "random seed");
    produce->add_option("--first-row", flags->options.first_row,
                        "row number of the first message (continue a sequence)");
    produce->add_option("--brokers", flags->options.brokers,
                        "bootstrap servers (default $NEURALAKE_KAFKA_BROKERS or 127.0.0.1:9092)");
    flags->options.brokers.clear();
    produce->callback([&context, flags] {
      context.action = [&context, flags] {
        return ProduceCommand(*flags, *context.out, *context.err);
      };
    });
  }
  {
    auto flags = std::make_shared<IngestFlags>();
    CLI::App* ingest = app.add_subcommand(
        "ingest", "Consume a Kafka topic into a Bronze Delta table, exactly once");
    ingest->add_option("--topic", flags->options.topic, "Kafka topic")->required();
    ingest->add_option("--table", flags->options.table_uri, "Delta table URI")->required();
    ingest->add_option("--group", flags->options.group, "consumer group (default neuralake-ingest)");
    ingest->add_option("--member", flags->options.member,
                       "stable name of this process in the group (static membership): restarted "
                       "under the same name it takes its partitions back at once; unique per "
                       "process");
    ingest->add_option("--schema", flags->options.schema,
                       "schema for a new table: generator schema name or spec file");
    ingest->add_option("--max-latency", flags->max_latency, "flush after this long (default 1s)");
    ingest->add_option("--max-messages", flags->options.max_messages,
                       "flush after this many messages (default 100000)");
    ingest->add_option("--max-bytes", flags->max_bytes, "flush after this many bytes (default 64MB)");
    ingest->add_flag("--stop-at-end", flags->options.stop_at_end,
                     "exit once caught up on every owned partition");
    ingest->add_option("--dead-letter", flags->options.dead_letter_uri,
                       "dead-letter table (default <table>_dead_letters)");
    ingest->add_option("--catalog", flags->quality.catalog,
                       "catalog YAML whose table at --table declares expectations to enforce per "
                       "batch (default: $NEURALAKE_CATALOG; neither: no checks)");
    ingest->add_option("--quality-uri", flags->quality.quality_uri,
                       "results table (default: <parent of the table uri>/_quality)");
    ingest->add_option("--quarantine", flags->quality.quarantine_uri,
                       "rows dropped by expectations (default <table>_quarantine)");
    ingest->add_option("--rename", flags->renames, "map a message field to a column: field=column");
    ingest->add_option("--kafka-option", flags->kafka_options,
                       "librdkafka consumer setting key=value (repeatable), over ours");
    ingest->add_flag("--evolve-schema", flags->options.evolve_schema,
                     "add new nullable columns for unknown message fields");
    ingest->add_option("--status-interval", flags->status_interval,
                       "status line period (default 5s)");
    ingest->add_option("--brokers", flags->options.brokers,
                       "bootstrap servers (default $NEURALAKE_KAFKA_BROKERS or 127.0.0.1:9092)");
    flags->options.brokers.clear();
    ingest->callback([&context, flags] {
      context.action = [&context, flags] {
        return IngestCommand(context.options, *flags, *context.out, *context.err);
      };
    });
  }
}

}  // namespace neuralake::cli
