#pragma once
// A stand-in for `weft serve` that does no work of the hub: it answers every request at once
// (200; an accepted-looking JSON body, or empty text for /metrics) on one thread, and hands
// each request to `on_request` first. The benchmarks' diagnostics run against it to measure
// what the hub itself costs: ingest_bench --null-hub (the load generator alone) and
// workflow_bench --relay-hub (the same HTTP traffic as a workflow, without the hub's work).
//
// Runs until the process is stopped (the benchmark sends SIGTERM).

#include <functional>
#include <string>
#include <string_view>

namespace weft::bench {

struct AnsweredRequest {
  std::string_view method;
  std::string_view target;
  std::string_view body;
};

// `argv` as `weft serve` gets it: "--listen HOST:PORT" (and -c FILE, read by the caller).
// Returns the process's exit status: 2 when --listen is missing or bad.
int run_answering_server(int argc, char** argv,
                         const std::function<void(const AnsweredRequest&)>& on_request);

// The value following `flag` in argv, or "" when absent.
std::string argument_after(int argc, char** argv, std::string_view flag);

}  // namespace weft::bench
