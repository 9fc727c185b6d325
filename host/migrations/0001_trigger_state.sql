-- wasmfn's trigger state, shared by every replica of an app. Everything lives in the schema
-- `wasmfn`; the app's own tables are never touched.

-- One row per schedule: the last tick some replica claimed. A tick is claimed by moving
-- `last_tick` forward with a conditional upsert, so exactly one replica wins each tick and no
-- lock is held while the function runs.
CREATE TABLE wasmfn.schedules (
    function    text        NOT NULL,
    cron        text        NOT NULL,
    last_tick   timestamptz NOT NULL,
    claimed_by  text        NOT NULL,
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (function, cron)
);

-- Database events, written by the app in its own transaction (the outbox).
CREATE TABLE wasmfn.events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      text        NOT NULL,
    action      text        NOT NULL,
    old         jsonb,
    new         jsonb,
    emitted_at  timestamptz NOT NULL DEFAULT now()
);

-- One call to make, at least once: a database event's delivery to one function, or an
-- asynchronous call. Replicas claim due jobs with FOR UPDATE SKIP LOCKED under a lease; a
-- job whose lease ran out (its replica died) is due again.
CREATE TABLE wasmfn.jobs (
    -- Random: who knows a job's id may read its result (GET /api/jobs/{id}).
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    function     text        NOT NULL,
    trigger      text        NOT NULL,
    event_id     bigint      REFERENCES wasmfn.events (id) ON DELETE CASCADE,
    input        jsonb       NOT NULL,
    state        text        NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'running', 'done', 'dead')),
    tries        integer     NOT NULL DEFAULT 0,
    max_tries    integer     NOT NULL CHECK (max_tries > 0),
    run_after    timestamptz NOT NULL DEFAULT now(),
    locked_by    text,
    locked_until timestamptz,
    output       jsonb,
    error        jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_active ON wasmfn.jobs (run_after, created_at) WHERE state IN ('pending', 'running');
CREATE INDEX jobs_dead ON wasmfn.jobs (updated_at) WHERE state = 'dead';
CREATE INDEX jobs_event ON wasmfn.jobs (event_id);

-- Webhook signatures already used, for as long as their timestamp could still be accepted.
CREATE TABLE wasmfn.webhook_signatures (
    signature   text        PRIMARY KEY,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX webhook_signatures_expiry ON wasmfn.webhook_signatures (expires_at);
