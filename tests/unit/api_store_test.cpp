// ApiStore's contract, run on the memory and the SQLite store: keys (hashed, unique active
// names, revoke by id or name), idempotent responses (claim, complete, release, a dead claim
// taken over) and the audit log (appended with key changes, filtered, append-only).

#include "weft/api_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "api/api_keys.hpp"
#include "store/memory/memory_api_store.hpp"
#include "support/process.hpp"
#include "unit/expect_ok.hpp"
#include "weft/workflow_store.hpp"

namespace weft {
namespace {

using test::TempDir;

enum class Backend { memory, sqlite };

ApiKeyRecord key_record(const std::string& id, const std::string& name, const std::string& secret) {
  return ApiKeyRecord{id, name, "finance-ops", api::hash_api_key(secret), 1000, 0};
}

AuditRecord audit(const std::string& action, const std::string& target = "",
                  std::int64_t at = 2000) {
  return AuditRecord{0, at, "cli:test", action, target, "null", "null", ""};
}

class ApiStoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::memory) {
      store_ = std::make_unique<MemoryApiStore>();
      return;
    }
    auto storage = open_storage("sqlite:" + (dir_ / "weft.db").string());
    ASSERT_TRUE(storage.ok()) << storage.error().message;
    store_ = std::move(storage->api);
  }
  ApiStore& store() { return *store_; }

  TempDir dir_{"weft-api-store"};
  ApiStorePtr store_;
};

TEST_P(ApiStoreContract, AKeyIsFoundByItsHashAndItsCreationIsAudited) {
  ok(store().create_key(key_record("key_1", "alice", "secret-a"), audit("key.create", "key_1")));
  auto found = ok(store().find_key_by_hash(api::hash_api_key("secret-a")));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "alice");
  EXPECT_TRUE(found->active());
  EXPECT_FALSE(ok(store().find_key_by_hash(api::hash_api_key("secret-b"))).has_value());
  const auto log = ok(store().query_audit({}));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].action, "key.create");
  EXPECT_EQ(log[0].target, "key_1");
  EXPECT_GT(log[0].seq, 0);
}

TEST_P(ApiStoreContract, AnActiveNameIsUniqueAndARevokedOneFreesIt) {
  ok(store().create_key(key_record("key_1", "alice", "s1"), audit("key.create")));
  auto twice = store().create_key(key_record("key_2", "alice", "s2"), audit("key.create"));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, StoreErrc::conflict);
  EXPECT_EQ(ok(store().query_audit({})).size(), 1u);  // the refused creation left no trace

  auto revoked = ok(store().revoke_key("alice", audit("key.revoke", "", 3000)));
  ASSERT_TRUE(revoked.has_value());
  EXPECT_EQ(revoked->id, "key_1");
  EXPECT_EQ(revoked->revoked_at_ms, 3000);
  EXPECT_FALSE(ok(store().find_key_by_hash(api::hash_api_key("s1")))->active());
  EXPECT_FALSE(
      ok(store().revoke_key("alice", audit("key.revoke"))).has_value());  // nothing active left

  ok(store().create_key(key_record("key_2", "alice", "s2"), audit("key.create")));
  ok(store().revoke_key("key_2", audit("key.revoke", "", 4000)));  // by id
  const auto keys = ok(store().list_keys());
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_FALSE(keys[0].active());
  EXPECT_FALSE(keys[1].active());

  const auto revocations =
      ok(store().query_audit(AuditQuery{{}, std::string("key.revoke"), {}, 0, 100}));
  ASSERT_EQ(revocations.size(), 2u);
  EXPECT_EQ(revocations[0].target, "key_1");
  EXPECT_NE(revocations[0].before_json.find("\"revoked_at_ms\":0"), std::string::npos);
  EXPECT_NE(revocations[0].after_json.find("\"revoked_at_ms\":3000"), std::string::npos);
  EXPECT_EQ(revocations[0].before_json.find("hash"), std::string::npos);  // never the hash
}

TEST_P(ApiStoreContract, AMalformedKeyIsRefused) {
  ApiKeyRecord bad = key_record("key_1", "alice", "s");
  bad.secret_hash = "not-a-hash";
  auto created = store().create_key(bad, audit("key.create"));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, StoreErrc::invalid_argument);
  EXPECT_TRUE(ok(store().list_keys()).empty());
}

TEST_P(ApiStoreContract, AnIdempotencyKeyIsClaimedOnceCompletedOrReleasedAndADeadClaimIsTakenOver) {
  const IdempotentResponse claim{"key_1", "idem-1", "hash-a", 0, "", 10'000};
  EXPECT_FALSE(ok(store().claim_idempotency(claim, 0)).has_value());
  auto in_progress = ok(store().claim_idempotency(claim, 0));
  ASSERT_TRUE(in_progress.has_value());
  EXPECT_EQ(in_progress->status, 0);

  ok(store().complete_idempotency("key_1", "idem-1", 201, R"({"ok":true})"));
  auto done = ok(store().claim_idempotency(claim, 99'999));  // a completed answer never goes stale
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->status, 201);
  EXPECT_EQ(done->body, R"({"ok":true})");
  EXPECT_EQ(done->request_hash, "hash-a");
  EXPECT_FALSE(ok(store().claim_idempotency({"key_2", "idem-1", "hash-a", 0, "", 10'000}, 0))
                   .has_value());  // per key

  EXPECT_FALSE(
      ok(store().claim_idempotency({"key_1", "idem-2", "h", 0, "", 10'000}, 0)).has_value());
  ok(store().release_idempotency("key_1", "idem-2"));
  EXPECT_FALSE(
      ok(store().claim_idempotency({"key_1", "idem-2", "h2", 0, "", 11'000}, 0)).has_value());
  // Its request died: after the stale mark another request takes the key over.
  EXPECT_TRUE(
      ok(store().claim_idempotency({"key_1", "idem-2", "h3", 0, "", 12'000}, 11'000)).has_value());
  EXPECT_FALSE(
      ok(store().claim_idempotency({"key_1", "idem-2", "h3", 0, "", 12'000}, 11'001)).has_value());
}

TEST_P(ApiStoreContract, TheAuditLogIsFilteredAndPagedBySeq) {
  for (int i = 0; i < 5; ++i) {
    ok(store().append_audit(AuditRecord{0, 1000 + i, i % 2 == 0 ? "alice" : "bob",
                                        "exception.retry", "exc_" + std::to_string(i), "{}", "{}",
                                        "corr"}));
  }
  const auto alice = ok(store().query_audit(AuditQuery{std::string("alice"), {}, {}, 0, 100}));
  ASSERT_EQ(alice.size(), 3u);
  const auto page = ok(store().query_audit(AuditQuery{{}, {}, {}, alice[0].seq, 2}));
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].target, "exc_1");
  EXPECT_EQ(ok(store().query_audit(AuditQuery{{}, {}, std::string("exc_4"), 0, 100})).size(), 1u);
}

SessionRecord session_record(const std::string& token, const std::string& key_id,
                             std::int64_t created, std::int64_t expires) {
  return SessionRecord{api::hash_api_key(token), key_id, created, expires};
}

TEST_P(ApiStoreContract, ASessionIsFoundWithItsKeyByItsHashAndEndsAtSignOut) {
  ok(store().create_key(key_record("key_1", "alice", "s1"), audit("key.create")));
  ok(store().create_session(session_record("token-a", "key_1", 10'000, 20'000)));
  auto found = ok(store().find_session(api::hash_api_key("token-a")));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->session.key_id, "key_1");
  EXPECT_EQ(found->session.expires_at_ms, 20'000);
  EXPECT_EQ(found->key.name, "alice");
  EXPECT_EQ(found->key.role, "finance-ops");
  EXPECT_FALSE(ok(store().find_session(api::hash_api_key("token-b"))).has_value());

  auto twice = store().create_session(session_record("token-a", "key_1", 10'000, 20'000));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, StoreErrc::conflict);

  EXPECT_TRUE(ok(store().delete_session(api::hash_api_key("token-a"))));
  EXPECT_FALSE(ok(store().find_session(api::hash_api_key("token-a"))).has_value());
  EXPECT_FALSE(ok(store().delete_session(api::hash_api_key("token-a"))));
}

TEST_P(ApiStoreContract, RevokingAKeyEndsItsSessionsOnly) {
  ok(store().create_key(key_record("key_1", "alice", "s1"), audit("key.create")));
  ok(store().create_key(key_record("key_2", "bob", "s2"), audit("key.create")));
  ok(store().create_session(session_record("a1", "key_1", 10'000, 20'000)));
  ok(store().create_session(session_record("a2", "key_1", 10'000, 20'000)));
  ok(store().create_session(session_record("b1", "key_2", 10'000, 20'000)));
  ok(store().revoke_key("alice", audit("key.revoke", "", 11'000)));
  EXPECT_FALSE(ok(store().find_session(api::hash_api_key("a1"))).has_value());
  EXPECT_FALSE(ok(store().find_session(api::hash_api_key("a2"))).has_value());
  EXPECT_TRUE(ok(store().find_session(api::hash_api_key("b1"))).has_value());
}

TEST_P(ApiStoreContract, ANewSessionClearsExpiredOnes) {
  ok(store().create_key(key_record("key_1", "alice", "s1"), audit("key.create")));
  ok(store().create_session(session_record("old", "key_1", 1'000, 5'000)));
  ok(store().create_session(session_record("live", "key_1", 1'000, 50'000)));
  // Expired but still stored until the next sign-in: the caller compares expires_at_ms.
  EXPECT_TRUE(ok(store().find_session(api::hash_api_key("old"))).has_value());
  ok(store().create_session(session_record("new", "key_1", 5'000, 60'000)));
  EXPECT_FALSE(ok(store().find_session(api::hash_api_key("old"))).has_value());
  EXPECT_TRUE(ok(store().find_session(api::hash_api_key("live"))).has_value());
  EXPECT_TRUE(ok(store().find_session(api::hash_api_key("new"))).has_value());
}

TEST_P(ApiStoreContract, AMalformedSessionIsRefusedAndNothingIsStored) {
  ok(store().create_key(key_record("key_1", "alice", "s1"), audit("key.create")));
  SessionRecord no_hash = session_record("t", "key_1", 1'000, 2'000);
  no_hash.token_hash = "t";
  SessionRecord no_key = session_record("t", "", 1'000, 2'000);
  SessionRecord backwards = session_record("t", "key_1", 2'000, 2'000);
  for (const SessionRecord& bad : {no_hash, no_key, backwards}) {
    auto created = store().create_session(bad);
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.error().code, StoreErrc::invalid_argument);
  }
  EXPECT_FALSE(ok(store().find_session(api::hash_api_key("t"))).has_value());
}

INSTANTIATE_TEST_SUITE_P(AllStores, ApiStoreContract,
                         ::testing::Values(Backend::memory, Backend::sqlite),
                         [](const auto& param) {
                           return param.param == Backend::memory ? "Memory" : "Sqlite";
                         });

// The audit log refuses to change, whoever asks: the database itself says no.
TEST(SqliteAuditLog, IsAppendOnly) {
  TempDir dir("weft-audit");
  const std::string path = (dir / "weft.db").string();
  {
    auto storage = open_storage("sqlite:" + path);
    ASSERT_TRUE(storage.ok());
    ok(storage->api->append_audit(
        AuditRecord{0, 1, "alice", "approval.decide", "apr_1", "{}", "{}", ""}));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "UPDATE audit_log SET actor = 'mallory'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit_log", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto storage = open_storage("sqlite:" + path);
  ASSERT_TRUE(storage.ok());
  const auto log = ok(storage->api->query_audit({}));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].actor, "alice");
}

TEST(ApiKeys, AreShownOnceAndStoredAsTheirHash) {
  const api::NewApiKey k = api::make_api_key("alice", api::Role::finance_ops, 5);
  EXPECT_TRUE(api::looks_like_api_key(k.secret));
  EXPECT_EQ(k.record.secret_hash, api::hash_api_key(k.secret));
  EXPECT_EQ(k.record.secret_hash.size(), 64u);
  EXPECT_EQ(k.record.secret_hash.find(k.secret), std::string::npos);
  EXPECT_NE(api::make_api_key("alice", api::Role::finance_ops, 5).secret, k.secret);
  EXPECT_EQ(k.record.role, "finance-ops");
  EXPECT_FALSE(api::looks_like_api_key("weft_short"));
  EXPECT_TRUE(api::key_name_problem("ops.team@acme").empty());
  EXPECT_FALSE(api::key_name_problem("").empty());
  EXPECT_FALSE(api::key_name_problem("two words").empty());
  EXPECT_FALSE(api::key_name_problem(std::string(65, 'a')).empty());
}

}  // namespace
}  // namespace weft
