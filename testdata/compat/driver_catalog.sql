-- Catalog queries drivers send: pgjdbc's getPrimaryKeys (information_schema._pg_expandarray over pg_index.indkey).
CREATE TABLE dk (a int, b text, c int, PRIMARY KEY (b, a));
CREATE UNIQUE INDEX dk_c ON dk (c, a);
SELECT result.TABLE_CAT, result.TABLE_SCHEM, result.TABLE_NAME, result.COLUMN_NAME, result.KEY_SEQ, result.PK_NAME FROM (SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, ct.relname AS TABLE_NAME, a.attname AS COLUMN_NAME, (information_schema._pg_expandarray(i.indkey)).n AS KEY_SEQ, ci.relname AS PK_NAME, information_schema._pg_expandarray(i.indkey) AS KEYS, a.attnum AS A_ATTNUM FROM pg_catalog.pg_class ct JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid) JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid) JOIN pg_catalog.pg_index i ON ( a.attrelid = i.indrelid) JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid) WHERE true AND n.nspname = E'public' AND ct.relname = E'dk' AND i.indisprimary ) result where result.A_ATTNUM = (result.KEYS).x ORDER BY result.table_name, result.pk_name, result.key_seq;
SELECT ci.relname, (information_schema._pg_expandarray(i.indkey)).n, (information_schema._pg_expandarray(i.indkey)).x FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_class ct ON ct.oid = i.indrelid WHERE ct.relname = 'dk' ORDER BY 1, 2;
SELECT information_schema._pg_expandarray('{10,20,NULL}'::int[]);
SELECT (information_schema._pg_expandarray('{10,20}'::int[])).y;
SELECT a[2] FROM (SELECT '{1,2}'::int[] AS a) s;
DROP TABLE dk;
