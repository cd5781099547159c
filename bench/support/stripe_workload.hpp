#pragma once
// Realistic Stripe webhooks for the benchmarks: invoice events pretty-printed as Stripe sends
// them (about 2 KB), and the complete HTTP/1.1 request bytes, signed as Stripe signs them, so
// that sending one costs the load generator a single write.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weft::bench {

// The complete HTTP/1.1 request bytes of each webhook, ready to write.
struct Workload {
  std::vector<std::string> requests;
  std::size_t body_bytes = 0;  // total
};

// The fields of one invoice event that vary; the rest of the body is Stripe's shape.
struct InvoiceEvent {
  enum class Kind { created = 0, finalized = 1, paid = 2, payment_succeeded = 3 };
  std::string event_id;     // after "evt_"
  std::string invoice_id;   // after "in_"
  std::string customer_id;  // after "cus_"
  std::string charge_id;    // after "ch_3" (paid kinds only)
  std::string number;       // after "WEFT-"
  std::string region;       // emea, amer, apac
  std::int64_t created = 0;  // unix seconds
  int plan = 0;              // 0..2: Starter, Pro, Team
  int quantity = 1;
  Kind kind = Kind::paid;
};

// The JSON body, padded with trailing whitespace to at least `min_bytes`.
void render_invoice_event(const InvoiceEvent& event, std::size_t min_bytes, std::string& body);

// "POST /hooks/<connector>" with Stripe's headers and a Stripe-Signature for `body` signed
// with `secret` at `signed_at` (unix seconds).
std::string stripe_webhook_request(std::string_view host, std::string_view connector,
                                   std::string_view secret, std::int64_t signed_at,
                                   const std::string& body);

// `v` in base 36, zero-padded to `width` digits.
std::string base36(std::uint64_t v, std::size_t width);

}  // namespace weft::bench
