#include "weft/workflow_store.hpp"

namespace weft {

const char* to_string(InstanceStatus status) {
  switch (status) {
    case InstanceStatus::running: return "running";
    case InstanceStatus::waiting: return "waiting";
    case InstanceStatus::completed: return "completed";
    case InstanceStatus::failed: return "failed";
    case InstanceStatus::discarded: return "discarded";
  }
  return "running";
}

std::optional<InstanceStatus> parse_instance_status(std::string_view text) {
  for (InstanceStatus s : {InstanceStatus::running, InstanceStatus::waiting, InstanceStatus::completed,
                           InstanceStatus::failed, InstanceStatus::discarded}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

const char* to_string(ExceptionStatus status) {
  switch (status) {
    case ExceptionStatus::open: return "open";
    case ExceptionStatus::retried: return "retried";
    case ExceptionStatus::discarded: return "discarded";
  }
  return "open";
}

}  // namespace weft
