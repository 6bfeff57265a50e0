#include "events/backchannel_logout.h"

namespace gh::events {

nlohmann::json notice_json(const LogoutNotice& n) {
  return {{"uri", n.uri},
          {"client_id", n.client_id},
          {"organization_id", n.organization_id},
          {"sub", n.sub},
          {"sid", n.sid},
          {"jti", n.jti},
          {"sid_required", n.sid_required}};
}

Result<LogoutNotice> parse_notice(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  auto str = [&](const char* k) -> std::string {
    return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>()
                                                              : std::string();
  };
  const bool sid_required = j.is_object() && j.contains("sid_required") &&
                            j["sid_required"].is_boolean() && j["sid_required"].get<bool>();
  LogoutNotice n{str("uri"), str("client_id"), str("organization_id"), str("sub"), str("sid"),
                 str("jti"), sid_required};
  if (n.uri.empty() || n.client_id.empty() || n.jti.empty() || (n.sub.empty() && n.sid.empty())) {
    return fail(errc::ServerInternal, "Malformed back-channel logout delivery");
  }
  if (n.sid_required && n.sid.empty()) {
    return fail(errc::ServerInternal, "The receiver requires sid and the logout has none");
  }
  return n;
}

nlohmann::json logout_token_claims(const LogoutNotice& n, std::string_view issuer, int64_t now_s,
                                   int64_t ttl_s) {
  nlohmann::json c = {
      {"iss", issuer},
      {"aud", n.client_id},
      {"iat", now_s},
      {"exp", now_s + ttl_s},
      {"jti", n.jti},
      {"events", {{std::string(kBackchannelLogoutEvent), nlohmann::json::object()}}}};
  if (!n.sub.empty()) c["sub"] = n.sub;
  if (!n.sid.empty()) c["sid"] = n.sid;
  if (!n.organization_id.empty()) c["org_id"] = n.organization_id;
  return c;
}

}  // namespace gh::events
