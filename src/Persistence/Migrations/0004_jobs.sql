-- Jobs the monitor follows, and every state change for Core, written before it is sent (an outbox).
create table jobs (
    core_id         text primary key,
    slurm_id        bigint not null,
    owner_uid       bigint not null,
    ucloud_username text   not null,
    state           text   not null,
    submitted_at    bigint not null,
    updated_at      bigint not null
);
create index jobs_state on jobs (state);
create table job_updates (
    seq        bigint primary key,
    core_id    text   not null,
    state      text   not null,
    status     text   not null,
    created_at bigint not null,
    sent_at    bigint null
);
create index job_updates_unsent on job_updates (sent_at, seq);
