#include "vault/store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/file.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"
#include "vault/sqlite.hpp"

namespace ward {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE header(key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE secrets(
  path TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  rotated INTEGER NOT NULL,
  owner TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '',
  meta TEXT NOT NULL DEFAULT '{}');
CREATE TABLE versions(
  path TEXT NOT NULL,
  version INTEGER NOT NULL,
  created INTEGER NOT NULL,
  sealed BLOB NOT NULL,
  PRIMARY KEY(path, version));
CREATE TABLE settings(name TEXT PRIMARY KEY, sealed BLOB NOT NULL);
PRAGMA user_version = 1;
)sql";

Result<sqlite3*> open_db(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    auto err = sqlite_error(db, rc, fmt::format("cannot open {}", path));
    sqlite3_close_v2(db);
    return err;
  }
  sqlite3_busy_timeout(db, 15000);
  return db;
}

Status configure(sqlite3* db) {
  return sqlite_exec(db, "PRAGMA secure_delete=ON; PRAGMA synchronous=FULL;");
}

Status put_header_value(sqlite3* db, const char* key, std::span<const std::uint8_t> value) {
  auto stmt = TRY(Stmt::prepare(db, "INSERT OR REPLACE INTO header(key, value) VALUES(?, ?)"));
  stmt.bind(1, key).bind(2, value);
  return stmt.run();
}

Status write_header(sqlite3* db, const VaultHeader& h) {
  TRY(put_header_value(db, "format", as_bytes(std::to_string(h.format))));
  TRY(put_header_value(db, "kdf", as_bytes("argon2id13")));
  TRY(put_header_value(db, "opslimit", as_bytes(std::to_string(h.kdf.opslimit))));
  TRY(put_header_value(db, "memlimit", as_bytes(std::to_string(h.kdf.memlimit))));
  TRY(put_header_value(db, "salt", h.salt));
  TRY(put_header_value(db, "wrapped_key", h.wrapped_key));
  TRY(put_header_value(db, "vault_id", as_bytes(h.vault_id)));
  TRY(put_header_value(db, "created", as_bytes(std::to_string(h.created))));
  return {};
}

std::string meta_json(const SecretMeta& m) {
  nlohmann::json j = nlohmann::json::object();
  if (!m.note.empty()) j["note"] = m.note;
  if (!m.location.empty()) j["location"] = m.location;
  if (m.rotate_every) j["rotate_every"] = m.rotate_every;
  if (m.expires) j["expires"] = m.expires;
  return j.dump();
}

void parse_meta_json(const std::string& text, SecretMeta& m) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return;
  m.note = j.value("note", "");
  m.location = j.value("location", "");
  m.rotate_every = j.value("rotate_every", std::int64_t{0});
  m.expires = j.value("expires", std::int64_t{0});
}

SecretInfo row_to_info(const Stmt& s) {
  SecretInfo info;
  info.path = s.text(0);
  info.version = s.int64(1);
  info.created = s.int64(2);
  info.updated = s.int64(3);
  info.rotated = s.int64(4);
  info.meta.owner = s.text(5);
  std::string tags = s.text(6);
  if (!tags.empty()) info.meta.tags = split(tags, ',');
  parse_meta_json(s.text(7), info.meta);
  return info;
}

constexpr const char* kInfoColumns =
    "SELECT path, version, created, updated, rotated, owner, tags, meta FROM secrets";

}  // namespace

Result<Store> Store::create(const std::string& path, const VaultHeader& header) {
  TRY(ensure_private_dir(dirname_of(path)));
  if (path_exists(path)) {
    return fail(Code::already_exists, fmt::format("a vault already exists at {}", path),
                "remove it first, or set WARD_HOME to another directory");
  }
  // Build the vault beside its final name and publish it with link(), which
  // refuses to replace a vault created meanwhile.
  std::string tmp = fmt::format("{}.init.{}", path, ::getpid());
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return errno_error(Code::io, fmt::format("cannot create {}", tmp));
  }
  auto cleanup = [&] {
    ::unlink(tmp.c_str());
    ::unlink((tmp + "-wal").c_str());
    ::unlink((tmp + "-shm").c_str());
  };
  {
    Store store;
    auto db = open_db(tmp, SQLITE_OPEN_READWRITE);
    if (!db) {
      cleanup();
      return tl::unexpected(db.error());
    }
    store.db_.reset(*db);
    auto built = [&]() -> Status {
      TRY(sqlite_exec(*db, "PRAGMA journal_mode=WAL;"));
      TRY(configure(*db));
      auto tx = TRY(Transaction::begin(*db));
      TRY(sqlite_exec(*db, kSchema));
      TRY(write_header(*db, header));
      return tx.commit();
    }();
    if (!built) {
      store.db_.reset();
      cleanup();
      return tl::unexpected(built.error());
    }
  }
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    cleanup();
    errno = saved;
    if (saved == EEXIST) {
      return fail(Code::already_exists, fmt::format("a vault already exists at {}", path));
    }
    return errno_error(Code::io, fmt::format("cannot create {}", path));
  }
  cleanup();
  Fd dir(::open(dirname_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir) ::fsync(dir.get());
  return open(path);
}

Result<Store> Store::open(const std::string& path) {
  if (!path_exists(path)) {
    return fail(Code::not_found, fmt::format("no vault at {}", path),
                "run 'ward init' to create one");
  }
  TRY(check_private(dirname_of(path)));
  TRY(check_private(path));
  Store store;
  store.path_ = path;
  store.db_.reset(TRY(open_db(path, SQLITE_OPEN_READWRITE)));
  TRY(configure(store.db_.get()));
  TRY(store.load_header());
  return store;
}

Status Store::load_header() {
  sqlite3* db = db_.get();
  auto stmt = Stmt::prepare(db, "SELECT key, value FROM header");
  if (!stmt) {
    if (stmt.error().code == Code::corrupt) return tl::unexpected(stmt.error());
    return fail(Code::corrupt, fmt::format("{} is not a ward vault", path_),
                "check WARD_HOME, or restore vault.db from a backup");
  }
  VaultHeader h;
  int seen = 0;
  while (TRY(stmt->step())) {
    std::string key = stmt->text(0);
    Bytes value = stmt->blob(1);
    std::string text(value.begin(), value.end());
    try {
      if (key == "format")
        h.format = std::stoi(text), seen |= 1;
      else if (key == "opslimit")
        h.kdf.opslimit = std::stoull(text), seen |= 2;
      else if (key == "memlimit")
        h.kdf.memlimit = std::stoull(text), seen |= 4;
      else if (key == "salt")
        h.salt = value, seen |= 8;
      else if (key == "wrapped_key")
        h.wrapped_key = value, seen |= 16;
      else if (key == "vault_id")
        h.vault_id = text;
      else if (key == "created")
        h.created = std::stoll(text);
    } catch (const std::exception&) {
      return fail(Code::corrupt, fmt::format("vault header field '{}' is damaged", key));
    }
  }
  if (seen != 31) return fail(Code::corrupt, fmt::format("{} has an incomplete header", path_));
  if (h.format != 1) {
    return fail(Code::corrupt, fmt::format("vault format {} is not supported", h.format),
                "upgrade ward");
  }
  header_ = std::move(h);
  return {};
}

Status Store::rewrap(const VaultHeader& header) {
  auto tx = TRY(Transaction::begin(db_.get()));
  TRY(write_header(db_.get(), header));
  TRY(tx.commit());
  header_ = header;
  return {};
}

Result<std::int64_t> Store::put(const std::string& path,
                                const std::function<Bytes(std::int64_t)>& seal_fn,
                                const MetaUpdate& update) {
  sqlite3* db = db_.get();
  auto tx = TRY(Transaction::begin(db));
  std::int64_t now = now_unix_s();
  std::optional<SecretInfo> existing;
  {
    auto q = TRY(Stmt::prepare(db, (std::string(kInfoColumns) + " WHERE path = ?").c_str()));
    q.bind(1, path);
    if (TRY(q.step())) existing = row_to_info(q);
  }
  std::int64_t version = 1;
  {
    auto q =
        TRY(Stmt::prepare(db, "SELECT COALESCE(MAX(version), 0) FROM versions WHERE path = ?"));
    q.bind(1, path);
    if (TRY(q.step())) version = q.int64(0) + 1;
  }
  SecretMeta meta = existing ? existing->meta : SecretMeta{};
  if (update.owner) meta.owner = *update.owner;
  if (update.note) meta.note = *update.note;
  if (update.location) meta.location = *update.location;
  if (update.tags) meta.tags = *update.tags;
  if (update.rotate_every) meta.rotate_every = *update.rotate_every;
  if (update.expires) meta.expires = *update.expires;

  Bytes sealed_value = seal_fn(version);
  auto ins = TRY(
      Stmt::prepare(db, "INSERT INTO versions(path, version, created, sealed) VALUES(?, ?, ?, ?)"));
  ins.bind(1, path).bind(2, version).bind(3, now).bind(4, sealed_value);
  TRY(ins.run());
  auto up = TRY(Stmt::prepare(
      db,
      "INSERT INTO secrets(path, version, created, updated, rotated, owner, tags, meta) "
      "VALUES(?1, ?2, ?3, ?3, ?3, ?4, ?5, ?6) ON CONFLICT(path) DO UPDATE SET "
      "version = ?2, updated = ?3, rotated = ?3, owner = ?4, tags = ?5, meta = ?6"));
  up.bind(1, path).bind(2, version).bind(3, now).bind(4, meta.owner).bind(5, join(meta.tags, ","));
  up.bind(6, meta_json(meta));
  TRY(up.run());
  TRY(tx.commit());
  return version;
}

Result<Bytes> Store::sealed(const std::string& path, std::int64_t version,
                            std::int64_t* out_version) {
  auto q = TRY(Stmt::prepare(
      db_.get(), version == 0 ? "SELECT v.sealed, v.version FROM versions v JOIN secrets s "
                                "ON s.path = v.path AND s.version = v.version WHERE v.path = ?1"
                              : "SELECT v.sealed, v.version FROM versions v JOIN secrets s "
                                "ON s.path = v.path WHERE v.path = ?1 AND v.version = ?2"));
  q.bind(1, path);
  if (version) q.bind(2, version);
  if (!TRY(q.step())) {
    if (version) {
      return fail(Code::not_found, fmt::format("secret {} has no version {}", path, version),
                  fmt::format("see 'ward history {}'", path));
    }
    return fail(Code::not_found, fmt::format("no secret named {}", path),
                "see 'ward ls' for the names in the vault");
  }
  if (out_version) *out_version = q.int64(1);
  return q.blob(0);
}

Result<SecretInfo> Store::info(const std::string& path) {
  auto q = TRY(Stmt::prepare(db_.get(), (std::string(kInfoColumns) + " WHERE path = ?").c_str()));
  q.bind(1, path);
  if (!TRY(q.step())) {
    return fail(Code::not_found, fmt::format("no secret named {}", path),
                "see 'ward ls' for the names in the vault");
  }
  return row_to_info(q);
}

Result<std::vector<SecretInfo>> Store::list(const std::string& prefix) {
  std::vector<SecretInfo> out;
  // Prefix match on whole segments: "llm" matches "llm/x" and "llm", not "llmx".
  auto q = TRY(Stmt::prepare(
      db_.get(), (std::string(kInfoColumns) +
                  " WHERE ?1 = '' OR path = ?1 OR substr(path, 1, length(?1) + 1) = ?1 || '/' "
                  "ORDER BY path")
                     .c_str()));
  std::string p = prefix;
  while (!p.empty() && p.back() == '/') p.pop_back();
  q.bind(1, p);
  while (TRY(q.step())) out.push_back(row_to_info(q));
  return out;
}

Result<std::vector<VersionInfo>> Store::history(const std::string& path) {
  TRY(info(path));
  auto q = TRY(Stmt::prepare(
      db_.get(), "SELECT version, created FROM versions WHERE path = ? ORDER BY version"));
  q.bind(1, path);
  std::vector<VersionInfo> out;
  while (TRY(q.step())) out.push_back({q.int64(0), q.int64(1)});
  return out;
}

Status Store::remove(const std::string& path) {
  auto tx = TRY(Transaction::begin(db_.get()));
  auto del = TRY(Stmt::prepare(db_.get(), "DELETE FROM secrets WHERE path = ?"));
  del.bind(1, path);
  TRY(del.run());
  if (sqlite3_changes(db_.get()) == 0) {
    return fail(Code::not_found, fmt::format("no secret named {}", path),
                "see 'ward ls' for the names in the vault");
  }
  auto delv = TRY(Stmt::prepare(db_.get(), "DELETE FROM versions WHERE path = ?"));
  delv.bind(1, path);
  TRY(delv.run());
  return tx.commit();
}

Status Store::rename(const std::string& from, const std::string& to,
                     const std::function<Result<Bytes>(const Bytes&, std::int64_t)>& reseal) {
  sqlite3* db = db_.get();
  auto tx = TRY(Transaction::begin(db));
  {
    auto q = TRY(Stmt::prepare(db, "SELECT 1 FROM secrets WHERE path = ?"));
    q.bind(1, from);
    if (!TRY(q.step())) {
      return fail(Code::not_found, fmt::format("no secret named {}", from),
                  "see 'ward ls' for the names in the vault");
    }
    auto q2 = TRY(Stmt::prepare(db, "SELECT 1 FROM secrets WHERE path = ?"));
    q2.bind(1, to);
    if (TRY(q2.step())) {
      return fail(Code::already_exists, fmt::format("a secret named {} already exists", to),
                  fmt::format("remove it first with 'ward rm {}'", to));
    }
  }
  // Versions of a deleted secret of the target name would collide.
  auto purge = TRY(Stmt::prepare(db, "DELETE FROM versions WHERE path = ?"));
  purge.bind(1, to);
  TRY(purge.run());
  auto q = TRY(Stmt::prepare(db, "SELECT version, sealed FROM versions WHERE path = ?"));
  q.bind(1, from);
  std::vector<std::pair<std::int64_t, Bytes>> resealed;
  while (TRY(q.step())) {
    std::int64_t v = q.int64(0);
    resealed.emplace_back(v, TRY(reseal(q.blob(1), v)));
  }
  for (auto& [v, blob] : resealed) {
    auto up = TRY(Stmt::prepare(
        db, "UPDATE versions SET path = ?1, sealed = ?2 WHERE path = ?3 AND version = ?4"));
    up.bind(1, to).bind(2, blob).bind(3, from).bind(4, v);
    TRY(up.run());
  }
  auto mv = TRY(Stmt::prepare(db, "UPDATE secrets SET path = ?1, updated = ?2 WHERE path = ?3"));
  mv.bind(1, to).bind(2, now_unix_s()).bind(3, from);
  TRY(mv.run());
  return tx.commit();
}

Result<std::optional<Bytes>> Store::setting(const std::string& name) {
  auto q = TRY(Stmt::prepare(db_.get(), "SELECT sealed FROM settings WHERE name = ?"));
  q.bind(1, name);
  if (!TRY(q.step())) return std::optional<Bytes>();
  return std::optional<Bytes>(q.blob(0));
}

Status Store::put_setting(const std::string& name, const Bytes& sealed_value) {
  auto q =
      TRY(Stmt::prepare(db_.get(), "INSERT OR REPLACE INTO settings(name, sealed) VALUES(?, ?)"));
  q.bind(1, name).bind(2, sealed_value);
  return q.run();
}

Status Store::remove_setting(const std::string& name) {
  auto q = TRY(Stmt::prepare(db_.get(), "DELETE FROM settings WHERE name = ?"));
  q.bind(1, name);
  return q.run();
}

}  // namespace ward
