// JWS sign/verify per algorithm, each beside the raw EVP operation on the same key and a
// signing input of the same size. Raw = EVP_DigestSignInit + EVP_DigestSign on a reused
// EVP_MD_CTX (the least any caller must do); ours = a complete JWT: claims JSON, header,
// base64url, signature (ES256: DER -> r||s), and for verify the full strict checks.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <map>

#include "core/clock.h"
#include "crypto/jose/jws.h"
#include "crypto/jose/jwt.h"
#include "crypto/jose/signature.h"

namespace gh::jose {
namespace {

struct Case {
  KeySpec spec;
  Alg alg;
};
const Case kCases[] = {{KeySpec::Rsa2048, Alg::RS256},
                       {KeySpec::Rsa3072, Alg::RS256},
                       {KeySpec::Rsa2048, Alg::PS256},
                       {KeySpec::EcP256, Alg::ES256},
                       {KeySpec::Ed25519, Alg::EdDSA}};
const char* kNames[] = {"RS256_2048", "RS256_3072", "PS256", "ES256", "EdDSA"};

const KeyEntry& key(int i) {
  static std::map<int, KeyEntry> keys;
  auto it = keys.find(i);
  if (it == keys.end()) {
    it = keys.emplace(i, *KeySet::generate(kCases[i].spec, kCases[i].alg)).first;
  }
  return it->second;
}

// Every key is made before any benchmark runs: RSA-3072 generation inside a timed loop (the
// first benchmark to touch the key, in random interleaving order) would skew that one.
[[maybe_unused]] const bool keys_ready = [] {
  for (int i = 0; i < 5; ++i) (void)key(i);
  return true;
}();

FakeClock& clock() {
  static FakeClock c;
  return c;
}

nlohmann::json claims() {
  const int64_t now = clock().now_ms() / 1000;
  return {{"iss", "https://id.example.com/production"},
          {"sub", "8d0c7c9e-6e8f-4a55-9b7e-1f0b5b0c2a11"},
          {"aud", "https://api.example.com"},
          {"iat", now},
          {"exp", now + 300},
          {"jti", "3f1c6f0e9a7b4d2c8e5a1b0d"},
          {"scope", "read write"}};
}

bool raw_sign(EVP_MD_CTX* ctx, EVP_PKEY* pkey, Alg alg, const std::string& input,
              unsigned char* sig, size_t* len) {
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_MD_CTX_reset(ctx);
  if (EVP_DigestSignInit(ctx, &pctx, alg == Alg::EdDSA ? nullptr : EVP_sha256(), nullptr, pkey) !=
      1) {
    return false;
  }
  if (alg == Alg::PS256) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  return EVP_DigestSign(ctx, sig, len, reinterpret_cast<const unsigned char*>(input.data()),
                        input.size()) == 1;
}

std::string signing_input(int i) {
  auto token = *jwt_sign(key(i), claims(), "at+jwt");
  return token.substr(0, token.rfind('.'));
}

void BM_RawEvpSign(benchmark::State& state) {
  const int i = static_cast<int>(state.range(0));
  const std::string input = signing_input(i);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char sig[1024];
  for (auto _ : state) {
    size_t len = sizeof sig;
    if (!raw_sign(ctx, key(i).key.pkey(), kCases[i].alg, input, sig, &len)) {
      state.SkipWithError("sign");
    }
    benchmark::DoNotOptimize(sig);
  }
  EVP_MD_CTX_free(ctx);
  state.SetLabel(kNames[i]);
  state.SetItemsProcessed(state.iterations());
}

void BM_JwtSign(benchmark::State& state) {
  const int i = static_cast<int>(state.range(0));
  const nlohmann::json c = claims();
  for (auto _ : state) {
    auto token = jwt_sign(key(i), c, "at+jwt");
    if (!token) state.SkipWithError("sign");
    benchmark::DoNotOptimize(token);
  }
  state.SetLabel(kNames[i]);
  state.SetItemsProcessed(state.iterations());
}

// A compact JWS over an already serialized payload: header, base64url, signature.
void BM_JwsSign(benchmark::State& state) {
  const int i = static_cast<int>(state.range(0));
  const std::string payload = claims().dump();
  for (auto _ : state) {
    auto token = jws_sign(key(i), payload);
    if (!token) state.SkipWithError("sign");
    benchmark::DoNotOptimize(token);
  }
  state.SetLabel(kNames[i]);
  state.SetItemsProcessed(state.iterations());
}

void BM_RawEvpVerify(benchmark::State& state) {
  const int i = static_cast<int>(state.range(0));
  const std::string input = signing_input(i);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char sig[1024];
  size_t sig_len = sizeof sig;
  raw_sign(ctx, key(i).key.pkey(), kCases[i].alg, input, sig, &sig_len);
  for (auto _ : state) {
    EVP_PKEY_CTX* pctx = nullptr;
    EVP_MD_CTX_reset(ctx);
    EVP_DigestVerifyInit(ctx, &pctx, kCases[i].alg == Alg::EdDSA ? nullptr : EVP_sha256(), nullptr,
                         key(i).key.pkey());
    if (kCases[i].alg == Alg::PS256) {
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    if (EVP_DigestVerify(ctx, sig, sig_len, reinterpret_cast<const unsigned char*>(input.data()),
                         input.size()) != 1) {
      state.SkipWithError("verify");
    }
  }
  EVP_MD_CTX_free(ctx);
  state.SetLabel(kNames[i]);
  state.SetItemsProcessed(state.iterations());
}

void BM_JwtVerify(benchmark::State& state) {
  const int i = static_cast<int>(state.range(0));
  KeySet set;
  (void)set.add(key(i));
  const std::string token = *jwt_sign(key(i), claims(), "at+jwt");
  const auto profile =
      JwtProfile::access_token("https://id.example.com/production", "https://api.example.com");
  for (auto _ : state) {
    auto r = jwt_verify(token, set, clock(), profile);
    if (!r) state.SkipWithError("verify");
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel(kNames[i]);
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_RawEvpSign)->DenseRange(0, 4);
BENCHMARK(BM_JwtSign)->DenseRange(0, 4);
BENCHMARK(BM_JwsSign)->DenseRange(0, 4);
BENCHMARK(BM_RawEvpVerify)->DenseRange(0, 4);
BENCHMARK(BM_JwtVerify)->DenseRange(0, 4);

}  // namespace
}  // namespace gh::jose

namespace gh::jose {
namespace {
void BM_VerifyBytes(benchmark::State& state) {
  const int i = static_cast<int>(state.range(0));
  const std::string token = *jwt_sign(key(i), claims(), "at+jwt");
  const std::string input = token.substr(0, token.rfind('.'));
  const std::string sig = *sign_bytes(key(i).key, kCases[i].alg, input);
  for (auto _ : state) {
    if (!verify_bytes(key(i).key, kCases[i].alg, input, sig)) state.SkipWithError("verify");
  }
  state.SetLabel(kNames[i]);
  state.SetItemsProcessed(state.iterations());
}
void BM_SignBytes(benchmark::State& state) {
  const int i = static_cast<int>(state.range(0));
  const std::string input = signing_input(i);
  for (auto _ : state) {
    auto s = sign_bytes(key(i).key, kCases[i].alg, input);
    benchmark::DoNotOptimize(s);
  }
  state.SetLabel(kNames[i]);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyBytes)->DenseRange(0, 4);
BENCHMARK(BM_SignBytes)->DenseRange(0, 4);
}  // namespace
}  // namespace gh::jose
