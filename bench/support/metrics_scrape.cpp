#include "support/metrics_scrape.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace weft::bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

std::optional<SimpleResponse> http_get(std::uint16_t port, const std::string& target,
                                       std::chrono::milliseconds timeout) {
  net::io_context ioc(1);
  beast::tcp_stream stream(ioc);
  bhttp::request<bhttp::empty_body> request(bhttp::verb::get, target, 11);
  request.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
  request.keep_alive(false);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  std::optional<SimpleResponse> result;
  stream.expires_after(timeout);
  stream.async_connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
        if (ec) return;
        bhttp::async_write(stream, request, [&](beast::error_code wec, std::size_t) {
          if (wec) return;
          bhttp::async_read(stream, buffer, parser, [&](beast::error_code rec, std::size_t) {
            if (rec) return;
            result = SimpleResponse{static_cast<int>(parser.get().result_int()),
                                    std::move(parser.get().body())};
          });
        });
      });
  ioc.run();
  return result;
}

MetricsSample MetricsSample::parse(std::string_view text) {
  MetricsSample m;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    Series s;
    const std::string series = line.substr(0, space);
    s.value = std::strtod(line.c_str() + space + 1, nullptr);
    const std::size_t brace = series.find('{');
    s.name = series.substr(0, brace);
    if (brace != std::string::npos) {
      const std::size_t close = series.rfind('}');
      s.labels = series.substr(brace + 1, close == std::string::npos ? std::string::npos
                                                                     : close - brace - 1);
    }
    m.series_.push_back(std::move(s));
  }
  m.ok_ = true;
  return m;
}

MetricsSample MetricsSample::scrape(std::uint16_t port) {
  const auto response = http_get(port, "/metrics", std::chrono::seconds(10));
  if (!response || response->status != 200) return {};
  return parse(response->body);
}

double MetricsSample::sum(std::string_view name, const std::vector<std::string>& label_parts) const {
  double total = 0;
  for (const Series& s : series_) {
    if (s.name != name) continue;
    bool match = true;
    for (const std::string& part : label_parts) {
      if (s.labels.find(part) == std::string::npos) match = false;
    }
    if (match) total += s.value;
  }
  return total;
}

std::map<double, double> MetricsSample::buckets(std::string_view histogram) const {
  const std::string name = std::string(histogram) + "_bucket";
  std::map<double, double> out;
  for (const Series& s : series_) {
    if (s.name != name) continue;
    const std::size_t le = s.labels.find("le=\"");
    if (le == std::string::npos) continue;
    const std::string bound = s.labels.substr(le + 4, s.labels.find('"', le + 4) - le - 4);
    out[bound == "+Inf" ? HUGE_VAL : std::strtod(bound.c_str(), nullptr)] += s.value;
  }
  return out;
}

double histogram_quantile(const std::map<double, double>& before,
                          const std::map<double, double>& after, double q) {
  std::vector<std::pair<double, double>> delta;  // le, cumulative count
  for (const auto& [le, count] : after) {
    const auto it = before.find(le);
    delta.emplace_back(le, count - (it == before.end() ? 0 : it->second));
  }
  if (delta.empty() || delta.back().second <= 0) return 0;
  const double rank = q * delta.back().second;
  double lower = 0;
  double below = 0;
  for (const auto& [le, cumulative] : delta) {
    if (cumulative >= rank) {
      if (std::isinf(le)) return lower;
      const double in_bucket = cumulative - below;
      return in_bucket <= 0 ? le : lower + (le - lower) * (rank - below) / in_bucket;
    }
    lower = le;
    below = cumulative;
  }
  return lower;
}

double histogram_mean(const MetricsSample& before, const MetricsSample& after,
                      std::string_view histogram) {
  const std::string name(histogram);
  const double count = after.sum(name + "_count") - before.sum(name + "_count");
  if (count <= 0) return 0;
  return (after.sum(name + "_sum") - before.sum(name + "_sum")) / count;
}

}  // namespace weft::bench
