-- Keys the server keeps across restarts (e.g. the master key that per-user link keys derive from).
create table server_keys (
    name       text primary key,
    value      text   not null,
    created_at bigint not null
);
