#pragma once
// IdentityActions: the built-in, read-only connector `identity`, through which a workflow
// reads identity resolution's answer about an entity (docs/identity.md): the platform records
// linked to it and its canonical record. Every other call goes on to the platforms' invoker.
//
//   call: identity.get_entity
//   with: '{id: .event.canonical_ids.customer,
//           current: {connector: .event.source_connector, at_ms: .event.occurred_at_ms,
//                     fields: {name: …}}}'   # optional
//   → {id, kind, links: {<connector>: [platform id, …]},
//      record: {<field>: {value, connector, at_ms}},
//      values: {<field>: value}}
//
// `id` may name an entity merged since: the answer is about the survivor (its `id`). The
// record says, per field, which connector set the newest value and when (the platform's
// time): what a sync workflow needs to carry only the newest value and never put an older
// one back. `values` is the record's values, except that where the record's newest value
// came from `current.connector`, or from another platform less than a second after
// `current.at_ms`, the value in `current.fields` (the changed record as the workflow read it
// now) stands in: it is at least as new, and platforms stamp changes to the second, so the
// record cannot order changes within one. Nothing here writes: the event pipeline is the only
// writer of identities.
//
// Errors: an unknown or empty id is a validation failure (no retry: the workbench); a store
// error is transient (retried like a platform that did not answer).
//
// Threads: invoke() and invoke_async() may be called from any thread; the store is
// thread-safe. An identity read answers on the caller's thread (an engine thread).

#include <string_view>

#include "engine/action_invoker.hpp"
#include "weft/identity_store.hpp"

namespace weft::hub {

// The connector name workflows call, with no entry under `connectors:` in the config.
inline constexpr std::string_view kIdentityConnector = "identity";

class IdentityActions : public engine::ActionInvoker {
 public:
  IdentityActions(engine::ActionInvoker& platforms, IdentityStore& identity)
      : platforms_(platforms), identity_(identity) {}

  engine::ActionOutcome invoke(const engine::ActionRequest& request) override;
  // Platform calls go on asynchronously; identity reads answer on the caller's thread.
  void invoke_async(const engine::ActionRequest& request, engine::ActionDone done) override;

 private:
  engine::ActionOutcome get_entity(const engine::ActionRequest& request);

  engine::ActionInvoker& platforms_;
  IdentityStore& identity_;
};

}  // namespace weft::hub
