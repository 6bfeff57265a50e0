// The customer's side, in its own process: flips or deletes a key on a PKCS#11 token, as an HSM
// admin console would. Used by pkcs11_kek_test to show that a change made outside Gatehouse
// reaches it.  Usage: softhsm_admin_tool <module> <token> <pin> enable|disable|destroy <label>
#include <cstdio>
#include <string>

#include "crypto/kek/pkcs11_module.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s <module> <token> <pin> enable|disable|destroy <label>\n",
                 argv[0]);
    return 2;
  }
  auto module = gh::crypto::Pkcs11Module::load(argv[1]);
  if (!module) return 1;
  auto token = gh::crypto::Pkcs11Token::open(*module, argv[2], argv[3]);
  if (!token) {
    std::fprintf(stderr, "%s\n", token.error().detail.c_str());
    return 1;
  }
  const std::string op = argv[4];
  gh::Result<void> r = op == "destroy" ? (*token)->destroy_key(argv[5])
                                       : (*token)->set_key_usable(argv[5], op == "enable");
  if (!r) {
    std::fprintf(stderr, "%s\n", r.error().detail.c_str());
    return 1;
  }
  return 0;
}
