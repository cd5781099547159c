#include "weft/metrics.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <sstream>
#include <variant>

namespace weft::metrics {

namespace {

void atomic_add(std::atomic<double>& target, double by) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + by, std::memory_order_relaxed)) {
  }
}

std::string format_number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  std::ostringstream out;
  out.precision(10);
  out << v;
  return out.str();
}

std::string escape_label(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string label_set(const std::vector<std::string>& names, const LabelValues& values,
                      const std::string& extra = {}) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (!out.empty()) out += ',';
    out += names[i] + "=\"" + escape_label(values[i]) + "\"";
  }
  if (!extra.empty()) {
    if (!out.empty()) out += ',';
    out += extra;
  }
  return out.empty() ? std::string() : "{" + out + "}";
}

}  // namespace

void Counter::inc(double by) { atomic_add(value_, by); }
void Gauge::add(double by) { atomic_add(value_, by); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  assert(std::is_sorted(bounds_.begin(), bounds_.end()));
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
}

std::uint64_t Histogram::cumulative(std::size_t i) const {
  std::uint64_t total = 0;
  for (std::size_t b = 0; b <= i && b <= bounds_.size(); ++b) {
    total += buckets_[b].load(std::memory_order_relaxed);
  }
  return total;
}

double Histogram::quantile(double q) const {
  const std::uint64_t total = cumulative(bounds_.size());
  if (total == 0) return 0.0;
  const double rank = q * static_cast<double>(total);
  std::uint64_t below = 0;
  for (std::size_t b = 0; b < bounds_.size(); ++b) {
    const std::uint64_t in_bucket = buckets_[b].load(std::memory_order_relaxed);
    if (static_cast<double>(below + in_bucket) >= rank) {
      const double lower = b == 0 ? 0.0 : bounds_[b - 1];
      const double fraction =
          in_bucket == 0 ? 0.0 : (rank - static_cast<double>(below)) / static_cast<double>(in_bucket);
      return lower + (bounds_[b] - lower) * fraction;
    }
    below += in_bucket;
  }
  return bounds_.empty() ? 0.0 : bounds_.back();
}

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1.0,   2.5,    5.0,   10.0, 30.0,  60.0};
}

std::vector<double> batch_size_buckets() {
  return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
}

template <class M>
M& Family<M>::with(const LabelValues& values) {
  assert(values.size() == label_names_.size());
  std::lock_guard lock(mutex_);
  auto it = children_.find(values);
  if (it == children_.end()) {
    std::unique_ptr<M> child;
    if constexpr (std::is_same_v<M, Histogram>) {
      child = std::make_unique<Histogram>(bounds_);
    } else {
      child = std::make_unique<M>();
    }
    it = children_.emplace(values, std::move(child)).first;
  }
  return *it->second;
}

template <class M>
std::vector<std::pair<LabelValues, const M*>> Family<M>::children() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<LabelValues, const M*>> out;
  out.reserve(children_.size());
  for (const auto& [labels, child] : children_) out.emplace_back(labels, child.get());
  return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct Registry::Impl {
  mutable std::mutex mutex;
  // Families in registration order, so the exposition is stable.
  std::vector<std::variant<std::unique_ptr<Family<Counter>>, std::unique_ptr<Family<Gauge>>,
                           std::unique_ptr<Family<Histogram>>>>
      families;
  std::map<std::string, void*> by_name;

  template <class M>
  Family<M>& add(const std::string& name, const std::string& help,
                 std::vector<std::string> labels, std::vector<double> bounds = {}) {
    std::lock_guard lock(mutex);
    if (auto it = by_name.find(name); it != by_name.end()) {
      return *static_cast<Family<M>*>(it->second);
    }
    auto family = std::make_unique<Family<M>>(name, help, std::move(labels), std::move(bounds));
    Family<M>* raw = family.get();
    families.emplace_back(std::move(family));
    by_name.emplace(name, raw);
    return *raw;
  }
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {}
Registry::~Registry() = default;

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> label_names) {
  return impl_->add<Counter>(name, help, std::move(label_names));
}
Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               std::vector<std::string> label_names) {
  return impl_->add<Gauge>(name, help, std::move(label_names));
}
Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<std::string> label_names,
                                       std::vector<double> upper_bounds) {
  return impl_->add<Histogram>(name, help, std::move(label_names), std::move(upper_bounds));
}

std::vector<Value> Registry::values() const {
  std::vector<Value> out;
  std::lock_guard lock(impl_->mutex);
  for (const auto& entry : impl_->families) {
    std::visit(
        [&out](const auto& family) {
          using F = std::decay_t<decltype(*family)>;
          if constexpr (!std::is_same_v<F, Family<Histogram>>) {
            for (const auto& [labels, child] : family->children()) {
              Value v{family->name(), {}, child->value()};
              for (std::size_t i = 0; i < labels.size() && i < family->label_names().size(); ++i) {
                v.labels[family->label_names()[i]] = labels[i];
              }
              out.push_back(std::move(v));
            }
          }
        },
        entry);
  }
  return out;
}

std::string Registry::render() const {
  std::ostringstream out;
  std::lock_guard lock(impl_->mutex);
  for (const auto& entry : impl_->families) {
    std::visit(
        [&out](const auto& family) {
          using F = std::decay_t<decltype(*family)>;
          out << "# HELP " << family->name() << ' ' << family->help() << '\n';
          if constexpr (std::is_same_v<F, Family<Counter>>) {
            out << "# TYPE " << family->name() << " counter\n";
            for (const auto& [labels, c] : family->children()) {
              out << family->name() << label_set(family->label_names(), labels) << ' '
                  << format_number(c->value()) << '\n';
            }
          } else if constexpr (std::is_same_v<F, Family<Gauge>>) {
            out << "# TYPE " << family->name() << " gauge\n";
            for (const auto& [labels, g] : family->children()) {
              out << family->name() << label_set(family->label_names(), labels) << ' '
                  << format_number(g->value()) << '\n';
            }
          } else {
            out << "# TYPE " << family->name() << " histogram\n";
            for (const auto& [labels, h] : family->children()) {
              for (std::size_t i = 0; i <= h->bounds().size(); ++i) {
                const std::string le =
                    i < h->bounds().size() ? format_number(h->bounds()[i]) : "+Inf";
                out << family->name() << "_bucket"
                    << label_set(family->label_names(), labels, "le=\"" + le + "\"") << ' '
                    << h->cumulative(i) << '\n';
              }
              out << family->name() << "_sum" << label_set(family->label_names(), labels) << ' '
                  << format_number(h->sum()) << '\n';
              out << family->name() << "_count" << label_set(family->label_names(), labels)
                  << ' ' << h->count() << '\n';
            }
          }
        },
        entry);
  }
  return out.str();
}

}  // namespace weft::metrics
