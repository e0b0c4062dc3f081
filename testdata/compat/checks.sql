-- CHECK constraints: column and table level, naming, NULL passes, ALTER TABLE ADD/DROP/VALIDATE, pg_constraint and pg_get_constraintdef.
CREATE TABLE ck (id int PRIMARY KEY, c int CHECK (c > 0), d int, CHECK (d <> 5), CONSTRAINT ck_named CHECK (id < 100), CHECK (c + d < 50));
-- compare: messages
INSERT INTO ck VALUES (1, 0, 1);
-- compare: messages
INSERT INTO ck VALUES (1, 1, 5);
-- compare: messages
INSERT INTO ck VALUES (100, 1, 1);
-- compare: messages
INSERT INTO ck VALUES (1, 30, 30);
INSERT INTO ck VALUES (1, NULL, NULL), (2, 1, 1);
-- compare: messages
UPDATE ck SET c = -1 WHERE id = 2;
SELECT * FROM ck ORDER BY id;
SELECT conname, contype, conkey, convalidated, pg_get_constraintdef(oid), pg_get_constraintdef(oid, true) FROM pg_constraint WHERE conrelid = 'ck'::regclass ORDER BY conname;
CREATE TABLE ck2 (a int CHECK (a > 0), b int CHECK (a > 0));
SELECT conname, conkey FROM pg_constraint WHERE conrelid = 'ck2'::regclass ORDER BY conname;
-- compare: messages
CREATE TABLE ck3 (a int CHECK (a + 1));
-- compare: messages
CREATE TABLE ck3 (a int CHECK (nosuch > 0));
-- compare: messages
CREATE TABLE ck3 (a int, CONSTRAINT x CHECK (a > 0), CONSTRAINT x CHECK (a > 1));
CREATE TABLE pretty (id int, n numeric CHECK (n > 0 AND n < 1.5), s text CHECK (s IN ('a', 'b') OR s IS NULL),
  v varchar(10) CHECK (v <> '' AND length(v) > 2), d date CHECK (d > '2020-01-01'), f float8 CHECK (f > -1 OR NOT (f < 5)),
  CHECK ((id * 2 + id) - 1 > 0), CHECK (id BETWEEN 1 AND 10), CHECK (id NOT BETWEEN 3 AND 4));
SELECT conname, pg_get_constraintdef(oid), pg_get_constraintdef(oid, true) FROM pg_constraint WHERE conrelid = 'pretty'::regclass ORDER BY conname;
INSERT INTO pretty VALUES (1, 1, 'a', 'abc', '2021-01-01', 0);
-- compare: messages
INSERT INTO pretty VALUES (1, 1, 'c', 'abc', '2021-01-01', 0);
-- compare: messages
INSERT INTO pretty VALUES (3, 1, 'a', 'abc', '2021-01-01', 0);
-- compare: messages
INSERT INTO pretty VALUES (1, 1, 'a', 'ab', '2021-01-01', 0);
-- ALTER TABLE
CREATE TABLE ak (id int PRIMARY KEY, v int);
INSERT INTO ak VALUES (1, 5), (2, -5), (3, NULL);
-- compare: messages
ALTER TABLE ak ADD CONSTRAINT ak_pos CHECK (v > 0);
ALTER TABLE ak ADD CONSTRAINT ak_pos CHECK (v > 0) NOT VALID;
SELECT conname, convalidated, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'ak'::regclass AND contype = 'c';
-- compare: messages
INSERT INTO ak VALUES (4, -1);
-- compare: messages
ALTER TABLE ak VALIDATE CONSTRAINT ak_pos;
DELETE FROM ak WHERE v < 0;
ALTER TABLE ak VALIDATE CONSTRAINT ak_pos;
SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'ak'::regclass AND contype = 'c';
ALTER TABLE ak ADD CHECK (v < 100);
ALTER TABLE ak ADD COLUMN w int DEFAULT 7 CHECK (w > 0);
-- compare: messages
ALTER TABLE ak ADD COLUMN x int DEFAULT 0 CHECK (x > 0);
SELECT conname FROM pg_constraint WHERE conrelid = 'ak'::regclass ORDER BY conname;
-- compare: messages
ALTER TABLE ak DROP CONSTRAINT nosuch;
ALTER TABLE ak DROP CONSTRAINT IF EXISTS nosuch;
ALTER TABLE ak DROP CONSTRAINT ak_pos;
INSERT INTO ak VALUES (5, -1);
ALTER TABLE ak DROP COLUMN w;
SELECT conname FROM pg_constraint WHERE conrelid = 'ak'::regclass ORDER BY conname;
ALTER TABLE ak RENAME COLUMN v TO vv;
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'ak'::regclass AND contype = 'c';
-- compare: messages
INSERT INTO ak VALUES (6, 200);
ALTER TABLE ak RENAME CONSTRAINT ak_v_check TO ak_small;
SELECT conname FROM pg_constraint WHERE conrelid = 'ak'::regclass ORDER BY conname;
SELECT constraint_name, check_clause FROM information_schema.check_constraints WHERE constraint_name LIKE 'ak%' ORDER BY 1;
SELECT constraint_name, constraint_type FROM information_schema.table_constraints WHERE table_name = 'ak' AND constraint_type <> 'CHECK' OR constraint_name LIKE 'ak%' ORDER BY 1;
