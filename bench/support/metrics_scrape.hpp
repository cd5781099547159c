#pragma once
// Reading the hub's ops endpoints: a plain GET with a timeout, and GET /metrics parsed into
// series a benchmark can subtract (before/after a phase).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::bench {

struct SimpleResponse {
  int status = 0;
  std::string body;
};

// GET http://127.0.0.1:port/target, Connection: close; nullopt on any failure or timeout.
std::optional<SimpleResponse> http_get(std::uint16_t port, const std::string& target,
                                       std::chrono::milliseconds timeout);

// One scrape of the Prometheus text format.
class MetricsSample {
 public:
  struct Series {
    std::string name;    // before '{'
    std::string labels;  // between the braces, as written
    double value = 0;
  };

  static MetricsSample parse(std::string_view text);
  // GET /metrics (10 s timeout); ok() is false when it failed.
  static MetricsSample scrape(std::uint16_t port);

  bool ok() const { return ok_; }
  // The sum over every series named `name` whose labels contain each of `label_parts`
  // (e.g. {"connector=\"stripe\"", "outcome=\"accepted\""}); 0 when there is none.
  double sum(std::string_view name, const std::vector<std::string>& label_parts = {}) const;
  // A histogram's cumulative buckets (le → count), summed over its label sets.
  std::map<double, double> buckets(std::string_view histogram) const;

 private:
  std::vector<Series> series_;
  bool ok_ = false;
};

// The q-quantile of the observations between two scrapes of a histogram, interpolated
// within a bucket as Prometheus' histogram_quantile does.
double histogram_quantile(const std::map<double, double>& before,
                          const std::map<double, double>& after, double q);

// Δsum / Δcount of a histogram between two scrapes (its mean); 0 without observations.
double histogram_mean(const MetricsSample& before, const MetricsSample& after,
                      std::string_view histogram);

}  // namespace weft::bench
