-- Renaming and moving relations of a created schema: ALTER TABLE/INDEX/SEQUENCE/VIEW s.x RENAME TO y keeps x in schema s; ALTER TABLE/VIEW/SEQUENCE ... SET SCHEMA moves it (a table takes its indexes, constraints and owned sequences along); IF EXISTS, missing schemas, name clashes and temporary schemas are refused as PostgreSQL refuses them.
CREATE SCHEMA sm_a;
CREATE SCHEMA sm_b;
CREATE TABLE sm_a.t (id serial PRIMARY KEY, v int CHECK (v > 0), w text UNIQUE);
CREATE INDEX t_v_idx ON sm_a.t (v);
INSERT INTO sm_a.t (v, w) VALUES (1, 'one'), (2, 'two');
ALTER TABLE sm_a.t RENAME TO u;
SELECT id, v, w FROM sm_a.u ORDER BY id;
SELECT * FROM u;
SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('sm_a', 'sm_b') ORDER BY 2;
SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema LIKE 'sm_%' ORDER BY 1, 2;
ALTER INDEX sm_a.t_v_idx RENAME TO u_v_idx;
ALTER INDEX sm_b.u_v_idx RENAME TO nope;
ALTER INDEX IF EXISTS sm_a.nope RENAME TO nope2;
SELECT indexname, schemaname FROM pg_indexes WHERE schemaname = 'sm_a' ORDER BY 1;
ALTER SEQUENCE sm_a.t_id_seq RENAME TO u_id_seq;
INSERT INTO sm_a.u (v, w) VALUES (3, 'three') RETURNING id, v;
SELECT pg_get_serial_sequence('sm_a.u', 'id');
SELECT sequence_schema, sequence_name FROM information_schema.sequences WHERE sequence_schema LIKE 'sm_%' ORDER BY 1, 2;
-- a rename to a name taken in the same schema is refused; the same name in another schema is not a clash
CREATE TABLE sm_a.taken (a int);
ALTER TABLE sm_a.u RENAME TO taken;
CREATE TABLE sm_b.u2 (a int);
ALTER TABLE sm_a.taken RENAME TO u2;
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'u2' ORDER BY 1;
DROP TABLE sm_a.u2;
DROP TABLE sm_b.u2;
-- SET SCHEMA moves the table with its indexes, constraints and owned sequence
ALTER TABLE sm_a.u SET SCHEMA sm_b;
SELECT id, v, w FROM sm_b.u ORDER BY id;
SELECT * FROM sm_a.u;
INSERT INTO sm_b.u (v, w) VALUES (4, 'four') RETURNING id;
INSERT INTO sm_b.u (v, w) VALUES (0, 'zero');
INSERT INTO sm_b.u (v, w) VALUES (5, 'one');
SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('sm_a', 'sm_b') ORDER BY 2;
SELECT pg_get_serial_sequence('sm_b.u', 'id');
SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d WHERE d.adrelid = 'sm_b.u'::regclass;
SELECT nextval('sm_b.u_id_seq');
SELECT nextval('sm_a.u_id_seq');
SELECT conname, contype FROM pg_constraint WHERE conrelid = 'sm_b.u'::regclass ORDER BY 1;
-- and back to public, then into a schema again
ALTER TABLE sm_b.u SET SCHEMA public;
SELECT id, v FROM u ORDER BY id;
SELECT pg_get_serial_sequence('u', 'id');
ALTER TABLE u SET SCHEMA sm_a;
SELECT count(*) FROM sm_a.u;
ALTER TABLE sm_a.u SET SCHEMA sm_a;
-- refusals
ALTER TABLE sm_a.u SET SCHEMA sm_nope;
ALTER TABLE sm_a.nope SET SCHEMA sm_b;
ALTER TABLE IF EXISTS sm_a.nope SET SCHEMA sm_b;
CREATE TABLE sm_b.u (x int);
ALTER TABLE sm_a.u SET SCHEMA sm_b;
DROP TABLE sm_b.u;
CREATE SEQUENCE sm_b.u_id_seq;
ALTER TABLE sm_a.u SET SCHEMA sm_b;
SELECT count(*) FROM sm_a.u;
DROP SEQUENCE sm_b.u_id_seq;
-- a foreign key follows the referenced table to its new schema
CREATE TABLE sm_a.parent (id int PRIMARY KEY);
CREATE TABLE sm_a.child (pid int REFERENCES sm_a.parent);
INSERT INTO sm_a.parent VALUES (1);
ALTER TABLE sm_a.parent SET SCHEMA sm_b;
INSERT INTO sm_a.child VALUES (1);
INSERT INTO sm_a.child VALUES (2);
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'sm_a.child'::regclass;
DELETE FROM sm_b.parent;
-- views: rename and move
CREATE VIEW sm_a.v AS SELECT 1 AS one;
ALTER VIEW sm_a.v RENAME TO v2;
SELECT * FROM sm_a.v2;
ALTER VIEW sm_a.v2 SET SCHEMA sm_b;
SELECT * FROM sm_b.v2;
ALTER TABLE sm_b.v2 RENAME TO v3;
SELECT * FROM sm_b.v3;
ALTER VIEW IF EXISTS sm_b.nope RENAME TO nope2;
ALTER VIEW sm_b.nope RENAME TO nope2;
SELECT table_schema, table_name FROM information_schema.views WHERE table_schema LIKE 'sm_%';
-- sequences: SET SCHEMA in a created schema
CREATE SEQUENCE sm_a.s1;
SELECT nextval('sm_a.s1');
ALTER SEQUENCE sm_a.s1 SET SCHEMA sm_b;
SELECT nextval('sm_b.s1');
ALTER SEQUENCE sm_b.s1 RENAME TO s2;
SELECT nextval('sm_b.s2');
-- search_path finds a renamed table in its schema
SET search_path = sm_a, public;
CREATE TABLE sp_t (a int);
ALTER TABLE sp_t RENAME TO sp_t2;
SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'sp_t2';
ALTER TABLE sp_t2 SET SCHEMA public;
SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'sp_t2';
RESET search_path;
-- a temporary table cannot be moved
CREATE TEMP TABLE sm_tmp (a int);
ALTER TABLE sm_tmp SET SCHEMA sm_a;
ALTER TABLE sm_a.u SET SCHEMA pg_temp;
ALTER TABLE sm_tmp RENAME TO sm_tmp2;
SELECT count(*) FROM sm_tmp2;
-- in a transaction that rolls back, nothing moved
BEGIN;
ALTER TABLE sm_a.u SET SCHEMA sm_b;
SELECT count(*) FROM sm_b.u;
ROLLBACK;
SELECT count(*) FROM sm_a.u;
SELECT count(*) FROM sm_b.u;
