-- UCloud user <-> local user mappings. The uid of a mapping never changes (see ConnectionsRepository).
create table connections (
    ucloud_username text primary key,
    local_username  text   not null,
    uid             bigint not null,
    created_at      bigint not null,
    expires_at      bigint null
);
create index connections_uid on connections (uid);
