#pragma once
// How identifying attributes are normalised before rules compare them: two platforms spell the
// same company, domain or tax id differently ("ACME GmbH" / "Acme", "WWW.Acme.de" / "acme.de",
// "DE 123-456" / "de123456"), and a rule must see them as equal.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace weft::identity {

// Free-mail providers: a person's address there says nothing about their company.
const std::set<std::string, std::less<>>& default_free_mail_domains();

// The domain of an email address (or a bare domain or URL host), lower case, without "www.";
// nullopt when there is none or it is in `free_mail`.
std::optional<std::string> email_domain(std::string_view email, const std::set<std::string, std::less<>>& free_mail);

// Letters and digits only, upper case: "de 123.456-789" → "DE123456789". Empty when none.
std::string tax_id(std::string_view text);

// The words of a company or person name: lower case, ASCII letters and digits (other bytes,
// such as UTF-8 letters, are kept as they are), punctuation as spaces (but '&' and an apostrophe join: "AT&T" → "att"), legal-form words
// (GmbH, Inc, Ltd, LLC, AG, …) dropped. "ACME Widgets, Inc." → {"acme", "widgets"}.
std::vector<std::string> name_words(std::string_view name);
// The words joined by one space: what name similarity compares.
std::string normalised_name(std::string_view name);

}  // namespace weft::identity
