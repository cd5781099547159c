#pragma once
// NetSuite's backfill for one record type: SuiteQL (the connector's suiteql action) lists the
// records modified at or after the watermark, oldest first, and each is then read with
// get_record (expandSubResources) — the REST record the SuiteScript relay sends, which
// SuiteQL's columns are not (references without refName, booleans as T/F) — and becomes the
// relay's envelope (relayed_envelope.hpp) with the same event id.
//
// Paging is by key, not offset: a record edited while a round reads moves to the end of
// "ORDER BY lastmodifieddate, id", and an offset would then skip the row that slid into its
// place. So each SuiteQL page is a new query from the last row read (T, id):
//   first:  lastmodifieddate >= <watermark>               ORDER BY lastmodifieddate, id
//   then:   lastmodifieddate =  T AND id > <id>           ORDER BY id   (the rest of second T)
//   then:   lastmodifieddate >  T                         ORDER BY lastmodifieddate, id
// Times go through TO_CHAR / TO_TIMESTAMP('…', 'YYYY-MM-DD HH24:MI:SS'): SuiteQL writes plain
// dates in the user's date preference, and the cursor keeps NetSuite's own text, so it is
// compared in the same time zone it was read in.
//
// The cursor (the T of each page's last row) is saved once that page's records are
// committed; the next round starts at it again (>=), so records of that second are re-read
// and dropped as duplicates.

#include "pollers/poll_source.hpp"

namespace weft::pollers {

class NetSuiteChangesSource final : public PollSource {
 public:
  // `record_type`: the REST record name (customer); `first_look_back_s`: how far back a
  // never-polled connector starts.
  NetSuiteChangesSource(std::string connector, std::string record_type,
                        std::int64_t first_look_back_s);

  nlohmann::json first_input(const std::optional<std::string>& cursor,
                             std::int64_t now_s) const override;
  Result<PageRead, std::string> read(const nlohmann::json& input, const nlohmann::json& output,
                                     nlohmann::json& round) const override;

  static constexpr int kPageSize = 100;  // records per page, each then read on its own

 private:
  nlohmann::json query(const std::string& where, const std::string& order) const;
  Result<PageRead, std::string> read_ids(const nlohmann::json& output, nlohmann::json& round) const;
  Result<PageRead, std::string> read_record(const nlohmann::json& output, nlohmann::json& round) const;
  nlohmann::json get_input(const nlohmann::json& id) const;
  nlohmann::json continuation(const nlohmann::json& then) const;

  std::string record_type_;
  std::string table_;  // SuiteQL's name: the record type in lower case
};

}  // namespace weft::pollers
