#include "crypto/jose/header.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/encoding.h"
#include "crypto/error_codes.h"

namespace gh::jose {

namespace {

constexpr size_t kMaxHeaderBytes = 4096;

// Names defined by RFC 7515/7516/7518; RFC 7515 §4.1.11 forbids listing them in "crit".
constexpr std::array<std::string_view, 19> kRegistered = {
    "alg",  "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty",
    "crit", "enc", "zip", "epk", "apu", "apv", "iv",  "tag",      "p2s"};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view strip_application(std::string_view v) {
  constexpr std::string_view kPrefix = "application/";
  if (v.size() > kPrefix.size() && iequals(v.substr(0, kPrefix.size()), kPrefix)) {
    v.remove_prefix(kPrefix.size());
  }
  return v;
}

tl::unexpected<Error> malformed(std::string detail) {
  return fail(errc::JoseMalformed, {}, std::move(detail));
}

Result<std::string> optional_string(const nlohmann::json& h, const char* name) {
  auto it = h.find(name);
  if (it == h.end()) return std::string();
  if (!it->is_string()) return malformed(std::string("header ") + name + " is not a string");
  return it->get<std::string>();
}

}  // namespace

bool typ_matches(std::string_view actual, std::string_view expected) {
  return iequals(strip_application(actual), strip_application(expected));
}

Result<JoseHeader> parse_protected_header(std::string_view b64, const HeaderPolicy& policy) {
  if (b64.size() > kMaxHeaderBytes * 4 / 3 + 4) return malformed("header too large");
  auto bytes = base64url_decode(b64);
  if (!bytes) return malformed("header is not base64url");
  nlohmann::json h = nlohmann::json::parse(*bytes, nullptr, false);
  if (h.is_discarded() || !h.is_object()) return malformed("header is not a JSON object");

  JoseHeader out;
  auto alg = h.find("alg");
  if (alg == h.end() || !alg->is_string()) return malformed("header has no alg");
  out.alg_name = alg->get<std::string>();
  if (iequals(out.alg_name, "none")) {
    return fail(errc::JoseAlgNotAllowed, {}, "alg none is never accepted");
  }
  out.alg = parse_alg(out.alg_name);

  for (const char* name : {"jwk", "jku", "x5u", "x5c"}) {
    if (h.contains(name)) {
      return fail(errc::JoseHeaderForbidden, {},
                  std::string("header ") + name + " is not accepted");
    }
  }
  if (h.contains("zip")) return malformed("compressed JWE (zip) is not accepted");

  auto kid = optional_string(h, "kid");
  if (!kid) return fail(kid.error());
  out.kid = std::move(*kid);
  auto typ = optional_string(h, "typ");
  if (!typ) return fail(typ.error());
  out.typ = std::move(*typ);
  auto cty = optional_string(h, "cty");
  if (!cty) return fail(cty.error());
  out.cty = std::move(*cty);
  auto enc = optional_string(h, "enc");
  if (!enc) return fail(enc.error());
  out.enc = std::move(*enc);

  if (auto crit = h.find("crit"); crit != h.end()) {
    // RFC 7515 §4.1.11: a non-empty array of names that are present and not registered.
    if (!crit->is_array() || crit->empty()) return malformed("crit must be a non-empty array");
    for (const auto& c : *crit) {
      if (!c.is_string()) return malformed("crit entries must be strings");
      const auto& name = c.get_ref<const std::string&>();
      const bool registered =
          std::find(kRegistered.begin(), kRegistered.end(), name) != kRegistered.end();
      const bool understood =
          std::find(policy.understood_crit.begin(), policy.understood_crit.end(), name) !=
          policy.understood_crit.end();
      if (registered || !understood || name == "b64" || !h.contains(name)) {
        return fail(errc::JoseCritUnsupported, {}, "critical header " + name);
      }
      out.crit.push_back(name);
    }
  }

  if (!policy.typ.empty() && !typ_matches(out.typ, policy.typ)) {
    return fail(errc::JoseTypMismatch, {},
                "typ is \"" + out.typ + "\", expected \"" + std::string(policy.typ) + "\"");
  }
  out.raw = std::move(h);
  return out;
}

}  // namespace gh::jose
