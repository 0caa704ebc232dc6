-- Interactive applications: where each app domain leads, and the browser sessions allowed through it.
-- Only hashes of the one-time authorize token and of session cookies are kept.
create table web_endpoints (
    domain            text   primary key,
    core_id           text   not null,
    owner_uid         bigint not null,
    target_host       text   not null,
    target_port       bigint not null,
    authorize_hash    text   null,
    authorize_expires bigint null,
    created_at        bigint not null
);
create table web_sessions (
    session_hash text   primary key,
    domain       text   not null,
    expires_at   bigint not null
);
create index web_sessions_domain on web_sessions (domain);
