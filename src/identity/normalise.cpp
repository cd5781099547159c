#include "identity/normalise.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace weft::identity {

namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Legal forms across the markets the platforms serve. Dropped only as whole words, so "Coca"
// keeps its "co".
constexpr std::array<std::string_view, 30> kLegalForms{
    "ab",  "ag",   "as",      "bv",     "co",      "company", "corp", "corporation", "gmbh", "gbr",
    "inc", "incorporated", "kg", "kgaa", "limited", "llc", "llp",  "lp",          "ltd",  "mbh",
    "nv",  "oy",   "plc",     "pte",    "pty",     "sa",      "sarl", "sas",         "spa",  "srl"};

}  // namespace

const std::set<std::string, std::less<>>& default_free_mail_domains() {
  static const std::set<std::string, std::less<>> domains{
      "aol.com",     "gmail.com",   "googlemail.com", "gmx.de",      "gmx.net",     "hotmail.com",
      "icloud.com",  "live.com",    "mail.com",       "me.com",      "msn.com",     "outlook.com",
      "proton.me",   "protonmail.com", "t-online.de", "web.de",      "yahoo.com",   "yandex.ru",
      "zoho.com"};
  return domains;
}

std::optional<std::string> email_domain(std::string_view email, const std::set<std::string, std::less<>>& free_mail) {
  std::string_view rest = email;
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    rest.remove_prefix(at + 1);
  } else if (const auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    rest.remove_prefix(scheme + 3);  // a website: https://www.acme.de/contact
  }
  rest = rest.substr(0, rest.find_first_of("/:?# \t>"));
  std::string domain;
  for (char c : rest) domain.push_back(lower(c));
  while (domain.ends_with('.')) domain.pop_back();
  if (domain.starts_with("www.")) domain.erase(0, 4);
  if (domain.find('.') == std::string::npos || domain.starts_with('.')) return std::nullopt;
  if (free_mail.contains(domain)) return std::nullopt;
  return domain;
}

std::string tax_id(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

std::vector<std::string> name_words(std::string_view name) {
  std::vector<std::string> words;
  std::string word;
  const auto flush = [&] {
    if (!word.empty() && std::find(kLegalForms.begin(), kLegalForms.end(), word) == kLegalForms.end()) {
      words.push_back(word);
    }
    word.clear();
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto u = static_cast<unsigned char>(name[i]);
    if (u >= 0x80 || std::isalnum(u) != 0) {
      word.push_back(lower(name[i]));
    } else if (name[i] == '.' && !word.empty() && i + 1 < name.size() && name[i + 1] != ' ') {
      // "G.m.b.H", "S.A.": dots inside an abbreviation join its letters.
    } else if (name[i] == '&' || name[i] == '\'') {
      // Dropped inside a word: "AT&T" is "att", "O'Neil" "oneil".
    } else {
      flush();
    }
  }
  flush();
  return words;
}

std::string normalised_name(std::string_view name) {
  std::string out;
  for (const std::string& word : name_words(name)) {
    if (!out.empty()) out.push_back(' ');
    out += word;
  }
  return out;
}

}  // namespace weft::identity
