-- TRUNCATE: several tables, RESTRICT/CASCADE with foreign keys, RESTART/CONTINUE IDENTITY, ONLY, schemas.
CREATE TABLE tp (id int PRIMARY KEY);
CREATE TABLE tc (id int PRIMARY KEY, pid int REFERENCES tp);
CREATE TABLE tg (id int REFERENCES tc);
CREATE TABLE tself (id int PRIMARY KEY, up int REFERENCES tself);
CREATE TABLE ts (id serial PRIMARY KEY, x int);
CREATE TABLE ti (id int GENERATED ALWAYS AS IDENTITY, x int);
INSERT INTO tp VALUES (1), (2);
INSERT INTO tc VALUES (1, 1), (2, 2);
INSERT INTO tg VALUES (1);
INSERT INTO tself VALUES (1, NULL), (2, 1);
INSERT INTO ts (x) VALUES (1), (2);
INSERT INTO ti (x) VALUES (1), (2);
-- compare: messages
TRUNCATE tp;
-- compare: messages
TRUNCATE tp RESTRICT;
-- compare: messages
TRUNCATE TABLE tp, tc;
-- compare: messages
TRUNCATE tc, tp;
-- compare: messages
TRUNCATE tp, tp;
SELECT count(*) FROM tp;
TRUNCATE tself;
SELECT count(*) FROM tself;
TRUNCATE tg, tp, tc;
SELECT (SELECT count(*) FROM tp), (SELECT count(*) FROM tc), (SELECT count(*) FROM tg);
INSERT INTO tp VALUES (1), (2);
INSERT INTO tc VALUES (1, 1), (2, 2);
INSERT INTO tg VALUES (1), (2);
TRUNCATE tp CASCADE;
SELECT (SELECT count(*) FROM tp), (SELECT count(*) FROM tc), (SELECT count(*) FROM tg);
INSERT INTO tp VALUES (3);
INSERT INTO tc VALUES (3, 3);
TRUNCATE ONLY tc CASCADE;
SELECT (SELECT count(*) FROM tp), (SELECT count(*) FROM tc);
BEGIN;
INSERT INTO tc VALUES (4, 3);
TRUNCATE tp CASCADE;
SELECT (SELECT count(*) FROM tp), (SELECT count(*) FROM tc);
ROLLBACK;
SELECT (SELECT count(*) FROM tp), (SELECT count(*) FROM tc);
TRUNCATE ts, ti RESTART IDENTITY;
INSERT INTO ts (x) VALUES (3) RETURNING id;
INSERT INTO ti (x) VALUES (3) RETURNING id;
TRUNCATE ts CONTINUE IDENTITY;
INSERT INTO ts (x) VALUES (4) RETURNING id;
INSERT INTO tp VALUES (5);
TRUNCATE tp, ts RESTART IDENTITY CASCADE;
INSERT INTO ts (x) VALUES (5) RETURNING id;
-- compare: messages
TRUNCATE nosuch;
-- compare: messages
TRUNCATE tp, nosuch;
CREATE SCHEMA trs;
CREATE TABLE trs.p (id int PRIMARY KEY);
CREATE TABLE trs.c (pid int REFERENCES trs.p);
INSERT INTO trs.p VALUES (1);
INSERT INTO trs.c VALUES (1);
-- compare: messages
TRUNCATE trs.p;
TRUNCATE trs.p CASCADE;
SELECT count(*) FROM trs.c;
