// `weft scenario run` and `weft scenario verify` (docs/scenario.md).

#include <cmath>
#include <iostream>

#include "cli/commands.hpp"
#include "scenario/admin_client.hpp"
#include "scenario/scenario_player.hpp"
#include "scenario/scenario_plan.hpp"
#include "scenario/scenario_verify.hpp"
#include "weft/log.hpp"

namespace weft::cli {

namespace {

bool check_url(const char* option, const std::string& url) {
  if (scenario::is_http_url(url)) return true;
  std::cerr << option << ": expected an http:// or https:// URL, got '" << url << "'\n";
  return false;
}

}  // namespace

int run_scenario_run(const ScenarioRunOptions& options) {
  if (!check_url("--sandbox", options.sandbox_url)) return 2;
  auto plan = scenario::plan_scenario({options.seed, options.customers});
  if (!plan) {
    std::cerr << plan.error() << '\n';
    return 2;
  }
  // The connectors log every retried call; the progress lines say enough here.
  log::configure(log::Level::warn, "stderr");
  std::cerr << "weft scenario: seed " << options.seed << ", " << options.customers << " customers, "
            << plan->operations.size() << " operations\n";
  scenario::PlayOptions play;
  play.sandbox_url = options.sandbox_url;
  const std::size_t step = std::max<std::size_t>(1, plan->operations.size() / 10);
  play.progress = [step](std::size_t done, std::size_t total) {
    if (done % step == 0 || done == total) std::cerr << "weft scenario: " << done << "/" << total << " operations\n";
  };
  auto played = scenario::play_scenario(*plan, play);
  log::flush();
  if (!played) {
    std::cerr << "weft scenario: " << played.error() << '\n';
    return 1;
  }
  nlohmann::json summary = {{"seed", options.seed},
                            {"customers", options.customers},
                            {"operations", played->operations},
                            {"retries", played->retries},
                            {"activity", plan->counts}};
  std::cout << summary.dump() << std::endl;
  return 0;
}

int run_scenario_verify(const ScenarioVerifyOptions& options) {
  if (!check_url("--sandbox", options.sandbox_url) || !check_url("--hub", options.hub_url)) return 2;
  if (!std::isfinite(options.timeout_seconds) || options.timeout_seconds < 0 || options.timeout_seconds > 86400) {
    std::cerr << "--timeout: expected seconds between 0 and 86400, got " << options.timeout_seconds << '\n';
    return 2;
  }
  scenario::VerifyOptions verify;
  verify.sandbox_url = options.sandbox_url;
  verify.hub_url = options.hub_url;
  verify.ca_file = options.ca_file;
  verify.client_cert_file = options.client_cert;
  verify.client_key_file = options.client_key;
  verify.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_seconds * 1000));
  std::size_t polls = 0;
  verify.progress = [&polls](const std::string& line) {
    if (polls++ % 10 == 0) std::cerr << "weft scenario verify: " << line << '\n';
  };
  auto report = scenario::verify_scenario(verify);
  if (!report) {
    std::cerr << "weft scenario verify: " << report.error() << '\n';
    return 1;
  }
  std::cout << report->json.dump(2) << std::endl;
  return report->consistent ? 0 : 1;
}

}  // namespace weft::cli
