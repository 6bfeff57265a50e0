#include "tenancy/sealing.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/encoding.h"
#include "core/log.h"
#include "crypto/error_codes.h"
#include "crypto/kek/local_kek.h"
#include "crypto/kek/pkcs11_kek.h"

namespace gh::tenancy {

namespace {

constexpr int64_t kKekLookupTtlMs = 30'000;

crypto::DataKeyRecord to_record(const store::DataKeyRow& r) {
  return {r.id,      r.environment_id, r.organization_id, r.kek_id,
          r.wrapped, r.active,         r.created_at_ms};
}

std::string fingerprint(std::string_view material) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(material.data(), material.size(), md, &n, EVP_sha256(), nullptr);
  return to_hex(std::string_view(reinterpret_cast<const char*>(md), 8));
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Result<KeySettings> read_settings(store::Repositories& repos, std::string_view env,
                                  std::string_view org, int64_t* version = nullptr) {
  auto row = repos.keys().get_settings(env, org);
  if (!row) return fail(row.error());
  if (version) *version = *row ? (*row)->version : 0;
  if (!*row) return KeySettings{};
  return KeySettings::from_json(nlohmann::json::parse((*row)->settings, nullptr, false));
}

}  // namespace

// ---- StoreDataKeys ------------------------------------------------------------------------

Result<crypto::DataKeyRecord> StoreDataKeys::find(std::string_view id) {
  return store_.read<crypto::DataKeyRecord>(
      [&](store::Repositories& r) -> Result<crypto::DataKeyRecord> {
        auto row = r.keys().find_data_key(id);
        if (!row) return fail(row.error());
        return to_record(*row);
      });
}

Result<std::optional<crypto::DataKeyRecord>> StoreDataKeys::find_active(
    std::string_view environment, std::string_view organization) {
  return store_.read<std::optional<crypto::DataKeyRecord>>(
      [&](store::Repositories& r) -> Result<std::optional<crypto::DataKeyRecord>> {
        auto row = r.keys().find_active_data_key(environment, organization);
        if (!row) return fail(row.error());
        if (!*row) return std::optional<crypto::DataKeyRecord>();
        return std::optional<crypto::DataKeyRecord>(to_record(**row));
      });
}

Result<void> StoreDataKeys::insert_active(const crypto::DataKeyRecord& rec) {
  auto done = store_.transact<bool>([&](store::Repositories& r) -> Result<bool> {
    store::DataKeyRow row{rec.id, rec.environment, rec.organization, rec.kek_id, rec.wrapped,
                          true,   rec.created_ms};
    if (auto ok = r.keys().insert_active_data_key(row); !ok) return fail(ok.error());
    return true;
  });
  if (!done) return fail(done.error());
  return {};
}

Result<void> StoreDataKeys::update_wrapping(std::string_view id, std::string_view kek_id,
                                            std::string_view wrapped) {
  auto done = store_.transact<bool>([&](store::Repositories& r) -> Result<bool> {
    if (auto ok = r.keys().rewrap_data_key(id, kek_id, wrapped); !ok) return fail(ok.error());
    return true;
  });
  if (!done) return fail(done.error());
  return {};
}

Result<std::vector<crypto::DataKeyRecord>> StoreDataKeys::list_by_kek(std::string_view kek_id) {
  return store_.read<std::vector<crypto::DataKeyRecord>>(
      [&](store::Repositories& r) -> Result<std::vector<crypto::DataKeyRecord>> {
        auto rows = r.keys().list_data_keys_by_kek(kek_id);
        if (!rows) return fail(rows.error());
        std::vector<crypto::DataKeyRecord> out;
        for (const auto& row : *rows) out.push_back(to_record(row));
        return out;
      });
}

// ---- Sealing ------------------------------------------------------------------------------

Sealing::Sealing(store::Store& store, std::shared_ptr<crypto::KekProvider> master,
                 std::vector<std::string> allowed_modules, const Clock& clock, Random& random)
    : store_(store),
      clock_(clock),
      random_(random),
      allowed_modules_(std::move(allowed_modules)),
      master_id_(master->id()),
      data_keys_(store),
      sealer_(data_keys_, keks_, clock, random) {
  (void)keks_.add(std::move(master));
  handle_->self = this;
  // A changed KEK (another node re-keyed an organization) must not wait for the cache TTL.
  store.changes().subscribe([handle = handle_](const store::Change& c) {
    std::lock_guard guard(handle->mu);
    Sealing* self = handle->self;
    if (!self) return;
    if (c.flush_all()) {
      std::lock_guard lock(self->mu_);
      self->kek_by_org_.clear();
      self->sealer_.forget_all();
    } else if (c.topic == "kek") {
      const size_t slash = c.key.find('/');
      if (slash != std::string::npos) {
        self->forget(c.key.substr(0, slash), c.key.substr(slash + 1));
      }
    }
  });
}

Sealing::~Sealing() {
  std::lock_guard guard(handle_->mu);
  handle_->self = nullptr;
}

Result<std::shared_ptr<crypto::KekProvider>> Sealing::load_master_key(const Config& config,
                                                                      Random& random) {
  std::string material;
  if (const char* v = std::getenv("GATEHOUSE_MASTER_KEY"); v && *v) {
    auto key = crypto::LocalKek::decode_key_text(v);
    if (!key) return fail(key.error());
    material = std::move(*key);
  } else {
    const std::string path =
        config.master_key_file.empty() ? config.data_dir + "/master.key" : config.master_key_file;
    if (!std::filesystem::exists(path)) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
      const mode_t old = umask(077);
      std::ofstream out(path);
      out << random.hex(32) << "\n";
      umask(old);
      if (!out) {
        return fail(errc::CryptoKekInvalid, "Cannot create the master key file " + path);
      }
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    if (text.size() == 32) {
      material = text;
    } else {
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
        text.pop_back();
      }
      auto key = crypto::LocalKek::decode_key_text(text);
      if (!key) {
        return fail(errc::CryptoKekInvalid,
                    "The master key file " + path + " must hold 256 bits (raw, hex or base64)");
      }
      material = std::move(*key);
    }
  }
  const std::string id = "local:" + fingerprint(material);
  return crypto::LocalKek::from_bytes(id, std::move(material), random);
}

Result<std::unique_ptr<Sealing>> Sealing::open(const Config& config, store::Store& store) {
  auto master = load_master_key(config);
  if (!master) return fail(master.error());
  return std::make_unique<Sealing>(store, std::move(*master),
                                   split_list(config.kek_pkcs11_modules));
}

void Sealing::forget(std::string_view environment_id, std::string_view organization_id) {
  {
    std::lock_guard lock(mu_);
    kek_by_org_.erase(std::string(environment_id) + "/" + std::string(organization_id));
  }
  sealer_.forget(environment_id, organization_id);
}

Result<std::shared_ptr<crypto::KekProvider>> Sealing::open_customer_kek(
    std::string_view environment_id, const CustomerKekSettings& s, const std::string& pin) {
  (void)environment_id;
  if (std::find(allowed_modules_.begin(), allowed_modules_.end(), s.module_path) ==
      allowed_modules_.end()) {
    return fail(errc::CryptoKekModuleNotAllowed,
                "The PKCS#11 module '" + s.module_path +
                    "' is not in the operator's allow-list (kek_pkcs11_modules)");
  }
  crypto::Pkcs11KekConfig c{s.id, s.module_path, s.token_label, pin, s.key_label};
  auto kek = crypto::Pkcs11Kek::open(std::move(c), random_);
  if (!kek) {
    // A token that cannot be opened is the customer's key being unavailable.
    if (kek.error().code == errc::CryptoCustomerKeyUnavailable) return fail(kek.error());
    return fail(errc::CryptoCustomerKeyUnavailable,
                "The organization's key-encryption key cannot be reached", kek.error().detail);
  }
  return std::shared_ptr<crypto::KekProvider>(std::move(*kek));
}

Result<std::string> Sealing::kek_for(std::string_view environment_id,
                                     std::string_view organization_id) {
  if (organization_id.empty()) return master_id_;
  const std::string cache_key = std::string(environment_id) + "/" + std::string(organization_id);
  const int64_t now = clock_.now_ms();
  {
    std::lock_guard lock(mu_);
    auto it = kek_by_org_.find(cache_key);
    if (it != kek_by_org_.end() && it->second.expires_ms > now) return it->second.kek_id;
  }
  auto settings = store_.read<KeySettings>(
      [&](store::Repositories& r) { return read_settings(r, environment_id, organization_id); });
  if (!settings) return fail(settings.error());
  std::string id = master_id_;
  if (settings->kek) {
    id = settings->kek->id;
    if (!keks_.find(id)) {
      auto sealed_pin = base64_decode(settings->kek->pin_sealed);
      auto pin = sealer_.open({environment_id, "", "key_settings", organization_id, "kek.pin"},
                              sealed_pin ? *sealed_pin : std::string());
      if (!pin) return fail(pin.error());
      auto kek = open_customer_kek(environment_id, *settings->kek, *pin);
      if (!kek) return fail(kek.error());
      (void)keks_.add(std::move(*kek));
    }
  }
  std::lock_guard lock(mu_);
  kek_by_org_[cache_key] = {id, now + kKekLookupTtlMs};
  return id;
}

Result<std::string> Sealing::seal(const crypto::SealContext& context, std::string_view plaintext) {
  auto kek = kek_for(context.environment, context.organization);
  if (!kek) return fail(kek.error());
  auto sealed = sealer_.seal(context, plaintext);
  if (sealed || sealed.error().code != errc::CryptoDataKeyNotFound) return sealed;
  // The organization's first sealed value: its data key, under its KEK.
  if (auto created = sealer_.create_data_key(context.environment, context.organization, *kek);
      !created) {
    return fail(created.error());
  }
  return sealer_.seal(context, plaintext);
}

Result<std::string> Sealing::open(const crypto::SealContext& context, std::string_view sealed) {
  if (auto kek = kek_for(context.environment, context.organization); !kek) {
    return fail(kek.error());
  }
  return sealer_.open(context, sealed);
}

Result<void> Sealing::check(std::string_view environment_id, std::string_view organization_id) {
  // Sealing nothing still needs the organization's active data key unwrapped by its KEK
  // (cached at most 60 s): exactly the availability of the organization's key.
  auto probe = seal({environment_id, organization_id, "kek_probe", "", ""}, "");
  if (!probe) return fail(probe.error());
  return {};
}

nlohmann::json Sealing::status(std::string_view environment_id, std::string_view organization_id) {
  nlohmann::json j;
  auto kek = kek_for(environment_id, organization_id);
  const std::string id = kek ? *kek : std::string();
  j["kek_id"] = id.empty() ? nlohmann::json(nullptr) : nlohmann::json(id);
  j["provider"] = id.rfind("pkcs11:", 0) == 0 ? "pkcs11" : "local";
  auto ok = kek ? check(environment_id, organization_id) : Result<void>(fail(kek.error()));
  j["status"] = ok ? "available" : "unavailable";
  if (!ok)
    j["error"] = {{"code", std::string(ok.error().code_name())}, {"message", ok.error().text()}};
  j["cache_ttl_ms"] = sealer_.cache().ttl().count();
  return j;
}

Result<size_t> Sealing::rekey(std::string_view environment_id, std::string_view organization_id,
                              const std::optional<CustomerKeyInput>& input, KeySettings& settings) {
  const std::string previous = settings.kek ? settings.kek->id : master_id_;
  std::string target = master_id_;
  if (input) {
    CustomerKekSettings s;
    s.module_path = input->module_path;
    s.token_label = input->token_label;
    s.key_label = input->key_label;
    s.id = "pkcs11:" + std::string(organization_id) + ":" +
           fingerprint(input->module_path + "\n" + input->token_label + "\n" + input->key_label);
    auto kek = open_customer_kek(environment_id, s, input->pin);
    if (!kek) return fail(kek.error());
    // Probe: the key must wrap and unwrap now, or the organization would lock itself out.
    const std::string probe = random_.bytes(32);
    auto wrapped = (*kek)->wrap(probe, "probe");
    if (!wrapped) return fail(wrapped.error());
    auto back = (*kek)->unwrap(*wrapped, "probe");
    if (!back || *back != probe) {
      return fail(errc::CryptoCustomerKeyUnavailable,
                  "The key on the token cannot wrap and unwrap (check CKA_WRAP/CKA_UNWRAP or "
                  "CKA_ENCRYPT/CKA_DECRYPT and the key label)");
    }
    keks_.remove(s.id);
    (void)keks_.add(std::move(*kek));
    auto pin_sealed =
        sealer_.seal({environment_id, "", "key_settings", organization_id, "kek.pin"}, input->pin);
    if (!pin_sealed) {
      // The environment's data key does not exist yet: create it under the master key.
      if (pin_sealed.error().code != errc::CryptoDataKeyNotFound) {
        return fail(pin_sealed.error());
      }
      if (auto c = sealer_.create_data_key(environment_id, "", master_id_); !c) {
        return fail(c.error());
      }
      pin_sealed = sealer_.seal({environment_id, "", "key_settings", organization_id, "kek.pin"},
                                input->pin);
      if (!pin_sealed) return fail(pin_sealed.error());
    }
    s.pin_sealed = base64_encode(*pin_sealed);
    target = s.id;
    settings.kek = s;
  } else {
    settings.kek.reset();
  }
  // Make sure the previous KEK is loaded (it unwraps the organization's existing data keys).
  if (previous != master_id_ && !keks_.find(previous)) {
    if (auto k = kek_for(environment_id, organization_id); !k) return fail(k.error());
  }
  size_t count = 0;
  if (previous != target) {
    auto n = sealer_.rewrap(previous, target, organization_id);
    if (!n) return fail(n.error());
    count = *n;
  }
  // New values are sealed under a fresh data key wrapped by the new KEK.
  if (auto c = sealer_.create_data_key(environment_id, organization_id, target); !c) {
    return fail(c.error());
  }
  forget(environment_id, organization_id);
  {
    std::lock_guard lock(mu_);
    kek_by_org_[std::string(environment_id) + "/" + std::string(organization_id)] = {
        target, clock_.now_ms() + kKekLookupTtlMs};
  }
  return count;
}

Result<size_t> Sealing::rotate_master(std::shared_ptr<crypto::KekProvider> old_master) {
  const std::string old_id = old_master->id();
  if (old_id == master_id_) return size_t{0};
  keks_.remove(old_id);
  if (auto ok = keks_.add(std::move(old_master)); !ok) return fail(ok.error());
  auto n = sealer_.rewrap(old_id, master_id_);
  keks_.remove(old_id);
  sealer_.forget_all();
  return n;
}

}  // namespace gh::tenancy
