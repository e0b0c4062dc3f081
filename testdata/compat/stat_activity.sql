-- pg_stat_activity's own row: the columns clients read (usesysid, datname, usename, state, query, backend_type, wait events) as PostgreSQL 15 fills them for the session asking.
SELECT datid = (SELECT oid FROM pg_database WHERE datname = current_database()), datname = current_database(), usesysid = (SELECT oid FROM pg_roles WHERE rolname = current_user), usename = current_user, leader_pid, state, wait_event_type, wait_event, query_id, query, backend_type FROM pg_stat_activity WHERE pid = pg_backend_pid();
SELECT backend_start <= now(), query_start >= xact_start, state_change >= query_start FROM pg_stat_activity WHERE pid = pg_backend_pid();
SELECT r.rolname = a.usename, r.rolname = current_user FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid WHERE a.pid = pg_backend_pid();
SELECT count(*) FROM pg_stat_activity WHERE pid = pg_backend_pid() AND backend_type = 'client backend';
