// The evidence commands: `verify` (is every sealed record intact?) and
// `export` (a case bundle about one device that someone else can verify).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <ostream>
#include <vector>

#include "filters.hpp"
#include "store.hpp"

namespace egresswatch::cli {

// Checks the evidence chain of every store and writes one verdict per store
// (with the problems found, the first one first). With `key_path` (an Ed25519
// public key, PEM), checks the signed checkpoints too and says what the latest
// covers. True if all are intact. Throws evidence::KeyError for a bad key.
bool verify_stores(const std::vector<std::unique_ptr<Store>>& stores, std::ostream& out,
                   const std::optional<std::string>& key_path = std::nullopt);

// Writes the case bundle of `device`: its sealed records in the window of
// `filters` (flows overlapping --since/--until), each with its stored
// columns, record hash and chain hash; the chain proof, i.e. every chain
// entry's hashes from the first record to the head, so the records can be
// linked to the head without the other devices' data; and the device's
// report for the same window, as JSON and as Markdown.
// Throws StoreError, or NoRecords when the device has no sealed record there.
struct NoRecords {
    std::string message;
};
void export_bundle(const std::vector<std::unique_ptr<Store>>& stores, const DeviceFilter& device,
                   const Filters& filters, std::ostream& out);

}  // namespace egresswatch::cli
