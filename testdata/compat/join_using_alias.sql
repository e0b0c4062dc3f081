-- JOIN … USING (…) AS alias (PostgreSQL 14+): the alias qualifies the
-- merged USING columns only (alias.* is those columns, alias.other is
-- 42703), for inner and outer joins; it may not repeat a table's name.
CREATE TABLE ju1 (x int, a int);
CREATE TABLE ju2 (x int, b int);
CREATE TABLE ju3 (x int, c int);
INSERT INTO ju1 VALUES (1, 10), (2, 20), (NULL, 30);
INSERT INTO ju2 VALUES (1, 100), (3, 300), (NULL, 400);
INSERT INTO ju3 VALUES (1, 7), (3, 9);
SELECT j.x, ju1.a, ju2.b FROM ju1 JOIN ju2 USING (x) AS j;
SELECT * FROM ju1 FULL JOIN ju2 USING (x) AS j ORDER BY j.x, a, b;
SELECT j.x, ju1.x, ju2.x FROM ju1 FULL JOIN ju2 USING (x) AS j ORDER BY 1, 2, 3;
SELECT x, j.x FROM ju1 LEFT JOIN ju2 USING (x) AS j ORDER BY 1;
SELECT x, j.x FROM ju1 RIGHT JOIN ju2 USING (x) AS j ORDER BY 1;
SELECT j.a FROM ju1 JOIN ju2 USING (x) AS j;
SELECT j.* FROM ju1 JOIN ju2 USING (x) AS j;
SELECT j::text FROM ju1 JOIN ju2 USING (x) AS j;
SELECT * FROM ju1 JOIN ju2 USING (x) AS j JOIN ju3 ON ju3.x = j.x;
SELECT j.x, k.x FROM ju1 JOIN ju2 USING (x) AS j JOIN ju3 USING (x) AS k;
SELECT * FROM (ju1 JOIN ju2 USING (x) AS j) AS oa;
SELECT oa.x FROM (ju1 JOIN ju2 USING (x) AS j) AS oa;
SELECT j.x FROM (ju1 JOIN ju2 USING (x) AS j) AS oa;
SELECT * FROM ju1 JOIN ju2 USING (x) AS ju1;
SELECT * FROM ju1 JOIN ju2 USING (x) AS ju2;
SELECT j.x FROM ju1 JOIN ju2 USING (x) AS j WHERE j.x > 0 GROUP BY j.x ORDER BY j.x;
SELECT count(*) FROM ju1 JOIN ju2 USING (x) AS j WHERE j.x IS NULL;
SELECT oa.x FROM (ju1 JOIN ju2 USING (x)) AS oa;
SELECT oa.* FROM (ju1 FULL JOIN ju2 USING (x)) AS oa ORDER BY 1, 2, 3;
SELECT oa::text FROM (ju1 JOIN ju2 USING (x)) AS oa;
SELECT ju1.x FROM (ju1 JOIN ju2 USING (x)) AS oa;
