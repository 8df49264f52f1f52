// `neuralake storage ls|cat|put|rm URI`: direct access to objects through the object store layer.
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <CLI/CLI.hpp>

#include "neuralake/cli/cli.h"
#include "neuralake/storage/object_store_factory.h"

namespace neuralake::cli {
namespace {

std::string FormatTime(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string UriOf(const storage::ObjectStore& store, const std::string& key) {
  std::string root = store.RootUri();
  if (!root.empty() && root.back() == '/') root.pop_back();
  return root + "/" + key;
}

// A URI naming a "directory" lists what is below it; "s3://lake" lists the whole bucket.
std::string DirectoryPrefix(const std::string& key) {
  if (key.empty() || key.back() == '/') return key;
  return key + "/";
}

Status List(const GlobalOptions& options, const std::string& uri, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto target, storage::OpenObjectStoreForKey(uri, options.storage));
  // An exact object lists itself; otherwise list below the prefix as a directory.
  std::vector<storage::ObjectInfo> objects;
  if (!target.key.empty() && target.key.back() != '/') {
    auto head = target.store->Head(target.key);
    if (head.ok()) objects.push_back(*head);
  }
  if (objects.empty()) {
    NL_ASSIGN_OR_RETURN(objects, target.store->List(DirectoryPrefix(target.key)));
  }
  int64_t total = 0;
  for (const auto& object : objects) {
    out << FormatTime(object.modified_ms) << " " << object.size << "\t"
        << UriOf(*target.store, object.key) << "\n";
    total += object.size;
  }
  out << objects.size() << " objects, " << total << " bytes\n";
  return Status::OK();
}

Status Cat(const GlobalOptions& options, const std::string& uri, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto target, storage::OpenObjectStoreForKey(uri, options.storage));
  if (target.key.empty()) return Status::Invalid("'" + uri + "' names no object");
  NL_ASSIGN_OR_RETURN(std::string data, target.store->Get(target.key));
  out << data;
  return Status::OK();
}

Status Put(const GlobalOptions& options, const std::string& uri, const std::string& from,
           const std::optional<std::string>& data, bool if_absent, std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto target, storage::OpenObjectStoreForKey(uri, options.storage));
  if (target.key.empty()) return Status::Invalid("'" + uri + "' names no object");
  std::string bytes;
  if (data) {
    bytes = *data;
  } else if (from == "-") {
    bytes.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream file(from, std::ios::binary);
    if (!file) return Status::NotFound("cannot read input file '" + from + "'");
    bytes.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  Status status = if_absent ? target.store->PutIfAbsent(target.key, bytes)
                            : target.store->Put(target.key, bytes);
  NL_RETURN_NOT_OK(status);
  out << "put " << uri << " (" << bytes.size() << " bytes)\n";
  return Status::OK();
}

Status Remove(const GlobalOptions& options, const std::string& uri, bool recursive,
              std::ostream& out) {
  NL_ASSIGN_OR_RETURN(auto target, storage::OpenObjectStoreForKey(uri, options.storage));
  if (!recursive) {
    if (target.key.empty()) return Status::Invalid("'" + uri + "' names no object");
    NL_ASSIGN_OR_RETURN(auto info, target.store->Head(target.key));
    NL_RETURN_NOT_OK(target.store->Delete(info.key));
    out << "removed " << uri << "\n";
    return Status::OK();
  }
  NL_ASSIGN_OR_RETURN(auto objects, target.store->List(DirectoryPrefix(target.key)));
  for (const auto& object : objects) NL_RETURN_NOT_OK(target.store->Delete(object.key));
  out << "removed " << objects.size() << " objects below " << uri << "\n";
  return Status::OK();
}

}  // namespace

void AddStorageCommands(CLI::App& app, CommandContext& context) {
  CLI::App* storage = app.add_subcommand("storage", "Objects in a store (file, s3://, memory://)");
  storage->require_subcommand(1);

  auto uri = std::make_shared<std::string>();
  CLI::App* ls = storage->add_subcommand("ls", "List objects below a URI");
  ls->add_option("uri", *uri, "s3://bucket/prefix, /local/dir, memory://name/prefix")->required();
  ls->callback([&context, uri] {
    context.action = [&context, uri] { return List(context.options, *uri, *context.out); };
  });

  CLI::App* cat = storage->add_subcommand("cat", "Print an object's bytes to stdout");
  cat->add_option("uri", *uri, "object URI")->required();
  cat->callback([&context, uri] {
    context.action = [&context, uri] { return Cat(context.options, *uri, *context.out); };
  });

  auto from = std::make_shared<std::string>("-");
  auto data = std::make_shared<std::optional<std::string>>();
  auto if_absent = std::make_shared<bool>(false);
  CLI::App* put = storage->add_subcommand("put", "Write an object from a file, text or stdin");
  put->add_option("uri", *uri, "object URI")->required();
  put->add_option("--from", *from, "input file ('-' for stdin, the default)");
  put->add_option("--data", *data, "literal content instead of --from");
  put->add_flag("--if-absent", *if_absent, "fail with Conflict if the object exists (atomic)");
  put->callback([&context, uri, from, data, if_absent] {
    context.action = [&context, uri, from, data, if_absent] {
      return Put(context.options, *uri, *from, *data, *if_absent, *context.out);
    };
  });

  auto recursive = std::make_shared<bool>(false);
  CLI::App* rm = storage->add_subcommand("rm", "Delete an object (or everything below a prefix)");
  rm->add_option("uri", *uri, "object URI")->required();
  rm->add_flag("-r,--recursive", *recursive, "delete every object below the URI");
  rm->callback([&context, uri, recursive] {
    context.action = [&context, uri, recursive] {
      return Remove(context.options, *uri, *recursive, *context.out);
    };
  });
}

}  // namespace neuralake::cli
