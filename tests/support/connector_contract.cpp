#include "support/connector_contract.hpp"

#include <cstdio>

#include "connectors/outbound_registry.hpp"
#include "support/http_client.hpp"

namespace weft::test {

using nlohmann::json;

namespace {

std::string describe(const engine::ActionOutcome& outcome) {
  if (const auto* failure = std::get_if<delivery::Failure>(&outcome)) {
    return std::string("a failure, ") + delivery::to_string(failure->cls) + ": " + failure->message;
  }
  if (const auto* deferred = std::get_if<engine::Deferred>(&outcome)) {
    return "deferred " + std::to_string(deferred->wait.count()) + " ms: " + deferred->reason;
  }
  return "a success: " + std::get<engine::ActionSuccess>(outcome).output.dump();
}

}  // namespace

ConnectorContract::ConnectorContract(std::string binary, std::string type, Settings settings)
    : type_(std::move(type)),
      settings_(std::move(settings)),
      dir_("weft-" + type_ + "-contract"),
      sandbox_(std::move(binary), dir_.path()) {}

ConnectorContract::~ConnectorContract() = default;

void ConnectorContract::start(std::vector<std::string> sandbox_args) {
  base_url_ = sandbox_.start(std::move(sandbox_args));
  config_ = config_with(settings_);
  auto connectors = connectors::make_outbound_connectors(config_, system_clock());
  const auto it = connectors.find(type_);
  if (it == connectors.end()) throw ContractError("no outbound connector of type " + type_);
  connector_ = std::move(it->second);
  renew_invoker();
}

config::Config ConnectorContract::config_with(const Settings& settings) const {
  // JSON strings are YAML double-quoted scalars.
  std::string yaml = "connectors:\n  " + type_ + ":\n    type: " + type_ +
                     "\n    base_url: " + json(base_url_).dump() + "\n";
  for (const auto& [key, value] : settings) yaml += "    " + key + ": " + json(value).dump() + "\n";
  auto parsed = config::parse(yaml, "contract.yaml");
  if (!parsed) throw ContractError(config::format_errors(parsed.error()));
  return std::move(parsed).value();
}

std::unique_ptr<delivery::DeliveryInvoker> ConnectorContract::invoker_with(
    const Settings& settings) {
  return delivery::make_delivery_invoker(config_with(settings), registries_.emplace_back(),
                                         system_clock());
}

void ConnectorContract::renew_invoker() { invoker_ = invoker_with(settings_); }

engine::ActionOutcome ConnectorContract::call(const std::string& action, json input,
                                              std::string key) {
  return call_with(*invoker_, action, std::move(input), std::move(key));
}

engine::ActionOutcome ConnectorContract::call_with(delivery::DeliveryInvoker& invoker,
                                                   const std::string& action, json input,
                                                   std::string key) {
  engine::ActionRequest request;
  request.connector = type_;
  request.action = action;
  request.input = std::move(input);
  request.idempotency_key = std::move(key);
  request.correlation_id = "contract";
  return invoker.invoke(request);
}

std::vector<json> ConnectorContract::pages(const std::string& action, json input, int max_pages) {
  engine::ActionRequest request;
  request.connector = type_;
  request.action = action;
  request.input = std::move(input);
  request.correlation_id = "contract";
  std::vector<json> out;
  for (;;) {
    out.push_back(ok(invoker_->invoke(request)));
    auto next = connector_->next_page(request, out.back());
    if (!next) return out;
    if (static_cast<int>(out.size()) >= max_pages) {
      throw ContractError(action + ": still a next page after " + std::to_string(max_pages) +
                          " pages; the last: " + out.back().dump());
    }
    request.input = std::move(*next);
  }
}

std::set<std::string> ConnectorContract::ids_in(const std::vector<json>& pages,
                                                const std::string& list_key,
                                                const std::string& id_key) {
  std::set<std::string> ids;
  for (const json& page : pages) {
    for (const json& record : page.at(list_key)) {
      const json& id = record.at(id_key);
      if (!ids.insert(id.is_string() ? id.get<std::string>() : id.dump()).second) {
        throw ContractError("record " + id.dump() + " is on two pages of " + list_key);
      }
    }
  }
  return ids;
}

json ConnectorContract::ok(const engine::ActionOutcome& outcome) {
  if (const auto* success = std::get_if<engine::ActionSuccess>(&outcome)) return success->output;
  throw ContractError("expected a success, got " + describe(outcome));
}

delivery::Failure ConnectorContract::failed(const engine::ActionOutcome& outcome) {
  if (const auto* failure = std::get_if<delivery::Failure>(&outcome)) return *failure;
  throw ContractError("expected a failure, got " + describe(outcome));
}

void ConnectorContract::faults(const json& body) {
  HttpClient admin(base_url_);
  auto answer = admin.post("/_sandbox/faults", body.dump());
  if (!answer.ok() || answer->status != 200) {
    throw ContractError("POST /_sandbox/faults " + body.dump() +
                        " failed: " + (answer.ok() ? answer->body : answer.error().message));
  }
}

void ConnectorContract::clear_faults() { faults({{type_, json::object()}}); }

json ConnectorContract::sandbox_helper(const std::string& subpath, const json& body) {
  HttpClient admin(base_url_);
  const std::string path = "/_sandbox/" + type_ + subpath;
  auto answer = admin.post(path, body.dump());
  if (!answer.ok() || answer->status != 200) {
    throw ContractError("POST " + path +
                        " failed: " + (answer.ok() ? answer->body : answer.error().message));
  }
  return json::parse(answer->body);
}

json ConnectorContract::admin_get(const std::string& path) const {
  HttpClient admin(base_url_);
  auto answer = admin.get(path);
  if (!answer.ok() || answer->status != 200) {
    throw ContractError("GET " + path +
                        " failed: " + (answer.ok() ? answer->body : answer.error().message));
  }
  return json::parse(answer->body);
}

json ConnectorContract::requests() const {
  return admin_get("/_sandbox/requests?platform=" + type_)["requests"];
}

json ConnectorContract::requests_with_key(const std::string& key) const {
  json out = json::array();
  for (const json& entry : requests()) {
    if (entry["idempotency_key"] == key) out.push_back(entry);  // null when it had none
  }
  return out;
}

json ConnectorContract::state() const { return admin_get("/_sandbox/state")[type_]; }

std::size_t ConnectorContract::count_records(const std::string& type, const std::string& field,
                                             const json& value) const {
  const json records = state()[type];  // a range-for over state()[type] would dangle
  std::size_t n = 0;
  for (const json& record : records) n += record.value(field, json()) == value ? 1 : 0;
  return n;
}

void ConnectorContract::print_sandbox_log() const {
  std::fprintf(stderr, "sandbox log:\n%s\n", sandbox_.log_tail().c_str());
}

}  // namespace weft::test
