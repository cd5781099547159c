#include "weft/connector.hpp"

namespace weft {

const char* to_string(VerifyErrc code) {
  switch (code) {
    case VerifyErrc::missing_signature: return "missing_signature";
    case VerifyErrc::malformed_signature: return "malformed_signature";
    case VerifyErrc::bad_signature: return "bad_signature";
    case VerifyErrc::stale_timestamp: return "stale_timestamp";
  }
  return "unknown";
}

const char* to_string(PayloadErrc code) {
  switch (code) {
    case PayloadErrc::malformed_json: return "malformed_json";
    case PayloadErrc::missing_field: return "missing_field";
    case PayloadErrc::wrong_type: return "wrong_type";
  }
  return "unknown";
}

}  // namespace weft
