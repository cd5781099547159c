#pragma once
// POST /hooks/{connector}: the front door for platform events.
//
// Order of checks, each answered with problem+json and nothing written:
//   unknown connector 404 → body over the limit 413 → signature missing/bad/stale 401 →
//   body not a JSON event 400 → durable commit (group commit) → 200 accepted | 200 duplicate,
//   or 503 when storage is unavailable or full.
// A 2xx is sent only after the event is committed.

#include <map>
#include <memory>
#include <string>

#include "http/router.hpp"
#include "store/group_commit.hpp"
#include "weft/clock.hpp"
#include "weft/connector.hpp"
#include "weft/metrics.hpp"

namespace weft::ingest {

struct IngestMetrics {
  explicit IngestMetrics(metrics::Registry& registry);
  metrics::Family<metrics::Counter>& webhooks;  // {connector, outcome}
  metrics::Histogram& ack_seconds;
  metrics::Histogram& commit_seconds;
  metrics::Histogram& commit_batch_size;
  metrics::Gauge& events_unprocessed;
};

using ConnectorMap = std::map<std::string, InboundConnectorPtr, std::less<>>;

// Raw events share durable commits (see store/group_commit.hpp).
using RawEventCommitter = GroupCommit<NewRawEvent, AppendOutcome>;
RawEventCommitter::CommitFn append_to(Store& store);

class WebhookIngest {
 public:
  WebhookIngest(const ConnectorMap& connectors, RawEventCommitter& committer, IngestMetrics& metrics,
                ClockPtr clock, std::size_t max_body_bytes);

  void handle(http::Request request, const http::PathParams& params, http::Responder respond);

 private:
  void reject(const http::Request& request, const std::string& connector, const char* outcome,
              http::Response response, const http::Responder& respond) const;

  const ConnectorMap& connectors_;
  RawEventCommitter& committer_;
  IngestMetrics& metrics_;
  ClockPtr clock_;
  std::size_t max_body_bytes_;
};

}  // namespace weft::ingest
