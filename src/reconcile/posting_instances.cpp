#include "reconcile/posting_instances.hpp"

#include <nlohmann/json.hpp>

namespace weft::reconcile {

namespace {

constexpr int kPage = 1000;

std::string invoice_of(const InstanceRecord& instance) {
  const auto state = nlohmann::json::parse(instance.state_json, nullptr, false);
  if (!state.is_object()) return {};
  const auto id = state.value("/event/payload/invoice_id"_json_pointer, nlohmann::json());
  return id.is_string() ? id.get<std::string>() : std::string();
}

// Whether `candidate` tells more about its invoice than `current`: in flight beats finished,
// then the newer wins.
bool better(const InstanceRecord& candidate, const InstanceRecord& current) {
  const bool a = !is_terminal(candidate.status), b = !is_terminal(current.status);
  if (a != b) return a;
  return candidate.created_at_ms != current.created_at_ms
             ? candidate.created_at_ms > current.created_at_ms
             : candidate.id > current.id;
}

}  // namespace

StoreResult<std::map<std::string, PostingInstance, std::less<>>> posting_instances(
    WorkflowStore& store, const std::string& workflow, std::int64_t from_ms) {
  std::map<std::string, InstanceRecord, std::less<>> chosen;
  InstanceQuery q;
  q.workflow = workflow;
  q.created_from_ms = from_ms;
  q.limit = kPage;
  for (;;) {
    auto page = store.query_instances(q);
    if (!page) return fail(std::move(page).error());
    for (InstanceRecord& instance : *page) {
      const std::string invoice = invoice_of(instance);
      if (invoice.empty()) continue;
      const auto it = chosen.find(invoice);
      if (it == chosen.end())
        chosen.emplace(invoice, std::move(instance));
      else if (better(instance, it->second))
        it->second = std::move(instance);
    }
    if (page->size() < static_cast<std::size_t>(kPage)) break;
    q.after_id = page->back().id;
  }

  std::map<std::string, std::string, std::less<>> open_exceptions;  // instance id → exception id
  ExceptionQuery eq;
  eq.status = ExceptionStatus::open;
  eq.workflow = workflow;
  eq.limit = kPage;
  for (;;) {
    auto page = store.query_exceptions(eq);
    if (!page) return fail(std::move(page).error());
    for (const ExceptionRecord& e : *page) {
      if (!e.instance_id.empty()) open_exceptions.emplace(e.instance_id, e.id);
    }
    if (page->size() < static_cast<std::size_t>(kPage)) break;
    eq.after_id = page->back().id;
  }

  std::map<std::string, PostingInstance, std::less<>> out;
  for (const auto& [invoice, instance] : chosen) {
    PostingInstance p{instance.id, to_string(instance.status), {}};
    if (const auto e = open_exceptions.find(instance.id); e != open_exceptions.end()) {
      p.exception_id = e->second;
    }
    out.emplace(invoice, std::move(p));
  }
  return out;
}

}  // namespace weft::reconcile
