// `weft reconcile`: one billing-vs-ERP reconciliation, in-process, with the config's
// connectors and workflows (the same Reconciler as POST /v1/reconciliations), stored in the
// hub's database like any run (requested_by "cli"), printed as a table or as JSON.
// Exit: 0 every line matched or pending, 1 differences, 2 bad arguments or a failed run.

#include <iomanip>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/config_loading.hpp"
#include "core/time_format.hpp"
#include "delivery/delivery_invoker.hpp"
#include "engine/workflow_catalog.hpp"
#include "reconcile/period.hpp"
#include "reconcile/reconciler.hpp"
#include "weft/workflow_store.hpp"

namespace weft::cli {

namespace {

using nlohmann::json;

// Every line of a stored run, in report order.
StoreResult<std::vector<json>> stored_lines(ReconciliationStore& store, const std::string& run_id) {
  std::vector<json> out;
  ReconciliationLineQuery q;
  q.run_id = run_id;
  q.limit = 1000;
  for (;;) {
    auto page = store.lines(q);
    if (!page) return fail(std::move(page).error());
    for (const auto& line : *page) out.push_back(json::parse(line.json, nullptr, false));
    if (page->size() < 1000) return out;
    q.after_seq = page->back().seq;
  }
}

std::string side(const json& record) {
  if (!record.is_object()) return "-";
  const json amount = record.value("amount", json());
  return (amount.is_string() ? amount.get<std::string>() : amount.dump()) + " " +
         record.value("currency", json("?")).get<std::string>();
}

void print_table(const ReconciliationRun& run, const json& summary,
                 const std::vector<json>& lines) {
  std::cout << "Reconciliation " << run.id << ": invoices created "
            << format_iso8601_ms(run.from_ms) << " to " << format_iso8601_ms(run.to_ms) << "\n\n";
  std::cout << std::left << std::setw(20) << "VERDICT" << std::setw(30) << "INVOICE"
            << std::setw(18) << "BILLING" << std::setw(18) << "ERP" << std::setw(12) << "POSTING"
            << "DETAIL\n";
  for (const json& line : lines) {
    const json& billing = line["billing"];
    const std::string billed = billing.is_object() ? billing["total"].get<std::string>() + " " +
                                                         billing["currency"].get<std::string>()
                                                   : "-";
    const json& instance = line["instance"];
    std::cout << std::setw(20) << line.value("verdict", "") << std::setw(30)
              << line.value("invoice_id", "") << std::setw(18) << billed << std::setw(18)
              << side(line["erp"]["invoice"]) << std::setw(12)
              << (instance.is_object() ? instance["status"].get<std::string>() : "-")
              << line.value("detail", "");
    if (line["exception_id"].is_string())
      std::cout << " (exception " << line["exception_id"].get<std::string>() << ")";
    std::cout << '\n';
  }
  std::cout << '\n' << summary["lines"] << " lines, " << summary["differences"] << " differences:";
  for (const auto& [verdict, count] : summary["verdicts"].items()) {
    if (count.get<std::int64_t>() > 0) std::cout << ' ' << verdict << '=' << count;
  }
  std::cout << '\n';
  for (const auto& [currency, totals] : summary["currencies"].items()) {
    std::cout << "  " << currency << ": billed " << totals["billed"].get<std::string>()
              << ", posted " << totals["posted"].get<std::string>() << '\n';
  }
}

}  // namespace

int run_reconcile(const ReconcileOptions& options) {
  int exit_code = 0;
  auto config = load_config(options.config_path, "", exit_code);
  if (!config) return 2;
  const auto optional = [](const std::string& text) {
    return text.empty() ? std::nullopt : std::optional<std::string>(text);
  };
  const ClockPtr clock = system_clock();
  auto period =
      reconcile::parse_period(optional(options.from), optional(options.to), clock->unix_millis());
  if (!period) {
    for (const auto& p : period.error())
      std::cerr << "weft reconcile: --" << p.field << ' ' << p.message << '\n';
    return 2;
  }
  engine::WorkflowCatalog catalog;
  if (config->workflows_dir) {
    auto loaded =
        engine::WorkflowCatalog::load(*config->workflows_dir, engine::validation_options(*config));
    if (!loaded) {
      std::cerr << "weft reconcile: workflows: " << config::format_errors(loaded.error()) << '\n';
      return 2;
    }
    catalog = std::move(*loaded);
  }
  auto storage = open_storage(config->storage.url);
  if (!storage) {
    std::cerr << "weft reconcile: cannot open storage "
              << config::redact_storage_url(config->storage.url) << ": " << storage.error().message
              << '\n';
    return 2;
  }
  metrics::Registry registry;
  std::unique_ptr<delivery::DeliveryInvoker> invoker;
  try {
    invoker = delivery::make_delivery_invoker(*config, registry, clock);
  } catch (const std::invalid_argument& e) {
    std::cerr << "weft reconcile: outbound delivery: " << e.what() << '\n';
    return 2;
  }
  reconcile::Reconciler reconciler(
      *invoker,
      [&invoker](const engine::ActionRequest& r, const json& output) {
        return invoker->next_page(r, output);
      },
      catalog, *storage->workflows, *storage->reconciliations, clock);
  auto run = reconciler.run({period->from_ms, period->to_ms, reconcile::kCliRequester});
  if (!run) {
    std::cerr << "weft reconcile: cannot store the run: " << run.error().message << '\n';
    return 2;
  }
  if (run->status != "completed") {
    if (options.json) {
      std::cout << json{{"id", run->id}, {"status", run->status}, {"error", run->error}}.dump(2)
                << '\n';
    }
    std::cerr << "weft reconcile: the run failed: " << run->error << '\n';
    return 2;
  }
  auto lines = stored_lines(*storage->reconciliations, run->id);
  if (!lines) {
    std::cerr << "weft reconcile: cannot read the stored report: " << lines.error().message << '\n';
    return 2;
  }
  const json summary = json::parse(run->summary_json);
  if (options.json) {
    std::cout << json{{"id", run->id},
                      {"status", run->status},
                      {"from", format_iso8601_ms(run->from_ms)},
                      {"to", format_iso8601_ms(run->to_ms)},
                      {"summary", summary},
                      {"lines", *lines}}
                     .dump(2)
              << '\n';
  } else {
    print_table(*run, summary, *lines);
  }
  return summary.value("differences", 0) == 0 ? 0 : 1;
}

}  // namespace weft::cli
