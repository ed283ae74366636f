// The query CLI of egresswatch:
//
//   egresswatch -d STORE.db alerts|flows|devices [--since T] [--until T]
//               [--device IP|MAC] [--country CC[,CC]] [--asn N[,N]]
//               [--format table|csv|json] [--limit N]
//
// Exit codes: 0 success, 1 runtime error (store missing, unreadable or of an
// unknown schema version), 2 usage error or bad input.
#pragma once

#include <ostream>

namespace egresswatch::cli {

// Runs the CLI with the given arguments (argv[0] is the program name), writing
// results to `out` and one-line diagnostics to `err`. Returns the exit code.
int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace egresswatch::cli
