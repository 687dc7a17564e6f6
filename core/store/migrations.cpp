// Schema migrations. Never edit a released step: append a new one, so every existing database
// upgrades forward in place (PRAGMA user_version holds the version).
#include "core/store/migrations.h"

namespace clir::store {

const std::vector<Migration>& schemaMigrations() {
    static const std::vector<Migration> migrations = {
        {1, "initial schema", R"SQL(
CREATE TABLE corpora (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,   -- SHA-256 over the manifest's source hashes and settings
    manifest    TEXT NOT NULL,          -- manifest.json as written by the corpus builder
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE TABLE experiments (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    path        TEXT,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    experiment_id INTEGER REFERENCES experiments(id) ON DELETE SET NULL,
    name          TEXT NOT NULL,
    method        TEXT NOT NULL,
    preset        TEXT,
    languages     TEXT NOT NULL DEFAULT '[]',   -- JSON array of language codes
    config        TEXT NOT NULL,                -- the full validated experiment JSON
    config_hash   TEXT NOT NULL,
    seed          INTEGER,
    corpus_id     INTEGER REFERENCES corpora(id) ON DELETE SET NULL,
    code_version  TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN
                  ('queued','running','finished','failed','cancelled','interrupted')),
    progress      REAL NOT NULL DEFAULT 0,      -- 0..1
    message       TEXT,                         -- last progress message
    error         TEXT,
    owner_pid     INTEGER,
    owner_host    TEXT,
    owner_start   INTEGER,                      -- /proc start time of the owner, against pid reuse
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    started_at    TEXT,
    finished_at   TEXT,
    heartbeat_at  TEXT
);
CREATE INDEX runs_status ON runs(status);
CREATE TABLE metrics (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    step       INTEGER NOT NULL,
    value      REAL NOT NULL,
    wall_time  REAL NOT NULL,                    -- seconds since the run started
    PRIMARY KEY (run_id, name, step)
) WITHOUT ROWID;
CREATE TABLE results (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    language   TEXT NOT NULL,
    query_set  TEXT NOT NULL,
    measure    TEXT NOT NULL,
    value      REAL NOT NULL,
    PRIMARY KEY (run_id, language, query_set, measure)
) WITHOUT ROWID;
CREATE TABLE query_results (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    language   TEXT NOT NULL,
    query_set  TEXT NOT NULL,
    qid        TEXT NOT NULL,
    measure    TEXT NOT NULL,
    value      REAL NOT NULL,
    PRIMARY KEY (run_id, language, query_set, qid, measure)
) WITHOUT ROWID;
CREATE TABLE alignments (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step           INTEGER NOT NULL,
    pair_key       TEXT NOT NULL,               -- which bitext pair (language and paragraph id)
    source_tokens  TEXT NOT NULL,               -- JSON array
    target_tokens  TEXT NOT NULL,               -- JSON array
    rows           INTEGER NOT NULL,
    cols           INTEGER NOT NULL,
    plan           BLOB NOT NULL,               -- rows*cols float32, row-major
    cost           BLOB NOT NULL
);
CREATE INDEX alignments_run ON alignments(run_id, step);
CREATE TABLE artifacts (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,                  -- checkpoint, trec_run, corpus, ...
    path        TEXT NOT NULL,
    step        INTEGER,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE TABLE tags (
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tag     TEXT NOT NULL,
    PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
CREATE TABLE notes (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
)SQL"},
        {2, "query translations", R"SQL(
CREATE TABLE translations (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    language   TEXT NOT NULL,
    query_set  TEXT NOT NULL,
    qid        TEXT NOT NULL,
    system     TEXT NOT NULL,               -- apertium:eu-en, nmt:<run>, ...
    source     TEXT NOT NULL,
    target     TEXT NOT NULL,               -- empty when the translation failed
    error      TEXT,
    PRIMARY KEY (run_id, language, query_set, qid)
) WITHOUT ROWID;
)SQL"},
    };
    return migrations;
}

}  // namespace clir::store
