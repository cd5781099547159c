#include "pollers/netsuite_changes_source.hpp"

#include <algorithm>
#include <cctype>

#include "connectors/netsuite/netsuite_webhook.hpp"
#include "core/time_format.hpp"
#include "pollers/relayed_envelope.hpp"

namespace weft::pollers {

namespace {

using nlohmann::json;

constexpr const char* kFormat = "YYYY-MM-DD HH24:MI:SS";

// "2024-05-01 10:00:00", as TO_CHAR writes it with kFormat; checked strictly because it is
// written back into the next query.
bool is_suiteql_time(const std::string& text) {
  return text.size() == 19 && text[10] == ' ' &&
         parse_iso8601_ms(text.substr(0, 10) + "T" + text.substr(11) + "Z").has_value();
}

std::string suiteql_time(std::int64_t unix_s) {
  const std::string iso = format_iso8601_ms(unix_s * 1000);
  return iso.substr(0, 10) + " " + iso.substr(11, 8);
}

std::string timestamp(const std::string& at) {
  return "TO_TIMESTAMP('" + at + "', '" + kFormat + "')";
}

// A row's internal id: digits, as a string or an integer.
std::optional<std::string> internal_id(const json& value) {
  std::string text;
  if (value.is_string()) text = value.get<std::string>();
  else if (value.is_number_integer()) text = value.dump();  // a minus sign fails below
  if (text.empty() || text.size() > 20 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return text;
}

}  // namespace

NetSuiteChangesSource::NetSuiteChangesSource(std::string connector, std::string record_type,
                                             std::int64_t first_look_back_s)
    : PollSource(std::move(connector), "suiteql", record_type, first_look_back_s),
      record_type_(std::move(record_type)) {
  table_ = record_type_;
  for (auto& c : table_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

json NetSuiteChangesSource::query(const std::string& where, const std::string& order) const {
  return {{"q", "SELECT id, TO_CHAR(lastmodifieddate, '" + std::string(kFormat) +
                    "') AS modified FROM " + table_ + " WHERE " + where + " ORDER BY " + order},
          {"limit", kPageSize}};
}

json NetSuiteChangesSource::first_input(const std::optional<std::string>& cursor,
                                        std::int64_t now_s) const {
  // A cursor this build did not write (hand-edited) restarts from the look-back.
  const std::string since = cursor && is_suiteql_time(*cursor)
                                ? *cursor
                                : suiteql_time(now_s - first_look_back_s());
  return query("lastmodifieddate >= " + timestamp(since), "lastmodifieddate, id");
}

json NetSuiteChangesSource::continuation(const json& then) const {
  const std::string at = then["at"].get<std::string>();
  if (then["kind"] == "tie") {
    return query("lastmodifieddate = " + timestamp(at) + " AND id > " + then["id"].get<std::string>(),
                 "id");
  }
  return query("lastmodifieddate > " + timestamp(at), "lastmodifieddate, id");
}

json NetSuiteChangesSource::get_input(const json& id) const {
  return {{"record_type", record_type_}, {"id", id}, {"expandSubResources", true}};
}

Result<PageRead, std::string> NetSuiteChangesSource::read(const json& input, const json& output,
                                                          json& round) const {
  if (input.contains("q")) return read_ids(output, round);
  return read_record(output, round);
}

Result<PageRead, std::string> NetSuiteChangesSource::read_ids(const json& output,
                                                              json& round) const {
  if (!output.is_object() || !output.contains("items") || !output["items"].is_array()) {
    return fail(std::string("suiteql answered without an items array"));
  }
  if (round.is_null()) round = {{"current", {{"kind", "first"}}}};
  json ids = json::array();
  std::string last_at;
  for (const auto& row : output["items"]) {
    const auto id = row.is_object() ? internal_id(row.value("id", json())) : std::nullopt;
    const json modified = row.is_object() ? row.value("modified", json()) : json();
    if (!id || !modified.is_string() || !is_suiteql_time(modified.get<std::string>())) {
      return fail("suiteql returned a row without a digit id and a modified time (" +
                  std::string(kFormat) + "): " + row.dump());
    }
    ids.push_back(*id);
    last_at = modified.get<std::string>();
  }
  const json more = output.value("hasMore", json(false));
  if (!more.is_boolean()) return fail(std::string("suiteql answered with a hasMore that is not a boolean"));

  // What follows this page's records: the rest of its last second, then what is newer.
  const json& current = round["current"];
  json then;
  if (!ids.empty() && more.get<bool>()) {
    then = {{"kind", "tie"}, {"at", last_at}, {"id", ids.back()}};
  } else if (current["kind"] == "tie") {
    then = {{"kind", "after"}, {"at", current["at"]}};
  }

  PageRead page;
  if (ids.empty()) {
    if (then.is_null()) return page;  // nothing newer: the round is over
    round["current"] = then;
    page.next_input = continuation(then);
    return page;
  }
  round["queue"] = ids;
  round["batch_at"] = last_at;
  round["then"] = then;
  page.next_input = get_input(ids[0]);
  page.next_action = "get_record";
  return page;
}

Result<PageRead, std::string> NetSuiteChangesSource::read_record(const json& output,
                                                                 json& round) const {
  if (!round.is_object() || !round.contains("queue") || round["queue"].empty()) {
    return fail(std::string("get_record answered outside a SuiteQL page"));
  }
  json& queue = round["queue"];
  const std::string wanted = queue[0].get<std::string>();
  const auto id = output.is_object() ? internal_id(output.value("id", json())) : std::nullopt;
  const json modified = output.is_object() ? output.value(connectors::netsuite::kVersionField, json())
                                           : json();
  if (id != wanted || !modified.is_string()) {
    return fail(record_type_ + " " + wanted + ": get_record answered without that record's id and " +
                std::string(connectors::netsuite::kVersionField));
  }
  const json created = output.value("dateCreated", json());
  const json external_id = output.value("externalId", json());
  auto envelope = relayed_envelope(PolledRecord{
      record_type_, wanted, created.is_string() ? created.get<std::string>() : std::string(),
      modified.get<std::string>(), external_id.is_string() ? external_id : json(), output,
      std::string(connectors::netsuite::kVersionField)});  // it has whole seconds: fingerprinted
  if (!envelope) return fail(std::move(envelope).error());

  PageRead page;
  page.bodies.push_back(envelope->dump());
  queue.erase(queue.begin());
  if (!queue.empty()) {
    page.next_input = get_input(queue[0]);
    return page;
  }
  // The page's records are read: its position may be saved, and the next query follows.
  page.cursor = round["batch_at"].get<std::string>();
  const json then = round["then"];
  if (!then.is_null()) {
    round["current"] = then;
    page.next_input = continuation(then);
    page.next_action = action();
  }
  return page;
}

}  // namespace weft::pollers
