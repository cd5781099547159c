#pragma once
// Salesforce's backfill for one sObject: SOQL (the connector's query action) over the records
// whose SystemModstamp is at or after the watermark, oldest first, following nextRecordsUrl.
// Each row becomes the Apex relay's envelope (relayed_envelope.hpp) with the same event id;
// the row's fields are the ones the relay sends and mappings/salesforce.yaml reads.
//
// A query's pages come from one server-side cursor (the query locator), fixed when the query
// ran, so a record edited while a round reads does not shift the rows still to come: the
// cursor (the last row's SystemModstamp) is saved after each page's events are committed, and
// the next round starts at it again (>=); rows of that instant are re-read and dropped as
// duplicates.
//
// The default field lists leave out what not every org has or the sandbox lacks:
// CurrencyIsoCode (multi-currency orgs only), BillingAddress, and the OpportunityLineItems
// subquery. A polled record therefore maps with currency, address and line items empty.

#include <vector>

#include "pollers/poll_source.hpp"

namespace weft::pollers {

class SalesforceChangesSource final : public PollSource {
 public:
  // `fields`: what to select besides Id, CreatedDate and SystemModstamp (empty: the
  // default for Account or Opportunity, see default_fields).
  SalesforceChangesSource(std::string connector, std::string sobject,
                          std::int64_t first_look_back_s, std::vector<std::string> fields = {});

  // The fields mappings/salesforce.yaml reads of `sobject` (none for other objects).
  static std::vector<std::string> default_fields(const std::string& sobject);

  nlohmann::json first_input(const std::optional<std::string>& cursor,
                             std::int64_t now_s) const override;
  Result<PageRead, std::string> read(const nlohmann::json& input, const nlohmann::json& output,
                                     nlohmann::json& round) const override;

 private:
  std::string sobject_;
  std::string select_;  // "Id, CreatedDate, SystemModstamp, …"
};

}  // namespace weft::pollers
