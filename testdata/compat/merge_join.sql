-- Inner joins of tables on their leading primary key columns (a merge join
-- here when both are read in key order): duplicates on the inner side,
-- keys missing on either side, mixed integer types, filters, empty sides.
CREATE TABLE mo (id int PRIMARY KEY, v int);
CREATE TABLE ml (oid bigint, n int, w text, PRIMARY KEY (oid, n));
CREATE TABLE mp (id smallint PRIMARY KEY, z int);
CREATE TABLE me (id int PRIMARY KEY);
INSERT INTO mo SELECT i, i % 13 FROM generate_series(-50, 3000) i WHERE i % 7 <> 0;
INSERT INTO ml SELECT i / 3, i % 3, 'w' || i FROM generate_series(-30, 9500) i WHERE i % 11 <> 0;
INSERT INTO mp SELECT i, i * 2 FROM generate_series(-100, 3100, 2) i;
SELECT count(*), sum(mo.v), sum(ml.n), min(ml.w), max(ml.w) FROM mo JOIN ml ON ml.oid = mo.id;
SELECT mo.id, ml.n, ml.w FROM mo JOIN ml ON ml.oid = mo.id WHERE mo.id < 20 ORDER BY 1, 2;
SELECT mo.id, ml.n FROM mo, ml WHERE mo.id = ml.oid AND mo.id BETWEEN 995 AND 1010 ORDER BY 1, 2;
SELECT mo.id, mp.z FROM mo JOIN mp ON mp.id = mo.id WHERE mo.v = 4 ORDER BY 1;
SELECT count(*) FROM mo a JOIN mo b ON a.id = b.id;
SELECT count(*) FROM mo a JOIN mo b ON a.id = b.id AND a.v <> b.v;
SELECT count(*), sum(ml.n) FROM mo JOIN ml ON mo.id = ml.oid AND ml.n <> mo.v % 3;
SELECT mo.id, ml.w FROM mo JOIN ml ON ml.oid = mo.id WHERE mo.id BETWEEN 100 AND 400 AND ml.oid > 390 ORDER BY 1, 2;
SELECT mo.id FROM mo JOIN me ON me.id = mo.id;
SELECT count(*) FROM me JOIN ml ON ml.oid = me.id;
SELECT mo.id, ml.n FROM mo JOIN ml ON ml.oid = mo.id WHERE mo.id > 2990 ORDER BY 1, 2;
SELECT mo.id, ml.n FROM mo JOIN ml ON ml.oid = mo.id WHERE ml.oid < -5 ORDER BY 1, 2;
SELECT count(*), sum(mp.z) FROM mo JOIN mp ON mo.id = mp.id JOIN ml ON ml.oid = mo.id;
SELECT mo.id, count(*) FROM mo JOIN ml ON ml.oid = mo.id GROUP BY mo.id HAVING count(*) < 3 ORDER BY 1 LIMIT 10;
SELECT mo.id, ml.n FROM mo JOIN ml ON ml.oid = mo.id ORDER BY 1 DESC, 2 DESC LIMIT 5;
SELECT count(*) FROM mo JOIN ml ON ml.oid = mo.id WHERE mo.id IN (1, 2, 3, 77, 2500);
BEGIN;
INSERT INTO mo VALUES (7, 70), (3500, 1);
INSERT INTO ml VALUES (7, 9, 'new'), (3500, 0, 'end'), (-49, 5, 'neg');
DELETE FROM ml WHERE oid = 8;
UPDATE mo SET v = v + 100 WHERE id = 9;
SELECT mo.id, mo.v, ml.w FROM mo JOIN ml ON ml.oid = mo.id WHERE mo.id IN (-49, 7, 8, 9, 3500) ORDER BY 1, 3;
SELECT count(*), sum(mo.v) FROM mo JOIN ml ON ml.oid = mo.id;
ROLLBACK;
SELECT count(*), sum(mo.v) FROM mo JOIN ml ON ml.oid = mo.id;
DROP TABLE mo, ml, mp, me;
