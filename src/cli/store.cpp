#include "store.hpp"

#include <egresswatch/schema.hpp>

namespace egresswatch::cli {

Store::Store(const std::string& path) : sqlite::Connection(path, Mode::read_only) {
    sqlite::check_schema_version(user_version(), schema::kVersion, path, sqlite::SchemaUse::read);
}

}  // namespace egresswatch::cli
