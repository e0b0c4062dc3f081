-- pg_settings rows (value in the base unit, unit, category, context, vartype), SHOW and current_setting of server-fixed parameters, SET of read-only ones (55P02).
SELECT name, setting, unit, category, context, vartype FROM pg_settings WHERE name IN ('work_mem', 'statement_timeout', 'lock_timeout', 'DateStyle', 'search_path', 'block_size', 'superuser_reserved_connections', 'default_transaction_isolation', 'extra_float_digits', 'max_identifier_length', 'standard_conforming_strings') ORDER BY name;
SET work_mem = '8MB';
SET statement_timeout = '2min';
SET lock_timeout = 1500;
SELECT name, setting, unit FROM pg_settings WHERE name IN ('work_mem', 'statement_timeout', 'lock_timeout') ORDER BY name;
SELECT name, unit, category, context, vartype FROM pg_settings WHERE name = 'max_connections';
SHOW superuser_reserved_connections;
SELECT current_setting('max_connections')::int > 0;
SET max_connections = 5;
SET superuser_reserved_connections = 1;
SET block_size = 4096;
SET server_version = '1';
SELECT setting::int >= 150000 FROM pg_settings WHERE name = 'server_version_num';
SELECT count(*) > 0 FROM pg_settings WHERE context = 'user';
