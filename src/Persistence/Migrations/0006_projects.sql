-- UCloud projects <-> local Unix groups. The group decides who may read and write the project's drives and
-- jobs; the mapping only says which group is the project's. Its gid never changes (see ProjectsRepository).
create table projects (
    ucloud_project_id text   primary key,
    title             text   not null,
    local_group       text   not null,
    gid               bigint not null unique,
    created_at        bigint not null
);
-- A job's folder (a project's jobs run in the project's drive, not the submitter's home) and its project.
alter table jobs add column folder text null;
alter table jobs add column project_id text null;
