-- Background tasks (long copies, emptying the trash) run by user instances. A task's state changes are kept
-- here before Core hears of them: version counts changes, reported_version what Core has accepted.
create table tasks (
    id               text primary key,
    owner_uid        bigint not null,
    ucloud_username  text   not null,
    core_id          text   not null,
    kind             text   not null,
    title            text   not null,
    spec             text   not null,
    state            text   not null,
    progress         text   null,
    percentage       integer null,
    version          integer not null,
    reported_version integer not null,
    created_at       bigint not null,
    updated_at       bigint not null
);
create index tasks_owner_state on tasks (owner_uid, state);
create index tasks_unreported on tasks (reported_version, version);
