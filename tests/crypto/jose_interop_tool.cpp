// The Gatehouse side of the npm `jose` interop test (interop/run.mjs drives it):
//   jose_interop_tool gen <dir>     keys, our public JWKS, JWTs for every algorithm, JWEs
//   jose_interop_tool verify <dir>  verify jose's JWTs against jose's JWKS; decrypt jose's
//                                   JWEs with our keys. Exit 1 on any failure.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/clock.h"
#include "core/random.h"
#include "crypto/jose/jwe.h"
#include "crypto/jose/jwt.h"

using namespace gh;
using namespace gh::jose;

namespace {

constexpr const char* kIssuer = "https://gatehouse.test/production";
constexpr const char* kAudience = "https://api.test";

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

void write_json(const std::string& path, const nlohmann::json& j) {
  std::ofstream(path) << j.dump(2) << "\n";
}

int gen(const std::string& dir) {
  struct Spec {
    const char* name;
    KeySpec spec;
    Alg alg;
  };
  const Spec specs[] = {
      {"RS256-2048", KeySpec::Rsa2048, Alg::RS256},
      {"RS256-3072", KeySpec::Rsa3072, Alg::RS256},
      {"PS256", KeySpec::Rsa2048, Alg::PS256},
      {"ES256", KeySpec::EcP256, Alg::ES256},
      {"EdDSA", KeySpec::Ed25519, Alg::EdDSA},
      {"RSA-OAEP-256", KeySpec::Rsa2048, Alg::RsaOaep256},
      {"ECDH-ES+A256KW", KeySpec::EcP256, Alg::EcdhEsA256kw},
  };
  KeySet keys;
  nlohmann::json tokens = nlohmann::json::array();
  nlohmann::json jwes = nlohmann::json::array();
  const int64_t now = SystemClock::instance().now_ms() / 1000;
  for (const auto& s : specs) {
    auto entry = KeySet::generate(s.spec, s.alg);
    if (!entry || !keys.add(*entry)) {
      std::cerr << "keygen failed for " << s.name << "\n";
      return 1;
    }
    const KeyEntry& key = *keys.find(entry->kid);
    if (key.use == KeyUse::Sig) {
      nlohmann::json claims = {{"iss", kIssuer},       {"sub", std::string("user-") + s.name},
                               {"aud", kAudience},     {"iat", now},
                               {"exp", now + 300},     {"jti", SecureRandom::instance().hex(8)},
                               {"scope", "read write"}};
      auto token = jwt_sign(key, claims, "at+jwt");
      if (!token) return 1;
      tokens.push_back({{"name", s.name},
                        {"alg", alg_name(s.alg)},
                        {"kid", key.kid},
                        {"sub", claims["sub"]},
                        {"token", *token}});
    } else {
      const std::string plaintext =
          std::string("gatehouse -> jose via ") + s.name + " \xE2\x9C\x93";
      auto jwe = jwe_encrypt(key, plaintext, SecureRandom::instance(), {.cty = "text/plain"});
      if (!jwe) return 1;
      jwes.push_back(
          {{"alg", alg_name(s.alg)}, {"kid", key.kid}, {"plaintext", plaintext}, {"token", *jwe}});
    }
  }
  nlohmann::json records = nlohmann::json::array();
  for (const auto& r : keys.to_records()) {
    records.push_back({{"kid", r.kid}, {"alg", r.alg}, {"use", r.use}, {"jwk", r.jwk}});
  }
  write_json(dir + "/gatehouse-keys.json", records);
  write_json(dir + "/gatehouse-jwks.json", keys.public_jwks());
  write_json(dir + "/gatehouse-tokens.json", tokens);
  write_json(dir + "/gatehouse-jwe.json", jwes);
  return 0;
}

int verify(const std::string& dir) {
  int failures = 0;
  std::vector<KeyRecord> records;
  for (const auto& r : read_json(dir + "/gatehouse-keys.json")) {
    records.push_back({r["kid"], r["alg"], r["use"], "active", r["jwk"]});
  }
  auto ours = KeySet::from_records(records);
  auto theirs = KeySet::from_jwks(read_json(dir + "/jose-jwks.json"));
  if (!ours || !theirs) {
    std::cerr << "cannot load key sets\n";
    return 1;
  }
  const auto input = read_json(dir + "/jose-tokens.json");
  auto profile = JwtProfile::access_token("https://jose.test", kAudience);
  for (const auto& t : input["jws"]) {
    auto r = jwt_verify(t["token"].get<std::string>(), *theirs, SystemClock::instance(), profile);
    const bool ok = r && r->claims.sub == t["sub"] && alg_name(r->alg) == t["alg"];
    std::printf("%s jose JWS %-8s -> gatehouse verify%s%s\n", ok ? "ok  " : "FAIL",
                t["alg"].get<std::string>().c_str(), r ? "" : ": ",
                r ? "" : std::string(r.error().code_name()).c_str());
    failures += ok ? 0 : 1;
  }
  for (const auto& t : input["jwe"]) {
    auto r = jwe_decrypt(t["token"].get<std::string>(), *ours, SecureRandom::instance());
    const bool ok = r && r->plaintext == t["plaintext"];
    std::printf("%s jose JWE %-14s -> gatehouse decrypt%s%s\n", ok ? "ok  " : "FAIL",
                t["alg"].get<std::string>().c_str(), r ? "" : ": ",
                r ? "" : std::string(r.error().code_name()).c_str());
    failures += ok ? 0 : 1;
  }
  // Negative controls built by jose: they must fail here.
  for (const auto& t : input["reject"]) {
    auto r = jwt_verify(t["token"].get<std::string>(), *theirs, SystemClock::instance(), profile);
    const bool ok = !r && r.error().code_name() == t["code"];
    std::printf("%s jose %-30s -> gatehouse rejects with %s\n", ok ? "ok  " : "FAIL",
                t["name"].get<std::string>().c_str(),
                r ? "(accepted!)" : std::string(r.error().code_name()).c_str());
    failures += ok ? 0 : 1;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: jose_interop_tool gen|verify <dir>\n";
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "gen") return gen(argv[2]);
  if (cmd == "verify") return verify(argv[2]);
  return 2;
}
