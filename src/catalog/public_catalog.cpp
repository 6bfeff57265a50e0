#include "catalog/public_catalog.h"

#include "core/encoding.h"

#include "catalog/claims.h"
#include "catalog/scim_schema.h"

namespace gh::catalog {

namespace {

std::string text_of(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "";
  return j.dump();
}

std::string list_of(const nlohmann::json& arr) {
  std::string out;
  if (!arr.is_array()) return out;
  for (const auto& v : arr) out += (out.empty() ? "" : ", ") + text_of(v);
  return out;
}

}  // namespace

nlohmann::json public_catalog_json(std::string_view environment, int64_t version,
                                   int64_t updated_at_ms, const Catalog& catalog) {
  nlohmann::json attrs = nlohmann::json::array();
  for (const auto& a : catalog.attributes) attrs.push_back(attribute_json(a));
  return {{"environment", std::string(environment)},
          {"version", version},
          {"updated_at_ms", updated_at_ms},
          {"attributes", attrs},
          {"claims_supported", claims_supported(catalog)},
          {"scim_schemas", [&] {
             std::vector<std::string> ids{std::string(kScimCoreUser)};
             for (auto& u : scim_extension_urns(catalog)) ids.push_back(u);
             return ids;
           }()}};
}

std::string public_catalog_html(const nlohmann::json& doc) {
  const std::string env = html_escape(text_of(doc.value("environment", nlohmann::json())));
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>Attribute catalog: " +
      env +
      "</title><style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}"
      "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem;"
      "vertical-align:top;text-align:left}code{font-size:.85em}.dep{color:#888}</style>"
      "</head><body>\n<h1>Attribute catalog: " +
      env + "</h1>\n<p>Version " + html_escape(text_of(doc.value("version", nlohmann::json()))) +
      ". Machine-readable: <a href=\"catalog.json\">catalog.json</a>.</p>\n"
      "<table><thead><tr><th>Attribute</th><th>Type</th><th>Rules</th><th>Purposes</th>"
      "<th>Sensitivity</th><th>OIDC claim</th><th>SAML (per IdP)</th><th>SCIM</th></tr></thead>"
      "<tbody>\n";
  for (const auto& a : doc.value("attributes", nlohmann::json::array())) {
    const bool dep = a.value("deprecated", false);
    std::string type = text_of(a["type"]);
    if (a.value("multi_valued", false)) type += " (multi-valued)";
    std::string rules;
    if (a.value("required", false)) rules += "required. ";
    if (!a.value("allowed_values", nlohmann::json::array()).empty()) {
      rules += "one of: " + list_of(a["allowed_values"]) + ". ";
    }
    if (!a.value("pattern", std::string()).empty())
      rules += "pattern: " + text_of(a["pattern"]) + ". ";
    rules += a.value("case_exact", false) ? "case-exact." : "case-insensitive.";
    std::string saml;
    for (const auto& s : a["sources"].value("saml", nlohmann::json::array())) {
      saml += "<div>" + html_escape(text_of(s["vendor"])) + ": <code>" +
              html_escape(text_of(s["name"])) + "</code></div>";
    }
    h += std::string("<tr") + (dep ? " class=\"dep\"" : "") + "><td><strong>" +
         html_escape(text_of(a["display_name"])) + "</strong><br><code>" +
         html_escape(text_of(a["name"])) + "</code><br>" + html_escape(text_of(a["description"]));
    if (dep) {
      h += "<br>Deprecated" +
           (a.contains("replaced_by")
                ? ": use <code>" + html_escape(text_of(a["replaced_by"])) + "</code>"
                : std::string()) +
           ".";
    }
    h += "</td><td>" + html_escape(type) + "</td><td>" + html_escape(rules) + "</td><td>" +
         html_escape(list_of(a["purposes"])) + "</td><td>" +
         html_escape(text_of(a["sensitivity"])) + "</td><td><code>" +
         html_escape(text_of(a["claim"])) + "</code></td><td>" + saml + "</td><td><code>" +
         html_escape(list_of(a["sources"].value("scim", nlohmann::json::array()))) +
         "</code></td></tr>\n";
  }
  h += "</tbody></table>\n</body></html>\n";
  return h;
}

}  // namespace gh::catalog
