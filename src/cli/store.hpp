// Read-only access to an evidence store, over the common SQLite layer.
#pragma once

#include <egresswatch/common/sqlite.hpp>

#include <string>

namespace egresswatch::cli {

using egresswatch::StoreError;  // any failure to open or read the store
using SqlParam = sqlite::Param;
using sqlite::Statement;

class Store : public sqlite::Connection {
public:
    // Opens `path` read-only (never creates it) and checks that its schema
    // version is the one this build knows (schema::kVersion).
    explicit Store(const std::string& path);
};

}  // namespace egresswatch::cli
