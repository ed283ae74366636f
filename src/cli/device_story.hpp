// `egresswatch device IP|MAC`: one device's full story: its identity and the
// evidence for it, every destination with totals and first/last contact, its
// alerts, and the DNS names it resolved.
#pragma once

#include <memory>
#include <ostream>
#include <vector>

#include "filters.hpp"
#include "output.hpp"
#include "store.hpp"

namespace egresswatch::cli {

// `filters` holds the device and, optionally, the time window. Sections, in
// order: identity, destinations, alerts, dns. As a table each section has a
// title line; as JSON they are the arrays of one object; as JSON lines each
// row carries "section"; as CSV each section is a title line, then a header
// and rows, then an empty line. Throws StoreError.
void write_device_story(const std::vector<std::unique_ptr<Store>>& stores, const Filters& filters, Format format,
                        std::ostream& out);

}  // namespace egresswatch::cli
