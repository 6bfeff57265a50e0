#include "crypto/seal/sealer.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

#include "crypto/aead.h"
#include "crypto/error_codes.h"
#include "crypto/openssl.h"

namespace gh::crypto {

namespace {

tl::unexpected<Error> decrypt_failed(std::string detail) {
  return fail(errc::CryptoDecryptFailed, {}, std::move(detail));
}

std::string_view view_of(const DataKeyBytes& key) { return {key.data(), key.size()}; }

struct KeyScrubber {
  DataKeyBytes& key;
  ~KeyScrubber() { OPENSSL_cleanse(key.data(), key.size()); }
};

}  // namespace

// ---- InMemoryDataKeyRepository ------------------------------------------------------------

Result<DataKeyRecord> InMemoryDataKeyRepository::find(std::string_view id) {
  std::lock_guard lock(mutex_);
  for (const auto& r : records_) {
    if (r.id == id) return r;
  }
  return fail(errc::CryptoDataKeyNotFound, {}, "data key " + std::string(id));
}

Result<std::optional<DataKeyRecord>> InMemoryDataKeyRepository::find_active(
    std::string_view environment, std::string_view organization) {
  std::lock_guard lock(mutex_);
  for (const auto& r : records_) {
    if (r.active && r.environment == environment && r.organization == organization) {
      return std::optional<DataKeyRecord>(r);
    }
  }
  return std::optional<DataKeyRecord>();
}

Result<void> InMemoryDataKeyRepository::insert_active(const DataKeyRecord& record) {
  std::lock_guard lock(mutex_);
  for (auto& r : records_) {
    if (r.id == record.id) return fail(errc::StoreConflict, {}, "duplicate data key id");
    if (r.environment == record.environment && r.organization == record.organization) {
      r.active = false;
    }
  }
  records_.push_back(record);
  records_.back().active = true;
  return {};
}

Result<void> InMemoryDataKeyRepository::update_wrapping(std::string_view id,
                                                        std::string_view kek_id,
                                                        std::string_view wrapped) {
  std::lock_guard lock(mutex_);
  for (auto& r : records_) {
    if (r.id == id) {
      r.kek_id = kek_id;
      r.wrapped = wrapped;
      return {};
    }
  }
  return fail(errc::CryptoDataKeyNotFound, {}, "data key " + std::string(id));
}

Result<std::vector<DataKeyRecord>> InMemoryDataKeyRepository::list_by_kek(std::string_view kek_id) {
  std::lock_guard lock(mutex_);
  std::vector<DataKeyRecord> out;
  for (const auto& r : records_) {
    if (r.kek_id == kek_id) out.push_back(r);
  }
  return out;
}

// ---- Sealer -------------------------------------------------------------------------------

Sealer::Sealer(DataKeyRepository& repository, KekRegistry& keks, const Clock& clock, Random& random,
               SealerOptions options)
    : repository_(repository),
      keks_(keks),
      clock_(clock),
      random_(random),
      cache_(clock, options.cache_ttl, options.cache_max_entries) {}

std::string Sealer::wrap_context(const DataKeyRecord& record) {
  std::string c = "gatehouse.data-key.v1";
  for (const std::string* f : {&record.environment, &record.organization, &record.id}) {
    c += '\0';
    c += *f;
  }
  return c;
}

Result<DataKeyBytes> Sealer::unwrap(const DataKeyRecord& record) {
  auto kek = keks_.find(record.kek_id);
  if (!kek) return fail(kek.error());
  auto key = (*kek)->unwrap(record.wrapped, wrap_context(record));
  if (!key) return fail(key.error());
  if (key->size() != kAes256KeySize) {
    cleanse(*key);
    return decrypt_failed("unwrapped data key has the wrong size");
  }
  DataKeyBytes bytes;
  std::memcpy(bytes.data(), key->data(), bytes.size());
  cleanse(*key);
  cache_.put(record.id, bytes, record.environment, record.organization);
  return bytes;
}

Result<std::string> Sealer::create_data_key(std::string_view environment,
                                            std::string_view organization,
                                            std::string_view kek_id) {
  auto kek = keks_.find(kek_id);
  if (!kek) return fail(kek.error());
  DataKeyRecord record;
  record.id = "dk_" + random_.base64url(12);
  record.environment = environment;
  record.organization = organization;
  record.kek_id = kek_id;
  record.created_ms = clock_.now_ms();
  std::string key = random_.bytes(kAes256KeySize);
  auto wrapped = (*kek)->wrap(key, wrap_context(record));
  cleanse(key);
  if (!wrapped) return fail(wrapped.error());
  record.wrapped = std::move(*wrapped);
  if (auto ok = repository_.insert_active(record); !ok) return fail(ok.error());
  cache_.forget_organization(environment, organization);
  return record.id;
}

Result<std::pair<std::string, DataKeyBytes>> Sealer::active_key(std::string_view environment,
                                                                std::string_view organization) {
  if (auto id = cache_.active_id(environment, organization)) {
    if (auto key = cache_.get(*id, environment, organization)) {
      return std::pair{std::move(*id), *key};
    }
  }
  auto record = repository_.find_active(environment, organization);
  if (!record) return fail(record.error());
  if (!*record) {
    return fail(errc::CryptoDataKeyNotFound, {},
                "organization " + std::string(organization) + " has no data key");
  }
  auto key = unwrap(**record);
  if (!key) return fail(key.error());
  cache_.put_active(environment, organization, (*record)->id);
  return std::pair{(*record)->id, *key};
}

Result<std::string> Sealer::seal(const SealContext& context, std::string_view plaintext) {
  auto active = active_key(context.environment, context.organization);
  if (!active) return fail(active.error());
  KeyScrubber scrub{active->second};
  std::string out = sealed_header(active->first);
  const size_t header_size = out.size();
  std::string nonce = random_.bytes(kGcmNonceSize);
  out += nonce;
  std::string aad;
  aad.reserve(64 + context.table.size() + context.row.size() + context.column.size() +
              context.organization.size() + context.environment.size());
  append_seal_aad(aad, std::string_view(out).substr(0, header_size), context);
  std::string tag;
  if (!aes256gcm_encrypt(view_of(active->second), nonce, aad, plaintext, out, tag)) {
    return fail(errc::CryptoInternal, {}, "AES-256-GCM seal");
  }
  out += tag;
  return out;
}

Result<std::string> Sealer::open(const SealContext& context, std::string_view sealed) {
  auto view = parse_sealed(sealed);
  if (!view) return decrypt_failed("not a sealed value");
  DataKeyBytes key;
  KeyScrubber scrub{key};
  if (auto cached = cache_.get(view->key_id, context.environment, context.organization)) {
    key = *cached;
  } else {
    auto record = repository_.find(view->key_id);
    if (!record) {
      if (record.error().code == errc::CryptoDataKeyNotFound) {
        return decrypt_failed("unknown data key");
      }
      return fail(record.error());
    }
    if (record->environment != context.environment ||
        record->organization != context.organization) {
      return decrypt_failed("data key belongs to another organization");
    }
    auto unwrapped = unwrap(*record);
    if (!unwrapped) return fail(unwrapped.error());
    key = *unwrapped;
  }
  thread_local std::string aad;  // reused: the AAD is rebuilt for every value
  aad.clear();
  append_seal_aad(aad, view->header, context);
  std::string plaintext;
  if (!aes256gcm_decrypt(view_of(key), view->nonce, aad, view->ciphertext, view->tag, plaintext)) {
    return decrypt_failed("sealed value does not authenticate in this context");
  }
  return plaintext;
}

Result<size_t> Sealer::rewrap(std::string_view from_kek_id, std::string_view to_kek_id,
                              std::string_view organization) {
  auto from = keks_.find(from_kek_id);
  if (!from) return fail(from.error());
  auto to = keks_.find(to_kek_id);
  if (!to) return fail(to.error());
  auto records = repository_.list_by_kek(from_kek_id);
  if (!records) return fail(records.error());
  size_t count = 0;
  for (const auto& record : *records) {
    if (!organization.empty() && record.organization != organization) continue;
    const std::string context = wrap_context(record);
    auto key = (*from)->unwrap(record.wrapped, context);
    if (!key) return fail(key.error());
    auto wrapped = (*to)->wrap(*key, context);
    cleanse(*key);
    if (!wrapped) return fail(wrapped.error());
    if (auto ok = repository_.update_wrapping(record.id, to_kek_id, *wrapped); !ok) {
      return fail(ok.error());
    }
    ++count;
  }
  return count;
}

void Sealer::forget(std::string_view environment, std::string_view organization) {
  cache_.forget_organization(environment, organization);
}

void Sealer::forget_all() { cache_.clear(); }

}  // namespace gh::crypto
