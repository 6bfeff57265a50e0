// Keys generated once per test binary (RSA generation is slow under ASan).
#pragma once

#include <gtest/gtest.h>

#include <map>

#include "crypto/jose/key_set.h"

namespace gh::jose::testing {

inline const KeyEntry& key_for(KeySpec spec, Alg alg) {
  static std::map<std::pair<KeySpec, Alg>, KeyEntry> keys;
  auto it = keys.find({spec, alg});
  if (it == keys.end()) {
    auto entry = KeySet::generate(spec, alg);
    if (!entry) throw std::runtime_error(entry.error().detail);
    it = keys.emplace(std::pair{spec, alg}, std::move(*entry)).first;
  }
  return it->second;
}

inline KeySet set_of(std::initializer_list<KeyEntry> entries) {
  KeySet set;
  for (const auto& e : entries) {
    auto ok = set.add(e);
    if (!ok) throw std::runtime_error(ok.error().detail);
  }
  return set;
}

struct SigCase {
  const char* name;
  KeySpec spec;
  Alg alg;
};

inline const std::vector<SigCase>& sig_cases() {
  static const std::vector<SigCase> cases = {
      {"RS256_2048", KeySpec::Rsa2048, Alg::RS256}, {"RS256_3072", KeySpec::Rsa3072, Alg::RS256},
      {"PS256", KeySpec::Rsa2048, Alg::PS256},      {"ES256", KeySpec::EcP256, Alg::ES256},
      {"EdDSA", KeySpec::Ed25519, Alg::EdDSA},
  };
  return cases;
}

}  // namespace gh::jose::testing
