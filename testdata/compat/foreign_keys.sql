-- FOREIGN KEY constraints: column and table level, actions, MATCH SIMPLE/FULL, errors, DROP TABLE, ALTER TABLE, catalogs.
CREATE TABLE fp (id int PRIMARY KEY, u text UNIQUE, v int);
CREATE TABLE fc (id int PRIMARY KEY, pid int REFERENCES fp, pu text REFERENCES fp (u) ON DELETE CASCADE ON UPDATE CASCADE);
INSERT INTO fp VALUES (1, 'a', 0), (2, 'b', 0), (3, 'c', 0);
INSERT INTO fc VALUES (1, 1, 'a');
-- compare: messages
INSERT INTO fc VALUES (2, 9, 'a');
-- compare: messages
INSERT INTO fc VALUES (2, NULL, 'z');
INSERT INTO fc VALUES (2, 2, NULL), (3, NULL, NULL);
-- compare: messages
UPDATE fc SET pid = 7 WHERE id = 3;
-- compare: messages
DELETE FROM fp WHERE id = 2;
-- compare: messages
UPDATE fp SET id = 20 WHERE id = 1;
UPDATE fp SET v = 5 WHERE id = 1;
UPDATE fp SET u = 'aa' WHERE id = 1;
SELECT * FROM fc ORDER BY id;
DELETE FROM fc WHERE id = 1;
DELETE FROM fp WHERE id = 3;
UPDATE fp SET id = 30 WHERE id = 1;
SELECT * FROM fp ORDER BY id;
INSERT INTO fc VALUES (4, 30, 'aa');
DELETE FROM fc WHERE id = 2;
DELETE FROM fp WHERE u = 'aa';
SELECT * FROM fc ORDER BY id;
-- one statement inserting parent and child rows (checked at the end of the statement)
CREATE TABLE tree (id int PRIMARY KEY, parent int REFERENCES tree ON DELETE CASCADE);
INSERT INTO tree VALUES (2, 1), (1, NULL), (3, 2), (4, 3);
-- compare: messages
INSERT INTO tree VALUES (5, 50);
DELETE FROM tree WHERE id = 2;
SELECT * FROM tree ORDER BY id;
-- SET NULL / SET DEFAULT / RESTRICT
CREATE TABLE ap (id int PRIMARY KEY);
INSERT INTO ap VALUES (0), (1), (2), (3);
CREATE TABLE ac (id int PRIMARY KEY, n int REFERENCES ap ON DELETE SET NULL ON UPDATE SET NULL, d int DEFAULT 0 REFERENCES ap ON DELETE SET DEFAULT, r int REFERENCES ap ON DELETE RESTRICT);
INSERT INTO ac VALUES (1, 1, 1, NULL), (2, 2, 2, 3);
DELETE FROM ap WHERE id = 1;
UPDATE ap SET id = 12 WHERE id = 2;
SELECT * FROM ac ORDER BY id;
-- compare: messages
DELETE FROM ap WHERE id = 3;
-- compare: messages
DELETE FROM ap WHERE id = 0;
SELECT * FROM ac ORDER BY id;
-- multi-column, MATCH SIMPLE and MATCH FULL
CREATE TABLE mp (a int, b int, PRIMARY KEY (a, b));
INSERT INTO mp VALUES (1, 1);
CREATE TABLE ms (a int, b int, FOREIGN KEY (a, b) REFERENCES mp);
CREATE TABLE mf (a int, b int, CONSTRAINT mf_full FOREIGN KEY (b, a) REFERENCES mp (b, a) MATCH FULL);
INSERT INTO ms VALUES (1, 1), (1, NULL), (NULL, 7);
-- compare: messages
INSERT INTO ms VALUES (1, 2);
INSERT INTO mf VALUES (1, 1), (NULL, NULL);
-- compare: messages
INSERT INTO mf VALUES (1, NULL);
-- definition errors
-- compare: messages
CREATE TABLE bad (a int, b int, FOREIGN KEY (a, b) REFERENCES fp (id, v));
-- compare: messages
CREATE TABLE bad (a int REFERENCES nosuch);
-- compare: messages
CREATE TABLE bad (a text REFERENCES fp);
-- compare: messages
CREATE TABLE bad (a int, FOREIGN KEY (a, a) REFERENCES fp);
-- compare: messages
CREATE TABLE bad (a int, FOREIGN KEY (x) REFERENCES fp);
-- compare: messages
CREATE TABLE bad (a int REFERENCES fp (nope));
CREATE TABLE nopk (a int);
-- compare: messages
CREATE TABLE bad (a int REFERENCES nopk);
CREATE TABLE big (a bigint REFERENCES fp);
INSERT INTO big VALUES (30);
-- compare: messages
INSERT INTO big VALUES (31);
-- catalogs
SELECT conname, contype, conkey, confkey, confupdtype, confdeltype, confmatchtype, convalidated FROM pg_constraint WHERE contype = 'f' ORDER BY conname;
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' ORDER BY conname;
SELECT constraint_name, unique_constraint_name, match_option, update_rule, delete_rule FROM information_schema.referential_constraints ORDER BY 1;
SELECT constraint_name, table_name, column_name, ordinal_position, position_in_unique_constraint FROM information_schema.key_column_usage WHERE table_name IN ('fc', 'ms', 'mf') ORDER BY 1, 4;
SELECT constraint_name, table_name, column_name FROM information_schema.constraint_column_usage WHERE constraint_name LIKE 'm%' ORDER BY 1, 3;
SELECT constraint_name, constraint_type FROM information_schema.table_constraints WHERE table_name = 'fc' AND constraint_name NOT LIKE '2200%' ORDER BY 1;
-- DROP TABLE and TRUNCATE of a referenced table
-- compare: messages
DROP TABLE fp;
-- compare: messages
DROP TABLE mp;
DROP TABLE mp CASCADE;
INSERT INTO ms VALUES (9, 9);
DROP TABLE tree;
-- ALTER TABLE ADD/DROP CONSTRAINT FOREIGN KEY
CREATE TABLE xp (id int PRIMARY KEY);
CREATE TABLE xc (id int, p int);
INSERT INTO xp VALUES (1);
INSERT INTO xc VALUES (1, 1), (2, 2);
-- compare: messages
ALTER TABLE xc ADD CONSTRAINT xc_p_fkey FOREIGN KEY (p) REFERENCES xp;
ALTER TABLE xc ADD FOREIGN KEY (p) REFERENCES xp NOT VALID;
SELECT conname, convalidated, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'xc'::regclass;
-- compare: messages
INSERT INTO xc VALUES (3, 3);
-- compare: messages
ALTER TABLE xc VALIDATE CONSTRAINT xc_p_fkey;
DELETE FROM xc WHERE p = 2;
ALTER TABLE xc VALIDATE CONSTRAINT xc_p_fkey;
-- compare: messages
ALTER TABLE xp DROP COLUMN id;
-- compare: messages
ALTER TABLE xp DROP CONSTRAINT xp_pkey;
ALTER TABLE xc DROP CONSTRAINT xc_p_fkey;
INSERT INTO xc VALUES (3, 3);
ALTER TABLE xc ADD COLUMN q int REFERENCES xp;
-- compare: messages
INSERT INTO xc VALUES (4, 4, 4);
ALTER TABLE xp RENAME COLUMN id TO pid;
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'xc'::regclass;
ALTER TABLE xp DROP COLUMN pid CASCADE;
SELECT count(*) FROM pg_constraint WHERE conrelid = 'xc'::regclass;
-- DEFERRABLE foreign keys and SET CONSTRAINTS: deferred checks run at COMMIT or at SET CONSTRAINTS ... IMMEDIATE
CREATE TABLE dfr (a int REFERENCES fp DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE dp (id int PRIMARY KEY);
CREATE TABLE dc (id int PRIMARY KEY, pid int REFERENCES dp DEFERRABLE INITIALLY DEFERRED, q int);
CREATE TABLE dc2 (pid int CONSTRAINT dc2_fk REFERENCES dp DEFERRABLE);
CREATE TABLE dc3 (pid int REFERENCES dp NOT DEFERRABLE, q int, CONSTRAINT dc3_q FOREIGN KEY (q) REFERENCES dp INITIALLY IMMEDIATE DEFERRABLE);
SELECT conname, condeferrable, condeferred, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid IN ('dc'::regclass, 'dc2'::regclass, 'dc3'::regclass, 'dfr'::regclass) ORDER BY 1;
SELECT table_name, constraint_name, is_deferrable, initially_deferred FROM information_schema.table_constraints WHERE table_name IN ('dc', 'dc2', 'dc3') AND constraint_type = 'FOREIGN KEY' ORDER BY 2;
BEGIN;
INSERT INTO dc VALUES (1, 1);
SELECT count(*) FROM dc;
-- compare: messages
COMMIT;
SELECT count(*) FROM dc;
BEGIN;
INSERT INTO dc VALUES (1, 1);
INSERT INTO dp VALUES (1);
COMMIT;
BEGIN;
DELETE FROM dp;
-- compare: messages
COMMIT;
BEGIN;
DELETE FROM dp;
INSERT INTO dp VALUES (1);
COMMIT;
BEGIN;
SET CONSTRAINTS ALL IMMEDIATE;
-- compare: messages
INSERT INTO dc VALUES (2, 7);
ROLLBACK;
BEGIN;
INSERT INTO dc VALUES (2, 7);
-- compare: messages
SET CONSTRAINTS dc_pid_fkey IMMEDIATE;
ROLLBACK;
BEGIN;
INSERT INTO dc VALUES (2, 7);
SET CONSTRAINTS dc2_fk IMMEDIATE;
UPDATE dc SET pid = 1 WHERE id = 2;
SET CONSTRAINTS ALL IMMEDIATE;
COMMIT;
BEGIN;
-- compare: messages
SET CONSTRAINTS dc3_pid_fkey DEFERRED;
ROLLBACK;
BEGIN;
SET CONSTRAINTS dc3_pid_fkey IMMEDIATE;
-- compare: messages
SET CONSTRAINTS nosuch DEFERRED;
ROLLBACK;
BEGIN;
SET CONSTRAINTS dc2_fk, dc3_q DEFERRED;
INSERT INTO dc2 VALUES (5);
INSERT INTO dc3 VALUES (NULL, 5);
DELETE FROM dc2;
-- compare: messages
COMMIT;
BEGIN;
-- compare: messages
INSERT INTO dc2 VALUES (5);
COMMIT;
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
INSERT INTO dc2 VALUES (6);
INSERT INTO dc3 VALUES (6);
SET CONSTRAINTS ALL IMMEDIATE;
ROLLBACK;
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
INSERT INTO dc2 VALUES (6);
INSERT INTO dp VALUES (6);
SET CONSTRAINTS ALL IMMEDIATE;
DELETE FROM dp WHERE id = 6;
ROLLBACK;
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
DELETE FROM dp WHERE id = 1;
-- compare: messages
SET CONSTRAINTS dc_pid_fkey IMMEDIATE;
ROLLBACK;
-- compare: messages
INSERT INTO dc VALUES (3, 9);
BEGIN;
INSERT INTO dc VALUES (4, 9);
UPDATE dc SET pid = 1 WHERE id = 4;
COMMIT;
BEGIN;
INSERT INTO dc VALUES (5, 9);
UPDATE dc SET q = 1 WHERE id = 5;
-- compare: messages
COMMIT;
BEGIN;
INSERT INTO dc VALUES (5, 9);
DELETE FROM dc WHERE id = 5;
INSERT INTO dc VALUES (5, 1);
COMMIT;
BEGIN;
INSERT INTO dc VALUES (6, 9);
-- compare: messages
INSERT INTO dc VALUES (6, 9);
ROLLBACK;
SELECT * FROM dc ORDER BY id;
-- compare: messages
CREATE TABLE dbad (a int CHECK (a > 0) DEFERRABLE);
-- compare: messages
CREATE TABLE dbad (a int REFERENCES dp NOT DEFERRABLE INITIALLY DEFERRED);
-- compare: messages
CREATE TABLE dbad (a int REFERENCES dp DEFERRABLE DEFERRABLE);
-- compare: messages
CREATE TABLE dbad (a int DEFERRABLE);
ALTER TABLE dc ADD CONSTRAINT dc_q FOREIGN KEY (q) REFERENCES dp INITIALLY DEFERRED;
ALTER TABLE dc ADD COLUMN r int REFERENCES dp DEFERRABLE;
SELECT conname, condeferrable, condeferred FROM pg_constraint WHERE conrelid = 'dc'::regclass ORDER BY 1;
BEGIN;
INSERT INTO dc VALUES (7, 1, 8);
ALTER TABLE dc DROP CONSTRAINT dc_q;
COMMIT;
SELECT * FROM dc ORDER BY id;
BEGIN;
INSERT INTO dc VALUES (8, 9);
-- compare: messages
TRUNCATE dc;
ROLLBACK;
BEGIN;
DELETE FROM dp WHERE id = 1;
-- compare: messages
DROP TABLE dp CASCADE;
ROLLBACK;
BEGIN;
DELETE FROM dp WHERE id = 1;
-- compare: messages
ALTER TABLE dp ADD COLUMN z int;
ROLLBACK;
-- parent-side checks through an index of the child's referencing columns (secondary, unique, primary key prefix, composite in another order)
CREATE TABLE ip (id int PRIMARY KEY, a int, b text, UNIQUE (a, b));
CREATE TABLE ic (id int PRIMARY KEY, pid int REFERENCES ip ON DELETE CASCADE ON UPDATE CASCADE, a int, b text,
  FOREIGN KEY (a, b) REFERENCES ip (a, b) ON DELETE SET NULL ON UPDATE CASCADE);
CREATE INDEX ic_pid ON ic (pid);
CREATE INDEX ic_ba ON ic (b, a);
CREATE TABLE iu (pid int UNIQUE REFERENCES ip);
CREATE TABLE ik (pid int REFERENCES ip ON DELETE CASCADE, n int, PRIMARY KEY (pid, n));
CREATE TABLE ib (pid bigint REFERENCES ip ON DELETE CASCADE);
CREATE INDEX ib_pid ON ib (pid);
INSERT INTO ip SELECT g, g % 3, 'x' || g % 2 FROM generate_series(1, 6) g;
INSERT INTO ic SELECT g, g % 6 + 1, (g % 6 + 1) % 3, 'x' || (g % 6 + 1) % 2 FROM generate_series(1, 30) g;
INSERT INTO iu VALUES (5), (6);
INSERT INTO ik SELECT g % 6 + 1, g FROM generate_series(1, 12) g;
INSERT INTO ib SELECT g % 6 + 1 FROM generate_series(1, 12) g;
DELETE FROM ip WHERE id = 1;
SELECT count(*), count(a) FROM ic;
SELECT count(*) FROM ik;
SELECT count(*) FROM ib;
UPDATE ip SET id = 20 WHERE id = 2;
SELECT pid, count(*) FROM ic GROUP BY pid ORDER BY pid;
UPDATE ip SET b = 'y' || b WHERE id = 3;
SELECT a, b, count(*) FROM ic GROUP BY a, b ORDER BY a, b;
-- compare: messages
DELETE FROM ip WHERE id IN (6, 5);
-- compare: messages
UPDATE ip SET id = 60 WHERE id = 6;
DELETE FROM iu WHERE pid = 6;
BEGIN;
INSERT INTO ic VALUES (100, 6, NULL, NULL);
DELETE FROM ip WHERE id = 6;
SELECT count(*) FROM ic WHERE pid = 6;
ROLLBACK;
DELETE FROM ip WHERE id = 6;
SELECT count(*) FROM ic WHERE pid = 6;
SELECT (SELECT count(*) FROM ic), (SELECT count(*) FROM ik), (SELECT count(*) FROM ib), (SELECT count(*) FROM iu);
-- deferred checks and savepoints
DELETE FROM dc WHERE id > 1;
BEGIN;
INSERT INTO dc VALUES (5, 9);
SAVEPOINT a;
UPDATE dc SET pid = 1 WHERE id = 5;
ROLLBACK TO a;
-- compare: messages
COMMIT;
BEGIN;
INSERT INTO dc VALUES (5, 9);
SAVEPOINT a;
DELETE FROM dc WHERE id = 5;
RELEASE a;
COMMIT;
BEGIN;
SAVEPOINT a;
INSERT INTO dc VALUES (5, 9);
ROLLBACK TO a;
COMMIT;
BEGIN;
INSERT INTO dc VALUES (5, 9);
SAVEPOINT a;
-- compare: messages
SET CONSTRAINTS ALL IMMEDIATE;
ROLLBACK TO a;
UPDATE dc SET pid = 1 WHERE id = 5;
COMMIT;
BEGIN;
SAVEPOINT a;
SET CONSTRAINTS dc_pid_fkey IMMEDIATE;
ROLLBACK TO a;
INSERT INTO dc VALUES (6, 9);
DELETE FROM dc WHERE id = 6;
COMMIT;
SELECT * FROM dc ORDER BY id;
