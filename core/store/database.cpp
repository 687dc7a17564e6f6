// SQLite connection, statements and migrations (see database.h).
#include "core/store/database.h"

#include "core/util/fault.h"

#include "core/store/migrations.h"

#include <sqlite3.h>

#include <filesystem>
#include <unistd.h>

namespace clir::store {
namespace {

constexpr int kBusyTimeoutMs = 15000;  // how long a writer waits for another process's lock

// Errors name the database file ("runs.db: SQL failed [...]: database or disk is full").
std::string fileOf(sqlite3* db) {
    const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
    return file && *file ? std::string(file) + ": " : std::string();
}

[[noreturn]] void fail(sqlite3* db, const std::string& context) {
    std::string msg = fileOf(db) + context + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
    throw DatabaseError(msg);
}

}  // namespace

Statement::Statement(sqlite3* db, const std::string& sql) : db_(db), sql_(sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
        fail(db, "cannot prepare SQL [" + sql + "]");
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), sql_(std::move(other.sql_)) {
    other.stmt_ = nullptr;
}

Statement& Statement::bind(int index, std::int64_t value) {
    if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
    return *this;
}
Statement& Statement::bind(int index, double value) {
    if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
    return *this;
}
Statement& Statement::bind(int index, const std::string& value) {
    if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                          SQLITE_TRANSIENT) != SQLITE_OK)
        fail(db_, "bind");
    return *this;
}
Statement& Statement::bindBlob(int index, const void* data, std::size_t size) {
    if (sqlite3_bind_blob64(stmt_, index, data, size, SQLITE_TRANSIENT) != SQLITE_OK)
        fail(db_, "bind");
    return *this;
}
Statement& Statement::bindNull(int index) {
    if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) fail(db_, "bind");
    return *this;
}

bool Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, "SQL failed [" + sql_ + "]");
}

void Statement::run() {
    while (step()) {
    }
    reset();
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

bool Statement::isNull(int c) const {
    return sqlite3_column_type(stmt_, c) == SQLITE_NULL;
}
std::int64_t Statement::int64(int c) const {
    return sqlite3_column_int64(stmt_, c);
}
double Statement::real(int c) const {
    return sqlite3_column_double(stmt_, c);
}
std::string Statement::text(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c))) : "";
}
std::vector<unsigned char> Statement::blob(int c) const {
    const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, c));
    return p ? std::vector<unsigned char>(p, p + sqlite3_column_bytes(stmt_, c))
             : std::vector<unsigned char>{};
}

Database::Database(const std::string& path) : Database(path, schemaMigrations()) {}

Database::Database(const std::string& path, const std::vector<Migration>& migrations)
    : path_(path) {
    std::filesystem::path p(path);
    if (p.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(p.parent_path(), ec);
    }
    // Why a database cannot be opened or written when the cause is its place on disk.
    auto readOnlyHint = [&]() -> std::string {
        const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
        if (::access(dir.c_str(), W_OK) != 0 ||
            (std::filesystem::exists(p) && ::access(path.c_str(), W_OK) != 0))
            return " (the database or its folder is read-only: clirlab writes the database and "
                   "its -wal and -shm files beside it; copy it somewhere writable)";
        return "";
    };
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
        std::string msg = path + ": cannot open database: " + sqlite3_errmsg(db_) + readOnlyHint();
        sqlite3_close(db_);
        throw DatabaseError(msg);
    }
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    try {
        // The first read of a file that is not SQLite fails here ("file is not a database").
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA foreign_keys=ON");
        exec("PRAGMA synchronous=NORMAL");
        migrate(migrations);
    } catch (const DatabaseError& e) {
        sqlite3_close(db_);
        db_ = nullptr;
        const std::string what = e.what() + readOnlyHint();
        throw DatabaseError(what.find(path) == std::string::npos ? path + ": " + what : what);
    }
}

Database::~Database() {
    sqlite3_close(db_);
}

int Database::schemaVersion() {
    Statement s(db_, "PRAGMA user_version");
    s.step();
    return static_cast<int>(s.int64(0));
}

void Database::exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = fileOf(db_) + (err ? err : sqlite3_errmsg(db_));
        sqlite3_free(err);
        throw DatabaseError(msg);
    }
}

std::int64_t Database::lastInsertId() const {
    return sqlite3_last_insert_rowid(db_);
}
int Database::changes() const {
    return sqlite3_changes(db_);
}

void Database::migrate(const std::vector<Migration>& migrations) {
    int newest = migrations.empty() ? 0 : migrations.back().version;
    int current = schemaVersion();
    if (current > newest)
        throw DatabaseError("schema version " + std::to_string(current) +
                            " is newer than this clirlab understands (" + std::to_string(newest) +
                            "); upgrade clirlab");
    for (const auto& m : migrations) {
        if (m.version <= current) continue;
        Transaction tx(*this);
        // Re-read under the write lock: another process may have migrated meanwhile.
        if (schemaVersion() >= m.version) continue;
        try {
            exec(m.sql);
        } catch (const DatabaseError& e) {
            throw DatabaseError("migration to schema version " + std::to_string(m.version) + " (" +
                                m.description + ") failed: " + e.what());
        }
        exec("PRAGMA user_version=" + std::to_string(m.version));
        tx.commit();
    }
}

Database::Transaction::Transaction(Database& db) : db_(db) {
    db_.exec("BEGIN IMMEDIATE");
}

Database::Transaction::~Transaction() {
    if (!done_) {
        try {
            db_.exec("ROLLBACK");
        } catch (...) {
        }
    }
}

void Database::Transaction::commit() {
    fault::point("store.commit");
    db_.exec("COMMIT");
    done_ = true;
}

}  // namespace clir::store
