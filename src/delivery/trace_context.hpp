#pragma once
// W3C trace context (https://www.w3.org/TR/trace-context/) and correlation id for outbound
// calls: every request to a platform carries both, so that a platform's logs, a tracing
// backend and Weft's own logs can be joined.
//
// Threads: pure functions (span ids come from the system's random source); any thread.

#include <string>
#include <string_view>

#include "engine/action_invoker.hpp"
#include "weft/http.hpp"

namespace weft::delivery {

// "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>", lower-case, neither id all zeros.
bool valid_traceparent(std::string_view value);

// The trace id of everything one workflow instance does: the correlation id when that already
// is a trace id (32 hex digits: the router takes inbound correlation ids from traceparent),
// else a hash of the correlation id (or, without one, of the instance id). Log lines about an
// instance carry it, so they join its outbound calls in a tracing backend.
std::string trace_id_for(std::string_view correlation_id, std::string_view instance_id);

// The traceparent of an outbound call: the request's own when it is valid; otherwise one
// derived from the call — the trace id is the correlation id when that already is a trace id
// (32 hex digits: the router takes inbound correlation ids from traceparent), else a hash of
// the correlation id (or, without one, of the instance id), so that every attempt of every
// step of a workflow lands in one trace; the parent (span) id is fresh; sampled.
std::string outbound_traceparent(const engine::ActionRequest& request);

// Sets traceparent and X-Correlation-Id unless already present. The correlation id is sent only
// when it is a plain token (letters, digits, - _ . :, at most 128), as the router accepts.
void add_trace_headers(const engine::ActionRequest& request, http::Headers& headers);

}  // namespace weft::delivery
