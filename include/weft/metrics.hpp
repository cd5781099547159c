#pragma once
// Metrics in Prometheus' text exposition format. Written here rather than taken from a
// library because Debian 12 ships no Prometheus client for C++; the format is small.
//
// Families are created at start-up (registry methods take a lock); the hot path holds the
// returned references, whose updates are lock-free atomics.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace weft::metrics {

using LabelValues = std::vector<std::string>;

class Counter {
 public:
  void inc(double by = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double by);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative count of observations <= bounds()[i].
  std::uint64_t cumulative(std::size_t i) const;
  // Estimated quantile (linear within a bucket), as Prometheus' histogram_quantile does.
  double quantile(double q) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bucket, +Inf last
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// Bucket layouts.
std::vector<double> latency_buckets();     // 100 µs … 60 s, seconds
std::vector<double> batch_size_buckets();  // 1 … 4096

template <class M>
class Family;

// One counter's or gauge's current value, for code in the hub that reads its own metrics (the
// console's overview) without rendering and parsing text.
struct Value {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Family<Counter>& counter(const std::string& name, const std::string& help,
                           std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help,
                       std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               std::vector<std::string> label_names,
                               std::vector<double> upper_bounds);

  // The whole registry in text format 0.0.4.
  std::string render() const;
  // Every counter and gauge child with its current value (histograms are left out).
  std::vector<Value> values() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A metric name with a fixed set of label names; one child per set of label values.
template <class M>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds = {})
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)),
        bounds_(std::move(bounds)) {}

  // The child for these label values (created on first use). The reference stays valid for
  // the registry's lifetime.
  M& with(const LabelValues& values);
  M& get() { return with({}); }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Snapshot of the children, for rendering.
  std::vector<std::pair<LabelValues, const M*>> children() const;

 private:
  std::string name_, help_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<LabelValues, std::unique_ptr<M>> children_;
};

}  // namespace weft::metrics
