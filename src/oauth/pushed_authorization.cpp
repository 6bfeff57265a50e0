#include "oauth/pushed_authorization.h"

#include <map>

#include "oauth/authorization_request.h"
#include "oauth/error_codes.h"
#include "oauth/provider.h"
#include "oauth/token_hash.h"

namespace gh::oauth {

namespace {

std::string pending_id(std::string_view reference) { return "par." + token_hash(reference); }

std::optional<std::string> param(const Params& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return std::nullopt;
}

Error request_uri_invalid() {
  return Error(errc::AuthorizeRequestUriInvalid,
               "The pushed authorization request is unknown, has expired, was already used or "
               "belongs to another application. Start the sign-in again from the application.");
}

}  // namespace

bool has_param(const Params& params, std::string_view name) {
  return param(params, name).has_value();
}

http::Response pushed_authorization_endpoint(Provider& p, const store::Environment& env,
                                             const http::Request& req) {
  auto form = FormParams::from_body(req);
  if (!form) return error_response(form.error());
  auto client = p.clients().authenticate(env, req, *form);
  if (!client) return error_response(client.error());
  const store::Application& app = client->app;
  auto params = parse_query(req.body);
  if (!params) return error_response(invalid_request("The body is not form-encoded"));
  // RFC 9126 §2.1: request_uri is never pushed; request objects are not supported here.
  if (has_param(*params, "request_uri")) {
    return error_response(invalid_request("request_uri cannot be pushed"));
  }
  if (has_param(*params, "request")) {
    return error_response(OAuthError{"request_not_supported", "Request objects are not supported"});
  }
  // The client authentication parameters are not part of the authorization request.
  Params request;
  for (const auto& [k, v] : *params) {
    if (k == "client_secret" || k == "client_assertion" || k == "client_assertion_type") continue;
    request.emplace_back(k, v);
  }
  if (auto named = param(request, "client_id")) {
    if (*named != app.client_id) {
      return error_response(invalid_request("client_id differs from the authenticated client"));
    }
  } else {
    request.emplace_back("client_id", app.client_id);
  }
  // The same validation as /authorize, resources resolved from the store.
  std::map<std::string, RequestableResource, std::less<>> resources;
  auto read = p.store().read<bool>([&](store::Repositories& r) -> Result<bool> {
    for (const auto& [k, v] : request) {
      if (k != "resource" || !is_valid_resource_indicator(v) || resources.count(v) ||
          resources.size() >= 16) {
        continue;
      }
      auto res = r.applications().find_resource(env.id, v);
      if (!res) {
        if (res.error().code != errc::ResourceNotFound) return fail(res.error());
        continue;
      }
      std::vector<std::string> names;
      for (const auto& perm : res->permissions) names.push_back(perm.name);
      resources.emplace(v, RequestableResource{v, std::move(names)});
    }
    return true;
  });
  if (!read) return error_response(server_error("The request could not be checked"));
  auto valid = validate_authorization_request(
      request, &app, [&](std::string_view id) -> std::optional<RequestableResource> {
        auto it = resources.find(id);
        if (it == resources.end()) return std::nullopt;
        return it->second;
      });
  if (!valid) {
    const auto& e = valid.error();
    return error_response(OAuthError{e.redirect ? e.error : "invalid_request", e.description, 400});
  }
  const std::string reference = p.issuer().new_id() + p.issuer().new_id();
  nlohmann::json pushed = nlohmann::json::array();
  for (const auto& [k, v] : request) pushed.push_back({k, v});
  const int64_t now = p.clock().now_ms();
  store::PendingAuthorization row;
  row.id = pending_id(reference);
  row.environment_id = env.id;
  row.application_id = app.id;
  row.client_id = app.client_id;
  row.params = nlohmann::json{{"pushed", pushed}}.dump();
  row.created_at_ms = now;
  row.expires_at_ms = now + kPushedRequestTtlS * 1000;
  auto stored = p.store().transact<store::PendingAuthorization>(
      [&](store::Repositories& r) { return r.oauth_grants().put_pending(row); });
  if (!stored) return error_response(server_error("The request could not be stored"));
  return no_store_json(201, {{"request_uri", std::string(kRequestUriPrefix) + reference},
                             {"expires_in", kPushedRequestTtlS}});
}

Result<Params> redeem_pushed_request(store::Store& store, const store::Environment& env,
                                     const Params& params, int64_t now_ms) {
  auto uri = param(params, "request_uri");
  auto client_id = param(params, "client_id");
  if (!uri || !client_id || uri->rfind(kRequestUriPrefix, 0) != 0 ||
      uri->size() == kRequestUriPrefix.size()) {
    return fail(request_uri_invalid());
  }
  const std::string id = pending_id(std::string_view(*uri).substr(kRequestUriPrefix.size()));
  std::optional<Params> out;
  auto done = store.transact<bool>([&](store::Repositories& r) -> Result<bool> {
    auto row = r.oauth_grants().get_pending(env.id, id, now_ms);
    if (!row) {
      if (row.error().code == errc::OAuthRequestNotFound) return false;
      return fail(row.error());
    }
    // Bound to the client that pushed it; another client's attempt does not consume it.
    if (row->client_id != *client_id) return false;
    auto deleted = r.oauth_grants().delete_pending(env.id, id);
    if (!deleted) return fail(deleted.error());
    if (!*deleted) return false;  // a concurrent use won
    auto j = nlohmann::json::parse(row->params, nullptr, false);
    if (!j.is_object() || !j.contains("pushed") || !j["pushed"].is_array()) return false;
    Params pushed;
    for (const auto& kv : j["pushed"]) {
      if (!kv.is_array() || kv.size() != 2 || !kv[0].is_string() || !kv[1].is_string()) {
        return false;
      }
      pushed.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
    }
    out = std::move(pushed);
    return true;
  });
  if (!done) return fail(done.error());
  if (!*done || !out) return fail(request_uri_invalid());
  return *out;
}

}  // namespace gh::oauth
