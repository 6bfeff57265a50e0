#include "crypto/kek/pkcs11_module.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <vector>

#include "crypto/error_codes.h"
#include "crypto/openssl.h"

namespace gh::crypto {

namespace {

constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;

std::string rv_name(CK_RV rv) {
  switch (rv) {
    case CKR_KEY_FUNCTION_NOT_PERMITTED:
      return "CKR_KEY_FUNCTION_NOT_PERMITTED";
    case CKR_KEY_HANDLE_INVALID:
      return "CKR_KEY_HANDLE_INVALID";
    case CKR_ENCRYPTED_DATA_INVALID:
      return "CKR_ENCRYPTED_DATA_INVALID";
    case CKR_PIN_INCORRECT:
      return "CKR_PIN_INCORRECT";
    case CKR_TOKEN_NOT_PRESENT:
      return "CKR_TOKEN_NOT_PRESENT";
    case CKR_SESSION_HANDLE_INVALID:
      return "CKR_SESSION_HANDLE_INVALID";
    case CKR_MECHANISM_INVALID:
      return "CKR_MECHANISM_INVALID";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "CKR 0x%lx", rv);
      return buf;
    }
  }
}

bool session_lost(CK_RV rv) {
  return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
         rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_REMOVED || rv == CKR_USER_NOT_LOGGED_IN;
}

std::string padded_label(std::string_view label) {
  std::string out(32, ' ');
  std::memcpy(out.data(), label.data(), std::min<size_t>(label.size(), 32));
  return out;
}

CK_FUNCTION_LIST_PTR fns(const Pkcs11Module& m) {
  return static_cast<CK_FUNCTION_LIST_PTR>(m.functions());
}

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, std::weak_ptr<Pkcs11Module>>& registry() {
  static std::map<std::string, std::weak_ptr<Pkcs11Module>> r;
  return r;
}

}  // namespace

Error pkcs11_error(std::string_view call, unsigned long rv) {
  const ErrorCode code = (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE)
                             ? errc::CryptoDecryptFailed
                             : errc::CryptoCustomerKeyUnavailable;
  return Error(code, {}, std::string(call) + ": " + rv_name(rv));
}

Result<std::shared_ptr<Pkcs11Module>> Pkcs11Module::load(const std::string& path) {
  std::lock_guard lock(registry_mutex());
  if (auto existing = registry()[path].lock()) return existing;
  std::shared_ptr<Pkcs11Module> module(new Pkcs11Module());
  module->path_ = path;
  module->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module->handle_ == nullptr) {
    return fail(errc::CryptoCustomerKeyUnavailable, {},
                "cannot load PKCS#11 module " + path + ": " + dlerror());
  }
  auto get_list =
      reinterpret_cast<CK_C_GetFunctionList>(dlsym(module->handle_, "C_GetFunctionList"));
  CK_FUNCTION_LIST_PTR fn = nullptr;
  if (get_list == nullptr || get_list(&fn) != CKR_OK || fn == nullptr) {
    return fail(errc::CryptoCustomerKeyUnavailable, {}, path + " is not a PKCS#11 module");
  }
  module->fn_ = fn;
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  const CK_RV rv = fn->C_Initialize(&args);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    return fail(pkcs11_error("C_Initialize", rv));
  }
  module->finalize_ = rv == CKR_OK;
  registry()[path] = module;
  return module;
}

Pkcs11Module::~Pkcs11Module() {
  if (fn_ != nullptr && finalize_) static_cast<CK_FUNCTION_LIST_PTR>(fn_)->C_Finalize(nullptr);
  if (handle_ != nullptr) dlclose(handle_);
}

Result<std::unique_ptr<Pkcs11Token>> Pkcs11Token::open(std::shared_ptr<Pkcs11Module> module,
                                                       std::string token_label, std::string pin) {
  std::unique_ptr<Pkcs11Token> token(new Pkcs11Token());
  token->module_ = std::move(module);
  token->token_label_ = std::move(token_label);
  token->pin_ = std::move(pin);
  if (auto ok = token->ensure_session(); !ok) return fail(ok.error());
  return token;
}

Pkcs11Token::~Pkcs11Token() {
  drop_session();
  cleanse(pin_);
}

void Pkcs11Token::drop_session() {
  if (session_) fns(*module_)->C_CloseSession(*session_);
  session_.reset();
}

Result<void> Pkcs11Token::ensure_session() {
  if (session_) return {};
  CK_FUNCTION_LIST_PTR fn = fns(*module_);
  // Find the slot each time a session is opened: a token may move between slots.
  CK_ULONG count = 0;
  CK_RV rv = fn->C_GetSlotList(CK_TRUE, nullptr, &count);
  if (rv != CKR_OK) return fail(pkcs11_error("C_GetSlotList", rv));
  std::vector<CK_SLOT_ID> slots(count);
  rv = fn->C_GetSlotList(CK_TRUE, slots.data(), &count);
  if (rv != CKR_OK) return fail(pkcs11_error("C_GetSlotList", rv));
  const std::string wanted = padded_label(token_label_);
  bool found = false;
  for (CK_ULONG i = 0; i < count && !found; ++i) {
    CK_TOKEN_INFO info;
    if (fn->C_GetTokenInfo(slots[i], &info) != CKR_OK) continue;
    if (std::memcmp(info.label, wanted.data(), 32) == 0) {
      slot_ = slots[i];
      found = true;
    }
  }
  if (!found) {
    return fail(errc::CryptoCustomerKeyUnavailable, {},
                "no PKCS#11 token labelled " + token_label_);
  }
  CK_SESSION_HANDLE session = 0;
  rv = fn->C_OpenSession(slot_, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
  if (rv != CKR_OK) return fail(pkcs11_error("C_OpenSession", rv));
  rv = fn->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(pin_.data()), pin_.size());
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    fn->C_CloseSession(session);
    return fail(pkcs11_error("C_Login", rv));
  }
  session_ = session;
  return {};
}

Result<std::optional<unsigned long>> Pkcs11Token::find_key(std::string_view label) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (auto ok = ensure_session(); !ok) return fail(ok.error());
    CK_FUNCTION_LIST_PTR fn = fns(*module_);
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_AES;
    std::string l(label);
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls},
                           {CKA_KEY_TYPE, &type, sizeof type},
                           {CKA_LABEL, l.data(), l.size()}};
    CK_RV rv = fn->C_FindObjectsInit(*session_, tmpl, 3);
    if (session_lost(rv)) {
      drop_session();
      continue;
    }
    if (rv != CKR_OK) return fail(pkcs11_error("C_FindObjectsInit", rv));
    CK_OBJECT_HANDLE handles[2];
    CK_ULONG n = 0;
    rv = fn->C_FindObjects(*session_, handles, 2, &n);
    fn->C_FindObjectsFinal(*session_);
    if (rv != CKR_OK) return fail(pkcs11_error("C_FindObjects", rv));
    if (n > 1) {
      return fail(errc::CryptoCustomerKeyUnavailable, {}, "several PKCS#11 keys are labelled " + l);
    }
    if (n == 0) return std::optional<unsigned long>();
    return std::optional<unsigned long>(handles[0]);
  }
  return fail(errc::CryptoCustomerKeyUnavailable, {}, "PKCS#11 session lost");
}

Result<void> Pkcs11Token::create_aes_key(std::string_view label, std::optional<std::string> value) {
  if (auto ok = ensure_session(); !ok) return fail(ok.error());
  CK_FUNCTION_LIST_PTR fn = fns(*module_);
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_ULONG len = 32;
  std::string l(label);
  std::vector<CK_ATTRIBUTE> tmpl = {
      {CKA_CLASS, &cls, sizeof cls},     {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_LABEL, l.data(), l.size()},   {CKA_TOKEN, &yes, sizeof yes},
      {CKA_PRIVATE, &yes, sizeof yes},   {CKA_SENSITIVE, &yes, sizeof yes},
      {CKA_EXTRACTABLE, &no, sizeof no}, {CKA_MODIFIABLE, &yes, sizeof yes},
      {CKA_ENCRYPT, &yes, sizeof yes},   {CKA_DECRYPT, &yes, sizeof yes},
      {CKA_WRAP, &yes, sizeof yes},      {CKA_UNWRAP, &yes, sizeof yes}};
  CK_OBJECT_HANDLE handle = 0;
  CK_RV rv;
  if (value) {
    if (value->size() != 32) return fail(errc::CryptoKekInvalid, {}, "AES-256 key size");
    tmpl.push_back({CKA_VALUE, value->data(), value->size()});
    rv = fn->C_CreateObject(*session_, tmpl.data(), tmpl.size(), &handle);
    cleanse(*value);
  } else {
    tmpl.push_back({CKA_VALUE_LEN, &len, sizeof len});
    CK_MECHANISM mech = {CKM_AES_KEY_GEN, nullptr, 0};
    rv = fn->C_GenerateKey(*session_, &mech, tmpl.data(), tmpl.size(), &handle);
  }
  if (rv != CKR_OK) return fail(pkcs11_error("create AES key", rv));
  return {};
}

Result<void> Pkcs11Token::set_key_usable(std::string_view label, bool usable) {
  auto handle = find_key(label);
  if (!handle) return fail(handle.error());
  if (!*handle) return fail(errc::CryptoCustomerKeyUnavailable, {}, "no such key");
  CK_BBOOL v = usable ? CK_TRUE : CK_FALSE;
  CK_ATTRIBUTE tmpl[] = {{CKA_DECRYPT, &v, sizeof v}, {CKA_UNWRAP, &v, sizeof v}};
  const CK_RV rv = fns(*module_)->C_SetAttributeValue(*session_, **handle, tmpl, 2);
  if (rv != CKR_OK) return fail(pkcs11_error("C_SetAttributeValue", rv));
  return {};
}

Result<void> Pkcs11Token::destroy_key(std::string_view label) {
  auto handle = find_key(label);
  if (!handle) return fail(handle.error());
  if (!*handle) return {};
  const CK_RV rv = fns(*module_)->C_DestroyObject(*session_, **handle);
  if (rv != CKR_OK) return fail(pkcs11_error("C_DestroyObject", rv));
  return {};
}

Result<std::string> Pkcs11Token::gcm_encrypt(std::string_view label, std::string_view nonce,
                                             std::string_view aad, std::string_view plaintext) {
  auto handle = find_key(label);
  if (!handle) return fail(handle.error());
  if (!*handle) {
    return fail(errc::CryptoCustomerKeyUnavailable, {}, "no PKCS#11 key " + std::string(label));
  }
  if (nonce.size() != kNonceSize) return fail(errc::CryptoInternal, {}, "GCM nonce size");
  CK_FUNCTION_LIST_PTR fn = fns(*module_);
  std::string iv(nonce), a(aad), in(plaintext);
  CK_GCM_PARAMS params{};
  params.pIv = reinterpret_cast<CK_BYTE_PTR>(iv.data());
  params.ulIvLen = iv.size();
  params.ulIvBits = iv.size() * 8;
  params.pAAD = reinterpret_cast<CK_BYTE_PTR>(a.data());
  params.ulAADLen = a.size();
  params.ulTagBits = kTagSize * 8;
  CK_MECHANISM mech = {CKM_AES_GCM, &params, sizeof params};
  CK_RV rv = fn->C_EncryptInit(*session_, &mech, **handle);
  if (rv != CKR_OK) return fail(pkcs11_error("C_EncryptInit", rv));
  std::string out(in.size() + kTagSize, '\0');
  CK_ULONG out_len = out.size();
  rv = fn->C_Encrypt(*session_, reinterpret_cast<CK_BYTE_PTR>(in.data()), in.size(),
                     reinterpret_cast<CK_BYTE_PTR>(out.data()), &out_len);
  cleanse(in);
  if (rv != CKR_OK) return fail(pkcs11_error("C_Encrypt", rv));
  out.resize(out_len);
  return iv + out;
}

Result<std::string> Pkcs11Token::gcm_decrypt(std::string_view label, std::string_view aad,
                                             std::string_view wrapped) {
  if (wrapped.size() < kNonceSize + kTagSize) {
    return fail(errc::CryptoDecryptFailed, {}, "wrapped key too short");
  }
  auto handle = find_key(label);
  if (!handle) return fail(handle.error());
  if (!*handle) {
    return fail(errc::CryptoCustomerKeyUnavailable, {}, "no PKCS#11 key " + std::string(label));
  }
  CK_FUNCTION_LIST_PTR fn = fns(*module_);
  std::string iv(wrapped.substr(0, kNonceSize)), a(aad), in(wrapped.substr(kNonceSize));
  CK_GCM_PARAMS params{};
  params.pIv = reinterpret_cast<CK_BYTE_PTR>(iv.data());
  params.ulIvLen = iv.size();
  params.ulIvBits = iv.size() * 8;
  params.pAAD = reinterpret_cast<CK_BYTE_PTR>(a.data());
  params.ulAADLen = a.size();
  params.ulTagBits = kTagSize * 8;
  CK_MECHANISM mech = {CKM_AES_GCM, &params, sizeof params};
  CK_RV rv = fn->C_DecryptInit(*session_, &mech, **handle);
  if (rv != CKR_OK) return fail(pkcs11_error("C_DecryptInit", rv));
  std::string out(in.size(), '\0');
  CK_ULONG out_len = out.size();
  rv = fn->C_Decrypt(*session_, reinterpret_cast<CK_BYTE_PTR>(in.data()), in.size(),
                     reinterpret_cast<CK_BYTE_PTR>(out.data()), &out_len);
  if (rv != CKR_OK) {
    cleanse(out);
    return fail(pkcs11_error("C_Decrypt", rv));
  }
  out.resize(out_len);
  return out;
}

}  // namespace gh::crypto
