#include "sandbox/salesforce/salesforce_schema.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>

#include "core/time_format.hpp"

namespace weft::sandbox::salesforce {

namespace {

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

FieldSpec read_only(std::string name, FieldKind kind) {
  return FieldSpec{std::move(name), kind, false, false, {}, ""};
}
FieldSpec writable(std::string name, FieldKind kind, std::string label = "") {
  return FieldSpec{std::move(name), kind, true, false, {}, std::move(label)};
}
FieldSpec required(std::string name, FieldKind kind, std::string label) {
  return FieldSpec{std::move(name), kind, true, true, {}, std::move(label)};
}

// The fields every sObject has, around its own.
std::vector<FieldSpec> with_system_fields(std::vector<FieldSpec> own) {
  std::vector<FieldSpec> fields{read_only("Id", FieldKind::id), read_only("IsDeleted", FieldKind::boolean)};
  fields.insert(fields.end(), own.begin(), own.end());
  fields.push_back(writable("OwnerId", FieldKind::reference));
  fields.push_back(read_only("CreatedDate", FieldKind::datetime));
  fields.push_back(read_only("CreatedById", FieldKind::reference));
  fields.push_back(read_only("LastModifiedDate", FieldKind::datetime));
  fields.push_back(read_only("LastModifiedById", FieldKind::reference));
  fields.push_back(read_only("SystemModstamp", FieldKind::datetime));
  return fields;
}

struct Stage {
  const char* name;
  int probability;
  const char* forecast;
};
constexpr Stage kStages[] = {
    {"Prospecting", 10, "Pipeline"},          {"Qualification", 10, "Pipeline"},
    {"Needs Analysis", 20, "Pipeline"},       {"Value Proposition", 50, "Pipeline"},
    {"Id. Decision Makers", 60, "Pipeline"},  {"Perception Analysis", 70, "Pipeline"},
    {"Proposal/Price Quote", 75, "Pipeline"}, {"Negotiation/Review", 90, "Pipeline"},
    {"Closed Won", 100, "Closed"},            {"Closed Lost", 0, "Omitted"}};

std::vector<SObjectSpec> build() {
  FieldSpec stage = required("StageName", FieldKind::picklist, "Stage");
  for (const auto& s : kStages) stage.picklist.emplace_back(s.name);
  FieldSpec contract_status = writable("Status", FieldKind::picklist, "Status");
  contract_status.picklist = {"Draft", "In Approval Process", "Activated"};

  std::vector<SObjectSpec> out;
  out.push_back({"Account", "001",
                 with_system_fields({
                     required("Name", FieldKind::text, "Account Name"),
                     writable("Type", FieldKind::text), writable("ParentId", FieldKind::reference),
                     writable("AccountNumber", FieldKind::text), writable("BillingStreet", FieldKind::text),
                     writable("BillingCity", FieldKind::text), writable("BillingState", FieldKind::text),
                     writable("BillingPostalCode", FieldKind::text),
                     writable("BillingCountry", FieldKind::text), writable("Phone", FieldKind::text),
                     writable("Website", FieldKind::text), writable("Industry", FieldKind::text),
                     writable("AnnualRevenue", FieldKind::number),
                     writable("NumberOfEmployees", FieldKind::integer),
                     writable("Description", FieldKind::text)})});
  out.push_back({"Opportunity", "006",
                 with_system_fields({
                     writable("AccountId", FieldKind::reference, "Account ID"),
                     required("Name", FieldKind::text, "Name"), writable("Description", FieldKind::text),
                     stage, writable("Amount", FieldKind::number),
                     writable("Probability", FieldKind::number),
                     required("CloseDate", FieldKind::date, "Close Date"),
                     writable("Type", FieldKind::text), writable("NextStep", FieldKind::text),
                     writable("LeadSource", FieldKind::text), read_only("IsClosed", FieldKind::boolean),
                     read_only("IsWon", FieldKind::boolean), read_only("ForecastCategory", FieldKind::text),
                     writable("ForecastCategoryName", FieldKind::text),
                     writable("ContactId", FieldKind::reference)})});
  out.push_back({"Contract", "800",
                 with_system_fields({
                     required("AccountId", FieldKind::reference, "Account ID"), contract_status,
                     read_only("StatusCode", FieldKind::text), writable("StartDate", FieldKind::date),
                     read_only("EndDate", FieldKind::date), writable("ContractTerm", FieldKind::integer),
                     read_only("ContractNumber", FieldKind::text), writable("Description", FieldKind::text),
                     writable("SpecialTerms", FieldKind::text),
                     read_only("ActivatedDate", FieldKind::datetime)})});
  out.push_back({"Contact", "003",
                 with_system_fields({
                     writable("AccountId", FieldKind::reference, "Account ID"),
                     required("LastName", FieldKind::text, "Last Name"),
                     writable("FirstName", FieldKind::text), read_only("Name", FieldKind::text),
                     writable("Email", FieldKind::text), writable("Phone", FieldKind::text),
                     writable("Title", FieldKind::text), writable("Department", FieldKind::text),
                     writable("MailingCity", FieldKind::text), writable("MailingCountry", FieldKind::text),
                     writable("Description", FieldKind::text)})});
  return out;
}

constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kPod = "Wf000";  // after the key prefix: marks ids this sandbox issued

std::string checksum(std::string_view id15) {
  constexpr std::string_view kSuffix = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  std::string out;
  for (int chunk = 0; chunk < 3; ++chunk) {
    int bits = 0;
    for (int i = 0; i < 5; ++i) {
      const char c = id15[static_cast<std::size_t>(chunk * 5 + i)];
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    out += kSuffix[static_cast<std::size_t>(bits)];
  }
  return out;
}

bool is_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return parse_iso8601_ms(std::string(text) + "T00:00:00Z").has_value();
}

std::optional<double> number_of(const Json& value) {
  if (value.is_number()) return value.get<double>();
  if (!value.is_string()) return std::nullopt;
  const std::string text = value.get<std::string>();
  double out = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return out;
}

const char* kind_name(FieldKind kind) {
  switch (kind) {
    case FieldKind::number: return "double";
    case FieldKind::integer: return "int";
    case FieldKind::boolean: return "boolean";
    case FieldKind::date: return "date";
    case FieldKind::datetime: return "datetime";
    default: return "String";
  }
}

std::string value_text(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

ValueError parser_error(FieldKind kind, const Json& value) {
  const char* token = value.is_string() ? "VALUE_STRING" : value.is_boolean() ? (value.get<bool>() ? "VALUE_TRUE" : "VALUE_FALSE")
                      : value.is_number() ? "VALUE_NUMBER_INT" : value.is_array() ? "START_ARRAY" : "START_OBJECT";
  return {"JSON_PARSER_ERROR", std::string("Cannot deserialize instance of ") + kind_name(kind) +
                                   " from " + token + " value " + value_text(value) +
                                   " or request may be missing a required field"};
}

// "2024-05-31" plus `months` months, minus one day (a contract's end date).
std::optional<std::string> end_date(std::string_view start, std::int64_t months) {
  int y = 0, m = 0, d = 0;
  if (std::sscanf(std::string(start).c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) return std::nullopt;
  const std::int64_t total = static_cast<std::int64_t>(y) * 12 + (m - 1) + months;
  y = static_cast<int>(total / 12);
  m = static_cast<int>(total % 12) + 1;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT00:00:00Z", y, m, 1);
  auto ms = parse_iso8601_ms(buf);
  if (!ms) return std::nullopt;
  *ms += (static_cast<std::int64_t>(d) - 2) * 86'400'000;  // day d, minus one
  return format_iso8601_ms(*ms).substr(0, 10);
}

}  // namespace

const FieldSpec* SObjectSpec::field(std::string_view wanted) const {
  for (const auto& f : fields) {
    if (iequal(f.name, wanted)) return &f;
  }
  return nullptr;
}

const std::vector<SObjectSpec>& sobjects() {
  static const std::vector<SObjectSpec> all = build();
  return all;
}

const SObjectSpec* find_sobject(std::string_view name) {
  for (const auto& o : sobjects()) {
    if (iequal(o.name, name)) return &o;
  }
  return nullptr;
}

const SObjectSpec* sobject_for_id(std::string_view id) {
  for (const auto& o : sobjects()) {
    if (id.starts_with(o.key_prefix)) return &o;
  }
  return nullptr;
}

bool is_custom_field(std::string_view name) {
  if (name.size() <= 3 || !name.ends_with("__c")) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  }) && std::isalpha(static_cast<unsigned char>(name[0]));
}

std::string make_id(std::string_view key_prefix, std::int64_t counter) {
  std::string digits(7, '0');
  for (int i = 6; i >= 0 && counter > 0; --i) {
    digits[static_cast<std::size_t>(i)] = kBase62[static_cast<std::size_t>(counter % 62)];
    counter /= 62;
  }
  const std::string id = std::string(key_prefix) + std::string(kPod) + digits;
  return id + checksum(id);
}

std::optional<std::string> id15(std::string_view id) {
  if (id.size() != 15 && id.size() != 18) return std::nullopt;
  if (!std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); })) {
    return std::nullopt;
  }
  const std::string first(id.substr(0, 15));
  if (id.size() == 18 && !iequal(checksum(first), id.substr(15))) return std::nullopt;
  return first;
}

std::optional<std::string> id18(std::string_view id) {
  const auto short_id = id15(id);
  if (!short_id) return std::nullopt;
  return *short_id + checksum(*short_id);
}

std::optional<std::int64_t> id_counter(std::string_view id) {
  const auto short_id = id15(id);
  if (!short_id || short_id->substr(3, kPod.size()) != kPod) return std::nullopt;
  std::int64_t value = 0;
  for (const char c : short_id->substr(3 + kPod.size())) {
    const auto digit = kBase62.find(c);
    if (digit == std::string_view::npos) return std::nullopt;
    value = value * 62 + static_cast<std::int64_t>(digit);
  }
  return value;
}

std::optional<ValueError> check_value(const SObjectSpec& object, const FieldSpec& field, Json& value) {
  (void)object;
  if (value.is_null()) return std::nullopt;
  switch (field.kind) {
    case FieldKind::id:
    case FieldKind::text:
    case FieldKind::reference:
      if (value.is_number() || value.is_boolean()) value = value.dump();  // Salesforce coerces
      if (!value.is_string()) return parser_error(field.kind, value);
      return std::nullopt;
    case FieldKind::picklist:
      if (!value.is_string()) return parser_error(field.kind, value);
      if (std::find(field.picklist.begin(), field.picklist.end(), value.get<std::string>()) ==
          field.picklist.end()) {
        return ValueError{"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                          (field.label.empty() ? field.name : field.label) +
                              ": bad value for restricted picklist field: " + value.get<std::string>()};
      }
      return std::nullopt;
    case FieldKind::number:
    case FieldKind::integer: {
      const auto number = number_of(value);
      if (!number || (field.kind == FieldKind::integer && *number != static_cast<double>(static_cast<std::int64_t>(*number)))) {
        return parser_error(field.kind, value);
      }
      if (field.kind == FieldKind::integer) value = static_cast<std::int64_t>(*number);
      else value = *number;
      return std::nullopt;
    }
    case FieldKind::boolean:
      if (value.is_string() && (value == "true" || value == "false")) value = value == "true";
      if (!value.is_boolean()) return parser_error(field.kind, value);
      return std::nullopt;
    case FieldKind::date:
      if (!value.is_string() || !is_date(value.get<std::string>())) return parser_error(field.kind, value);
      return std::nullopt;
    case FieldKind::datetime: {
      const auto ms = value.is_string() ? parse_iso8601_ms(value.get<std::string>()) : std::nullopt;
      if (!ms) return parser_error(field.kind, value);
      value = salesforce_datetime(*ms);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

void derive_fields(const SObjectSpec& object, Json& record) {
  if (object.name == "Opportunity") {
    const std::string stage = record.value("StageName", Json("")).is_string() ? record.value("StageName", "") : "";
    const auto it = std::find_if(std::begin(kStages), std::end(kStages),
                                 [&](const Stage& s) { return stage == s.name; });
    const bool known = it != std::end(kStages);
    record["IsClosed"] = stage == "Closed Won" || stage == "Closed Lost";
    record["IsWon"] = stage == "Closed Won";
    record["ForecastCategory"] = known ? it->forecast : "Pipeline";
    record["ForecastCategoryName"] = known ? it->forecast : "Pipeline";
  } else if (object.name == "Contact") {
    const Json first = record.value("FirstName", Json(nullptr));
    const Json last = record.value("LastName", Json(nullptr));
    std::string name = first.is_string() ? first.get<std::string>() : "";
    if (last.is_string()) name += (name.empty() ? "" : " ") + last.get<std::string>();
    record["Name"] = name;
  } else if (object.name == "Contract") {
    const std::string status = record.value("Status", Json("Draft")).is_string() ? record.value("Status", "Draft") : "Draft";
    record["Status"] = status;
    record["StatusCode"] = status == "In Approval Process" ? "InApproval" : status;
    const Json start = record.value("StartDate", Json(nullptr));
    const Json term = record.value("ContractTerm", Json(nullptr));
    record["EndDate"] = nullptr;
    if (start.is_string() && term.is_number_integer()) {
      if (auto end = end_date(start.get<std::string>(), term.get<std::int64_t>())) record["EndDate"] = *end;
    }
  }
}

int stage_probability(std::string_view stage) {
  for (const auto& s : kStages) {
    if (stage == s.name) return s.probability;
  }
  return 0;
}

std::string salesforce_datetime(std::int64_t unix_ms) {
  const std::string iso = format_iso8601_ms(unix_ms);  // "2024-04-17T17:18:10.123Z"
  return iso.substr(0, 23) + "+0000";
}

}  // namespace weft::sandbox::salesforce
