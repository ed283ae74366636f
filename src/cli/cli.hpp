// The CLI of egresswatch: investigation queries, the device story, the
// periodic egress report, and the evidence commands.
//
//   egresswatch -d STORE.db [-d STORE.db ...] COMMAND [options]
//     alerts | flows | devices | dns     rows, filtered (--since, --device, --country, ...)
//     device IP|MAC                      one device's full story
//     report --period P | --since T      the egress summary of a period
//     verify                             check the evidence chain
//     export --device D                  a case bundle about one device
//
// Exit codes: 0 success, 1 runtime error (store missing, unreadable or of an
// unknown schema version; verify: a record was tampered with), 2 usage error
// or bad input.
#pragma once

#include <ostream>

namespace egresswatch::cli {

// Runs the CLI with the given arguments (argv[0] is the program name), writing
// results to `out` and one-line diagnostics to `err`. Returns the exit code.
int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace egresswatch::cli
