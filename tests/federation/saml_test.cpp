// The SAML connection's own checks without a network: the XML guard (size, DTD, depth,
// comments, shape, algorithms) on hand-made documents, SAML times, the RelayState MAC and the
// AuthnRequest ID, SP key generation, and IdP metadata validation through the factory.
#include <gtest/gtest.h>

#include "catalog/default_catalog.h"
#include "core/clock.h"
#include "core/random.h"
#include "federation/error_codes.h"
#include "federation/saml/error_codes.h"
#include "federation/saml/idp_metadata.h"
#include "federation/saml/metadata_refresh.h"
#include "federation/saml/relay_state.h"
#include "federation/saml/saml_connection.h"
#include "federation/saml/sp_keys.h"
#include "federation/saml/xml_guard.h"
#include "tenancy/secrets.h"

namespace gh::federation::saml {
namespace {

const std::string kSig = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const std::string kSha256 = "http://www.w3.org/2001/04/xmlenc#sha256";

std::string signature(const std::string& ref, const std::string& method = kSig,
                      const std::string& digest = kSha256) {
  return "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>"
         "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
         "<ds:SignatureMethod Algorithm=\"" +
         method + "\"/><ds:Reference URI=\"#" + ref +
         "\"><ds:Transforms><ds:Transform "
         "Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/><ds:Transform "
         "Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>"
         "<ds:DigestMethod Algorithm=\"" +
         digest +
         "\"/><ds:DigestValue>AA==</ds:DigestValue></ds:Reference></ds:SignedInfo>"
         "<ds:SignatureValue>AA==</ds:SignatureValue></ds:Signature>";
}

std::string assertion(const std::string& id, const std::string& sig,
                      const std::string& nameid = "u1") {
  return "<saml:Assertion ID=\"" + id +
         "\" Version=\"2.0\"><saml:Issuer>https://idp</saml:Issuer>" + sig +
         "<saml:Subject><saml:NameID>" + nameid + "</saml:NameID></saml:Subject></saml:Assertion>";
}

std::string response(const std::string& body, const std::string& sig = "") {
  return "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
         "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_r\" Version=\"2.0\">"
         "<saml:Issuer>https://idp</saml:Issuer>" +
         sig + body + "</samlp:Response>";
}

Result<ResponseShape> check(const std::string& xml, AlgorithmPolicy policy = {}) {
  auto doc = parse_response_xml(xml);
  if (!doc) return fail(doc.error());
  return check_response(doc->get(), policy);
}

ErrorCode code_of(const Result<ResponseShape>& r) { return r.error().code; }

TEST(SamlXmlGuard, AcceptsOneSignedAssertion) {
  auto r = check(response(assertion("_a", signature("_a"))));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_TRUE(r->assertion_signed);
  EXPECT_FALSE(r->response_signed);
  EXPECT_EQ(r->assertion_id, "_a");
  auto both = check(response(assertion("_a", signature("_a")), signature("_r")));
  ASSERT_TRUE(both);
  EXPECT_TRUE(both->response_signed);
}

TEST(SamlXmlGuard, RefusesDtdEntitiesDepthSizeAndComments) {
  EXPECT_EQ(code_of(check("<!DOCTYPE r [<!ENTITY x \"y\">]>" + response(assertion("_a", "")))),
            errc::SamlDtdForbidden);
  std::string deep = "<samlp:StatusDetail>";
  std::string deep_close = "</samlp:StatusDetail>";
  std::string nest, close;
  for (int i = 0; i < kMaxDepth + 2; ++i) {
    nest += deep;
    close += deep_close;
  }
  EXPECT_EQ(code_of(check(response(nest + close + assertion("_a", signature("_a"))))),
            errc::SamlXmlTooDeep);
  EXPECT_EQ(code_of(check(
                response(assertion("_a", signature("_a")) + std::string(kMaxResponseBytes, ' ')))),
            errc::SamlResponseTooLarge);
  EXPECT_EQ(code_of(check(response(assertion("_a", signature("_a"), "admin<!---->@x")))),
            errc::SamlCommentForbidden);
  EXPECT_EQ(code_of(check("<notxml")), errc::SamlResponseMalformed);
  EXPECT_EQ(code_of(check("<x/>")), errc::SamlResponseMalformed);
}

TEST(SamlXmlGuard, RefusesWrappingShapes) {
  const std::string good = assertion("_a", signature("_a"));
  // Two assertions (XSW: an unsigned one beside the signed one).
  EXPECT_EQ(code_of(check(response(assertion("_evil", "") + good))), errc::SamlStructureInvalid);
  // The signed assertion moved into Extensions, an unsigned one in its place.
  EXPECT_EQ(code_of(check(response("<samlp:Extensions>" + good + "</samlp:Extensions>" +
                                   assertion("_evil", "")))),
            errc::SamlStructureInvalid);
  // A signature referencing another element than its parent.
  EXPECT_EQ(code_of(check(response(assertion("_a", signature("_other"))))),
            errc::SamlStructureInvalid);
  // Duplicate IDs.
  EXPECT_EQ(code_of(check(response(assertion("_r", signature("_r"))))), errc::SamlStructureInvalid);
  // No assertion at all.
  EXPECT_EQ(code_of(check(response(""))), errc::SamlStructureInvalid);
}

TEST(SamlXmlGuard, AlgorithmsSha1OnlyWhenAllowed) {
  const std::string sha1_sig = signature("_a", "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
                                         "http://www.w3.org/2000/09/xmldsig#sha1");
  EXPECT_EQ(code_of(check(response(assertion("_a", sha1_sig)))), errc::SamlAlgorithmNotAllowed);
  EXPECT_EQ(code_of(check(response(
                assertion("_a", signature("_a", kSig, "http://www.w3.org/2000/09/xmldsig#sha1"))))),
            errc::SamlAlgorithmNotAllowed);
  EXPECT_TRUE(check(response(assertion("_a", sha1_sig)), {.allow_sha1 = true}));
}

TEST(SamlXmlGuard, EncryptionAlgorithms) {
  auto enc = [](const std::string& data, const std::string& key) {
    return "<saml:EncryptedAssertion><xenc:EncryptedData "
           "xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\"><xenc:EncryptionMethod Algorithm=\"" +
           data +
           "\"/><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><xenc:EncryptedKey>"
           "<xenc:EncryptionMethod Algorithm=\"" +
           key +
           "\"/></xenc:EncryptedKey></ds:KeyInfo></xenc:EncryptedData></saml:EncryptedAssertion>";
  };
  const std::string gcm = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
  const std::string cbc = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
  const std::string oaep = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
  const std::string v15 = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";
  auto ok = check(response(enc(gcm, oaep)));
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_TRUE(ok->encrypted);
  EXPECT_EQ(code_of(check(response(enc(cbc, oaep)))), errc::SamlAlgorithmNotAllowed);
  EXPECT_EQ(code_of(check(response(enc(gcm, v15)))), errc::SamlAlgorithmNotAllowed);
  EXPECT_TRUE(check(response(enc(cbc, v15)), {.allow_legacy_encryption = true}));
}

TEST(SamlTime, ParsesUtcFractionsAndOffsets) {
  EXPECT_EQ(parse_saml_time("1970-01-01T00:00:01Z"), 1000);
  EXPECT_EQ(parse_saml_time("1970-01-01T00:00:01.25Z"), 1250);
  EXPECT_EQ(parse_saml_time("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(parse_saml_time("2026-12-01T05:00:00.123456Z"), 1796101200123);
  EXPECT_FALSE(parse_saml_time("2026-12-01 05:00:00Z"));
  EXPECT_FALSE(parse_saml_time("2026-13-01T05:00:00Z"));
  EXPECT_FALSE(parse_saml_time("2026-12-01T05:00:00"));
}

class SamlDepsTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  SecureRandom& random_ = SecureRandom::instance();
  tenancy::SecretHasher hasher_{std::string(32, 'p')};
  ConnectionDeps deps_{clock_, random_, hasher_, nullptr, "https://gh.example"};
};

TEST_F(SamlDepsTest, RelayStateIsMacBoundAndShort) {
  const std::string org = "0192f1a0-0000-7000-8000-000000000001";
  const std::string rs = make_relay_state(deps_, "conn-1", org, "AAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_LE(rs.size(), 80u);
  auto ref = read_relay_state(deps_, "conn-1", rs);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->organization_id, org);
  EXPECT_EQ(ref->transaction_id, "AAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_FALSE(read_relay_state(deps_, "conn-2", rs));  // another connection
  std::string tampered = rs;
  tampered[tampered.size() - 1] = tampered.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(read_relay_state(deps_, "conn-1", tampered));
  EXPECT_FALSE(read_relay_state(deps_, "conn-1", ""));
  EXPECT_FALSE(read_relay_state(deps_, "conn-1", "a.b"));
}

TEST_F(SamlDepsTest, RequestIdDependsOnTheTransactionNonce) {
  store::LoginTransaction t;
  t.id = "tx";
  t.nonce = "n1";
  const std::string a = request_id_for(deps_, t);
  EXPECT_EQ(a.size(), 41u);
  EXPECT_EQ(a[0], '_');
  t.nonce = "n2";
  EXPECT_NE(request_id_for(deps_, t), a);
}

TEST(SamlSpKeys, GeneratesAKeyAndASelfSignedCertificate) {
  auto pair = generate_sp_key_pair("https://gh.example/sandbox/saml/o/c", 1796101200000);
  ASSERT_TRUE(pair) << pair.error().detail;
  EXPECT_NE(pair->private_key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  const std::string body = certificate_body(pair->certificate_pem);
  EXPECT_GT(body.size(), 500u);
  EXPECT_EQ(body.find('\n'), std::string::npos);
}

// IdP metadata: what the connection needs, by binding; fetches only to allowed URLs.
TEST(SamlIdpMetadata, NeedsTheBindingsEndpointAndASigningCertificate) {
  auto pair = generate_sp_key_pair("https://idp.example/saml", 1796101200000);
  ASSERT_TRUE(pair);
  const std::string cert = certificate_body(pair->certificate_pem);
  auto md = [&](const std::string& services, bool with_cert = true) {
    return "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
           "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"https://idp.example/saml\">"
           "<md:IDPSSODescriptor "
           "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">" +
           (with_cert
                ? "<md:KeyDescriptor "
                  "use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>" +
                      cert + "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
                : std::string()) +
           services + "</md:IDPSSODescriptor></md:EntityDescriptor>";
  };
  const std::string redirect =
      "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" "
      "Location=\"https://idp.example/sso\"/>";
  const std::string post =
      "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
      "Location=\"https://idp.example/sso/post\"/>";
  auto both = read_idp_metadata(md(redirect + post), "settings.idp_metadata_xml", "post");
  ASSERT_TRUE(both) << both.error().detail;
  EXPECT_EQ(both->entity_id, "https://idp.example/saml");
  EXPECT_EQ(both->sso_redirect_url, "https://idp.example/sso");
  EXPECT_EQ(both->sso_post_url, "https://idp.example/sso/post");
  auto no_post = read_idp_metadata(md(redirect), "settings.idp_metadata_url", "post");
  ASSERT_FALSE(no_post);
  EXPECT_EQ(no_post.error().code, errc::SamlMetadataInvalid);
  EXPECT_EQ(no_post.error().extra["field"], "settings.idp_metadata_url");
  EXPECT_TRUE(read_idp_metadata(md(redirect), "f", "redirect"));
  EXPECT_FALSE(read_idp_metadata(md(post), "f", "redirect"));
  EXPECT_FALSE(read_idp_metadata(md(redirect, false), "f", "redirect"));
  EXPECT_FALSE(read_idp_metadata("<!DOCTYPE x>" + md(redirect), "f", "redirect"));
  EXPECT_FALSE(read_idp_metadata(md(redirect).substr(0, 80), "f", "redirect"));

  for (const char* url : {"ftp://idp.example/md", "http://idp.example/md", "file:///etc/passwd",
                          "http://localhost.evil.example/md"}) {
    auto f = fetch_idp_metadata(url);
    ASSERT_FALSE(f) << url;
    EXPECT_EQ(f.error().code, errc::ConnectionInvalid) << url;
    EXPECT_EQ(f.error().extra["field"], "settings.idp_metadata_url");
  }
}

// The refresh schedule: due after the interval, and after a failure not before the retry pause.
TEST(SamlIdpMetadata, RefreshIsDueAfterTheIntervalAndRetriesAfterAPause) {
  store::Connection c;
  c.type = "saml";
  c.settings = {{"idp_metadata_xml", "<x/>"}};
  EXPECT_FALSE(IdpMetadataRefresher::is_due(c, 1'000'000'000));  // no URL: never
  c.settings["idp_metadata_url"] = "https://idp.example/md";
  c.settings["idp_metadata_fetched_at"] = 1'000'000;
  c.settings["idp_metadata_attempted_at"] = 1'000'000;
  const int64_t day = kDefaultIdpMetadataRefreshS * 1000;
  EXPECT_FALSE(IdpMetadataRefresher::is_due(c, 1'000'000 + day - 1));
  EXPECT_TRUE(IdpMetadataRefresher::is_due(c, 1'000'000 + day));
  // A failed attempt a minute ago: wait for the pause (5 minutes at most).
  c.settings["idp_metadata_attempted_at"] = 1'000'000 + day;
  EXPECT_FALSE(IdpMetadataRefresher::is_due(c, 1'000'000 + day + 299'999));
  EXPECT_TRUE(IdpMetadataRefresher::is_due(c, 1'000'000 + day + 300'000));
  // A short interval is its own pause.
  c.settings["idp_metadata_refresh_s"] = 10;
  c.settings["idp_metadata_fetched_at"] = 5'000'000;
  c.settings["idp_metadata_attempted_at"] = 5'000'000;
  EXPECT_FALSE(IdpMetadataRefresher::is_due(c, 5'009'999));
  EXPECT_TRUE(IdpMetadataRefresher::is_due(c, 5'010'000));
  c.type = "oidc";
  EXPECT_FALSE(IdpMetadataRefresher::is_due(c, 9'000'000'000));
}

// SP metadata: RequestedAttributes from the catalog, named as the preset's vendor sends them.
TEST(SamlSpMetadata, RequestedAttributesFollowThePreset) {
  store::Connection c;
  c.id = "c1";
  c.organization_id = "o1";
  c.name = "Acme & Co";
  c.settings = {{"preset", "okta"},
                {"sp",
                 {{"entity_id", "https://gh.example/sandbox/saml/o1/c1"},
                  {"acs_url", "https://gh.example/sandbox/login/callback/c1"}}}};
  const auto& catalog = catalog::default_catalog();
  const std::string okta = sp_metadata("", "", c, &catalog);
  EXPECT_NE(okta.find("<md:ServiceName xml:lang=\"en\">Acme &amp; Co</md:ServiceName>"),
            std::string::npos)
      << okta;
  EXPECT_NE(okta.find("<md:RequestedAttribute Name=\"email\" "
                      "NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\" "
                      "FriendlyName=\"email\"/>"),
            std::string::npos)
      << okta;
  EXPECT_NE(okta.find("Name=\"firstName\""), std::string::npos);
  EXPECT_EQ(okta.find("schemas.xmlsoap.org"), std::string::npos);
  // After the ACS, as the schema orders SPSSODescriptor's children.
  EXPECT_LT(okta.find("AssertionConsumerService"), okta.find("AttributeConsumingService"));
  c.settings["preset"] = "adfs";
  const std::string adfs = sp_metadata("", "", c, &catalog);
  EXPECT_NE(
      adfs.find("Name=\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
                "emailaddress\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\""),
      std::string::npos)
      << adfs;
  // Without a catalog (Lasso's copy), no service; with an empty catalog, none either.
  EXPECT_EQ(sp_metadata("", "", c).find("AttributeConsumingService"), std::string::npos);
  catalog::Catalog empty;
  EXPECT_EQ(sp_metadata("", "", c, &empty).find("AttributeConsumingService"), std::string::npos);
}

}  // namespace
}  // namespace gh::federation::saml
