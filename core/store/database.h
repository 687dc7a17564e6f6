// A thin RAII layer over SQLite: one connection, prepared statements, transactions and
// forward schema migrations (SPEC 6). WAL, busy timeout and foreign keys are always on.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace clir::store {

class DatabaseError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct Migration {
    int version;              // the schema version this step produces
    std::string description;  // shown when it is applied
    std::string sql;          // run inside one transaction with the version bump
};

class Statement {
  public:
    Statement(sqlite3* db, const std::string& sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement& operator=(Statement&&) = delete;

    // Parameters are 1-based, as in SQLite.
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, std::int64_t(value)); }
    Statement& bind(int index, double value);
    Statement& bind(int index, const std::string& value);
    Statement& bind(int index, const char* value) { return bind(index, std::string(value)); }
    Statement& bindBlob(int index, const void* data, std::size_t size);
    Statement& bindNull(int index);
    template <typename T>
    Statement& bind(int index, const std::optional<T>& v) {
        return v ? bind(index, *v) : bindNull(index);
    }

    bool step();  // true while a row is available
    void run();   // steps a statement that returns no rows
    void reset();

    bool isNull(int column) const;
    std::int64_t int64(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    std::vector<unsigned char> blob(int column) const;

  private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string sql_;
};

class Database {
  public:
    // Opens (creating if needed) and migrates to the newest schema in `migrations`.
    // Errors name the file: not a database, locked, newer schema than this program knows.
    explicit Database(const std::string& path);
    Database(const std::string& path, const std::vector<Migration>& migrations);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    const std::string& path() const { return path_; }
    int schemaVersion();
    void exec(const std::string& sql);
    Statement prepare(const std::string& sql) { return Statement(db_, sql); }
    std::int64_t lastInsertId() const;
    int changes() const;

    // BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed without commit().
    class Transaction {
      public:
        explicit Transaction(Database& db);
        ~Transaction();
        void commit();

      private:
        Database& db_;
        bool done_ = false;
    };

  private:
    void migrate(const std::vector<Migration>& migrations);
    std::string path_;
    sqlite3* db_ = nullptr;
};

}  // namespace clir::store
