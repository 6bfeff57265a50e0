// Pushed authorization requests (RFC 9126): the push is authenticated and validated like
// /authorize, the request_uri works once, expires, is bound to its client, carries the pushed
// parameters only, and an application can require it.
#include "oauth/pushed_authorization.h"
#include "core/encoding.h"
#include "oauth/front_channel.h"
#include "oauth_fixture.h"
#include "session_fixture.h"

namespace gh::oauth::testing {
namespace {

class PushedAuthorization : public OAuthTest {
 protected:
  PushedAuthorization()
      : sessions_(*store_, clock_, random_),
        fc_(FrontChannelOptions{.store = *store_,
                                .sessions = sessions_.lookup(),
                                .public_url = "https://id.example/",
                                .clock = clock_,
                                .random = random_}) {
    web_ = make_client({{"name", "web"}, {"redirect_uris", {kRedirect}}});
    other_ = make_client({{"name", "other"}, {"redirect_uris", {kRedirect}}});
  }
  std::string request_body(const std::string& state = "pushed-state") {
    return "response_type=code&redirect_uri=" + percent_encode(kRedirect) +
           "&scope=openid&state=" + state + "&code_challenge=" + kChallenge +
           "&code_challenge_method=S256";
  }
  http::Response push(const Client& c, const std::string& b) {
    return pushed_authorization_endpoint(*provider_, env_,
                                         form_request(b, c.app.client_id, c.secret));
  }
  std::string pushed_uri(const Client& c, const std::string& state = "pushed-state") {
    auto res = push(c, request_body(state));
    EXPECT_EQ(res.status, 201) << res.body;
    return body(res)["request_uri"];
  }
  http::Response authorize(const std::string& query) {
    http::Request req;
    req.method = "GET";
    req.query = query;
    req.request_id = "req";
    return authorize_endpoint(fc_, env_, fc_.environment_issuer(env_), req);
  }
  http::Response authorize_pushed(const Client& c, const std::string& uri) {
    return authorize("client_id=" + c.app.client_id + "&request_uri=" + percent_encode(uri));
  }
  // The pending login request a 303 to hosted login names, as stored.
  std::optional<PendingParams> pending_of(const http::Response& res) {
    const auto loc = header(res, "Location");
    const auto at = loc.find("request=");
    if (at == std::string::npos) return std::nullopt;
    auto id = percent_decode(loc.substr(at + 8), false);
    auto row = store_->read<store::PendingAuthorization>([&](store::Repositories& r) {
      return r.oauth_grants().get_pending(env_.id, *id, clock_.now_ms());
    });
    if (!row) return std::nullopt;
    return PendingParams::from_json(row->params);
  }
  SessionFixture sessions_;
  FrontChannel fc_;
  Client web_, other_;
};

TEST_F(PushedAuthorization, PushThenAuthorizeOnceWithThePushedParameters) {
  auto res = push(web_, request_body());
  ASSERT_EQ(res.status, 201) << res.body;
  EXPECT_EQ(header(res, "Cache-Control"), "no-store");
  EXPECT_EQ(body(res)["expires_in"], kPushedRequestTtlS);
  const std::string uri = body(res)["request_uri"];
  EXPECT_EQ(uri.rfind("urn:ietf:params:oauth:request_uri:", 0), 0u);
  // Parameters on the front channel besides client_id and request_uri are ignored (§4).
  auto first = authorize("client_id=" + web_.app.client_id + "&request_uri=" + percent_encode(uri) +
                         "&state=front-channel");
  ASSERT_EQ(first.status, 303) << first.body;
  auto pending = pending_of(first);
  ASSERT_TRUE(pending) << header(first, "Location");
  EXPECT_EQ(pending->request.state, "pushed-state");
  EXPECT_EQ(pending->request.redirect_uri, kRedirect);
  // Single use.
  EXPECT_EQ(authorize_pushed(web_, uri).status, 400);
}

TEST_F(PushedAuthorization, BoundToItsClientAndShortLived) {
  const auto uri = pushed_uri(web_);
  EXPECT_EQ(authorize_pushed(other_, uri).status, 400);
  // Another client's attempt did not consume it.
  EXPECT_EQ(authorize_pushed(web_, uri).status, 303);
  const auto late = pushed_uri(web_);
  clock_.advance(std::chrono::seconds(kPushedRequestTtlS));
  EXPECT_EQ(authorize_pushed(web_, late).status, 400);
  EXPECT_EQ(authorize_pushed(web_, "urn:ietf:params:oauth:request_uri:made-up").status, 400);
  EXPECT_EQ(authorize_pushed(web_, "https://elsewhere.example/request").status, 400);
}

TEST_F(PushedAuthorization, ThePushIsAuthenticatedAndValidated) {
  Client wrong = web_;
  wrong.secret = "gh_cs_wrong_secret";
  EXPECT_EQ(body(push(wrong, request_body()))["error"], "invalid_client");
  auto bad_redirect =
      push(web_, "response_type=code&redirect_uri=" + percent_encode("https://evil.example/cb") +
                     "&scope=openid&code_challenge=" + kChallenge + "&code_challenge_method=S256");
  EXPECT_EQ(bad_redirect.status, 400);
  EXPECT_EQ(body(bad_redirect)["error"], "invalid_request");
  auto no_pkce =
      push(web_, "response_type=code&redirect_uri=" + percent_encode(kRedirect) + "&scope=openid");
  EXPECT_EQ(no_pkce.status, 400);
  auto nested =
      push(web_, request_body() + "&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ax");
  EXPECT_EQ(body(nested)["error"], "invalid_request");
  auto other_id = push(web_, request_body() + "&client_id=" + other_.app.client_id);
  EXPECT_EQ(body(other_id)["error"], "invalid_request");
}

TEST_F(PushedAuthorization, AnApplicationCanRequireIt) {
  auto strict = make_client({{"name", "strict"},
                             {"redirect_uris", {kRedirect}},
                             {"require_pushed_authorization_requests", true}});
  auto direct = authorize("client_id=" + strict.app.client_id + "&" + request_body());
  ASSERT_EQ(direct.status, 303);
  EXPECT_EQ(header(direct, "Location").rfind(kRedirect, 0), 0u);
  EXPECT_NE(header(direct, "Location").find("error=invalid_request"), std::string::npos);
  auto via_par = authorize_pushed(strict, pushed_uri(strict));
  ASSERT_EQ(via_par.status, 303);
  EXPECT_NE(header(via_par, "Location").find("/login?request="), std::string::npos);
  auto doc = provider_->discovery(env_);
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["pushed_authorization_request_endpoint"],
            signer_.issuer_url(env_, "") + "/oauth2/par");
}

}  // namespace
}  // namespace gh::oauth::testing
