#include "pollers/salesforce_changes_source.hpp"

#include <algorithm>

#include "connectors/salesforce/salesforce_webhook.hpp"
#include "core/time_format.hpp"
#include "pollers/relayed_envelope.hpp"

namespace weft::pollers {

namespace {

using nlohmann::json;

std::string text_at(const json& row, const std::string& key) {
  const auto it = row.find(key);
  return it != row.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::vector<std::string> SalesforceChangesSource::default_fields(const std::string& sobject) {
  if (sobject == "Account") {
    return {"Name", "Phone", "AccountNumber", "Type", "Website"};
  }
  if (sobject == "Opportunity") {
    return {"AccountId", "Name", "Amount", "CloseDate", "StageName", "IsWon", "IsClosed",
            "Type", "OwnerId"};
  }
  return {};
}

SalesforceChangesSource::SalesforceChangesSource(std::string connector, std::string sobject,
                                                 std::int64_t first_look_back_s,
                                                 std::vector<std::string> fields)
    : PollSource(std::move(connector), "query", sobject, first_look_back_s), sobject_(std::move(sobject)) {
  if (fields.empty()) fields = default_fields(sobject_);
  select_ = "Id, CreatedDate, " + std::string(connectors::salesforce::kVersionField);
  for (const auto& f : fields) select_ += ", " + f;
}

json SalesforceChangesSource::first_input(const std::optional<std::string>& cursor,
                                          std::int64_t now_s) const {
  // A cursor this build did not write (hand-edited) restarts from the look-back.
  std::optional<std::int64_t> since_ms = cursor ? parse_iso8601_ms(*cursor) : std::nullopt;
  if (!since_ms) since_ms = (now_s - first_look_back_s()) * 1000;
  const std::string stamp(connectors::salesforce::kVersionField);
  // SOQL wants datetimes unquoted; format_iso8601_ms writes 2024-05-01T10:00:00.000Z.
  return {{"soql", "SELECT " + select_ + " FROM " + sobject_ + " WHERE " + stamp +
                       " >= " + format_iso8601_ms(*since_ms) + " ORDER BY " + stamp + ", Id"}};
}

Result<PageRead, std::string> SalesforceChangesSource::read(const json& /*input*/,
                                                            const json& output,
                                                            json& /*round*/) const {
  if (!output.is_object() || !output.contains("records") || !output["records"].is_array()) {
    return fail(std::string("query answered without a records array"));
  }
  const std::string stamp_field(connectors::salesforce::kVersionField);
  PageRead page;
  std::optional<std::int64_t> last_ms;
  for (const auto& row : output["records"]) {
    const std::string id = row.is_object() ? text_at(row, "Id") : std::string();
    const std::string stamp = row.is_object() ? text_at(row, stamp_field) : std::string();
    if (id.empty() || stamp.empty()) {
      return fail("query returned a row without Id and " + stamp_field + ": " + row.dump());
    }
    auto envelope = relayed_envelope(
        PolledRecord{sobject_, id, text_at(row, "CreatedDate"), stamp, json(), row, {}});  // ms stamps: no fingerprint
    if (!envelope) return fail(std::move(envelope).error());
    page.bodies.push_back(envelope->dump());
    last_ms = parse_iso8601_ms(stamp);
  }
  if (last_ms) page.cursor = format_iso8601_ms(*last_ms);

  const json done = output.value("done", json(true));
  if (!done.is_boolean()) return fail(std::string("query answered with a done that is not a boolean"));
  if (!done.get<bool>()) {
    const json next = output.value("nextRecordsUrl", json());
    if (!next.is_string() || next.get<std::string>().empty()) {
      return fail(std::string("query answered done: false without a nextRecordsUrl"));
    }
    page.next_input = json{{"next_records_url", next}};
  }
  return page;
}

}  // namespace weft::pollers
