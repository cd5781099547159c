// Products and prices: just enough for invoice items and subscriptions to refer to.

#include <cctype>

#include "sandbox/stripe/stripe_api.hpp"
#include "sandbox/stripe/stripe_objects.hpp"

namespace weft::sandbox::stripe {

using nlohmann::json;

namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

Reply Api::create_product(Params& p) {
  json product = product_template();
  const std::string name = p.required_text("name");
  const auto id = p.text("id");
  const auto active = p.boolean("active");
  const auto metadata = p.metadata();
  for (const char* field_name : {"description", "statement_descriptor", "tax_code", "unit_label", "url"}) {
    if (auto value = p.text(field_name)) product[field_name] = *value;
  }
  if (auto shippable = p.boolean("shippable")) product["shippable"] = *shippable;
  if (auto images = p.array("images")) product["images"] = *images;
  if (p.failed()) return p.error();
  if (id && find("products", *id) != nullptr) {
    return invalid_state("Product already exists.", "resource_already_exists", "id");
  }
  product["id"] = id ? *id : new_id("prod");
  product["name"] = name;
  product["created"] = product["updated"] = now();
  product["livemode"] = context_.livemode;
  if (active) product["active"] = *active;
  if (metadata) merge_metadata(product["metadata"], *metadata);
  save("products", product);
  emit("product.created", product);
  return ok(product);
}

Reply Api::update_product(const std::string& id, Params& p) {
  json* product = find("products", id);
  if (product == nullptr) return no_such("product", id);
  json updated = *product;
  for (const char* field_name : {"name", "description", "statement_descriptor", "unit_label", "url", "default_price"}) {
    if (auto value = p.text(field_name)) updated[field_name] = *value;
  }
  if (auto active = p.boolean("active")) updated["active"] = *active;
  if (auto metadata = p.metadata()) merge_metadata(updated["metadata"], *metadata);
  if (p.failed()) return p.error();
  if (updated["default_price"].is_string() && find("prices", updated["default_price"]) == nullptr) {
    return no_such("price", updated["default_price"].get<std::string>(), "default_price");
  }
  updated["updated"] = now();
  const json previous = changed_fields(*product, updated);
  *product = updated;
  emit("product.updated", updated, previous);
  return ok(updated);
}

Reply Api::create_price(Params& p) {
  json price = price_template();
  const std::string currency = lower(p.required_text("currency"));
  const auto unit_amount = p.integer("unit_amount");
  const auto product_id = p.text("product");
  const auto product_data = p.object("product_data");
  const auto recurring = p.object("recurring");
  const auto metadata = p.metadata();
  const auto active = p.boolean("active");
  for (const char* field_name : {"nickname", "lookup_key"}) {
    if (auto value = p.text(field_name)) price[field_name] = *value;
  }
  if (auto behavior = p.one_of("tax_behavior", {"exclusive", "inclusive", "unspecified"})) price["tax_behavior"] = *behavior;
  if (p.failed()) return p.error();
  if (!unit_amount) return missing_param("unit_amount");
  if (*unit_amount < 0) return invalid_param("This value must be greater than or equal to 0.", "unit_amount");
  if (product_id.has_value() == product_data.has_value()) {
    return invalid_param("You must specify either `product` or `product_data` when creating a price.", "product");
  }
  if (product_id && find("products", *product_id) == nullptr) return no_such("product", *product_id, "product");
  if (recurring) {
    Params r(*recurring, {"interval", "interval_count", "usage_type", "aggregate_usage", "trial_period_days", "meter"},
             "recurring");
    const auto interval = r.one_of("interval", {"day", "week", "month", "year"});
    const auto count = r.integer("interval_count");
    if (r.failed()) return r.error();
    if (!interval) return missing_param("recurring[interval]");
    if (count && (*count < 1 || *count > 36)) {
      return invalid_param("Invalid recurring[interval_count]: must be between 1 and 36.", "recurring[interval_count]");
    }
    price["type"] = "recurring";
    price["recurring"] = {{"interval", *interval},
                          {"interval_count", count.value_or(1)},
                          {"meter", nullptr},
                          {"usage_type", "licensed"},
                          {"trial_period_days", nullptr}};
  }
  if (product_data) {
    Params d(*product_data, {"name", "active", "metadata", "statement_descriptor", "unit_label", "tax_code"},
             "product_data");
    const std::string name = d.required_text("name");
    const auto product_metadata = d.metadata();
    if (d.failed()) return d.error();
    json product = product_template();
    product["id"] = new_id("prod");
    product["name"] = name;
    product["created"] = product["updated"] = now();
    product["livemode"] = context_.livemode;
    if (product_metadata) merge_metadata(product["metadata"], *product_metadata);
    save("products", product);
    emit("product.created", product);
    price["product"] = product["id"];
  } else {
    price["product"] = *product_id;
  }
  price["id"] = new_id("price");
  price["currency"] = currency;
  price["unit_amount"] = *unit_amount;
  price["unit_amount_decimal"] = std::to_string(*unit_amount);
  price["created"] = now();
  price["livemode"] = context_.livemode;
  if (active) price["active"] = *active;
  if (metadata) merge_metadata(price["metadata"], *metadata);
  save("prices", price);
  emit("price.created", price);
  return ok(price);
}

Reply Api::update_price(const std::string& id, Params& p) {
  json* price = find("prices", id);
  if (price == nullptr) return no_such("price", id);
  json updated = *price;
  for (const char* field_name : {"nickname", "lookup_key"}) {
    if (auto value = p.text(field_name)) updated[field_name] = *value;
  }
  if (auto active = p.boolean("active")) updated["active"] = *active;
  if (auto metadata = p.metadata()) merge_metadata(updated["metadata"], *metadata);
  if (p.failed()) return p.error();
  const json previous = changed_fields(*price, updated);
  *price = updated;
  emit("price.updated", updated, previous);
  return ok(updated);
}

}  // namespace weft::sandbox::stripe
