#pragma once
// The relay hub (`workflow_bench --relay-hub`): the HTTP traffic of the engine benchmark's
// workflow without anything else the hub does. It answers each webhook at once and then makes
// the workflow's three calls one after the other (POST <target>/effects, with the bodies and
// idempotency keys the `three-steps` workflow sends), through Weft's own outbound transport
// (delivery::CurlTransport's event loop). No storage, no mapping, no engine: what this machine
// can do for this flow before any of the hub's work, i.e. the ceiling of the benchmark here.

namespace weft::bench {

// `workflow_bench serve -c FILE --listen HOST:PORT`: reads connectors.target.base_url from the
// config the benchmark wrote. Runs until stopped.
int run_relay_hub(int argc, char** argv);

}  // namespace weft::bench
