-- LEFT / RIGHT / USING joins on column equalities (hash joins here),
-- with NULL keys, keys missing on either side, conditions on one side in
-- ON, duplicates, mixed integer types and empty sides.
CREATE TABLE ho (id int PRIMARY KEY, v int, k text);
CREATE TABLE hl (oid bigint, n int, w text, k text, PRIMARY KEY (oid, n));
CREATE TABLE he (id int PRIMARY KEY, k text);
INSERT INTO ho SELECT i, i % 13, CASE WHEN i % 5 = 0 THEN NULL ELSE 'k' || (i % 40) END FROM generate_series(-20, 3000) i WHERE i % 7 <> 0;
INSERT INTO hl SELECT i / 3, i % 3, 'w' || i, CASE WHEN i % 4 = 0 THEN NULL ELSE 'k' || (i % 50) END FROM generate_series(-30, 9500) i WHERE i % 11 <> 0;
SELECT ho.id, hl.w FROM ho LEFT JOIN hl ON hl.oid = ho.id WHERE ho.id BETWEEN 30 AND 40 ORDER BY 1, 2;
SELECT count(*), count(hl.w), sum(hl.n) FROM ho LEFT JOIN hl ON hl.oid = ho.id;
SELECT count(*), count(hl.w) FROM ho LEFT JOIN hl ON hl.oid = ho.id AND hl.n > 0 AND ho.v < 7;
SELECT ho.id, hl.n FROM ho LEFT JOIN hl ON hl.oid = ho.id AND ho.v = 3 WHERE ho.id < 12 ORDER BY 1, 2;
SELECT ho.id, hl.n FROM ho LEFT JOIN hl ON ho.id = hl.oid WHERE hl.oid IS NULL ORDER BY 1 LIMIT 20;
SELECT count(*) FROM ho LEFT JOIN hl ON hl.oid = ho.v;
SELECT ho.id, hl.oid, hl.n FROM ho RIGHT JOIN hl ON ho.id = hl.oid WHERE hl.oid < 3 ORDER BY 2, 3;
SELECT count(*), count(ho.id) FROM ho RIGHT JOIN hl ON ho.id = hl.oid;
SELECT count(*), count(ho.id), count(hl.w) FROM ho LEFT JOIN hl USING (k);
SELECT k, count(*) FROM ho LEFT JOIN hl USING (k) GROUP BY k ORDER BY 1 NULLS FIRST LIMIT 5;
SELECT k, count(*), count(ho.id) FROM ho RIGHT JOIN hl USING (k) GROUP BY k ORDER BY 1 NULLS FIRST LIMIT 5;
SELECT k, count(*) FROM ho JOIN hl USING (k) GROUP BY k ORDER BY 2 DESC, 1 LIMIT 5;
SELECT k, count(*) FROM ho NATURAL JOIN he GROUP BY k;
SELECT count(*) FROM he LEFT JOIN ho ON ho.id = he.id;
SELECT count(*) FROM ho LEFT JOIN he ON he.id = ho.id;
SELECT ho.id, j.w FROM ho LEFT JOIN hl AS j ON j.oid = ho.id AND j.w LIKE '%5' WHERE ho.id BETWEEN 100 AND 110 ORDER BY 1, 2;
SELECT ho.id, x.oid FROM ho LEFT JOIN (SELECT DISTINCT oid FROM hl) x ON x.oid = ho.id WHERE ho.id BETWEEN -25 AND 2 ORDER BY 1;
SELECT a.id, b.id FROM ho a LEFT JOIN ho b ON b.id = a.v WHERE a.id < 20 ORDER BY 1;
SELECT count(*) FROM ho a LEFT JOIN ho b ON a.k = b.k AND a.id < b.id;
SELECT ho.id, hl.n, h2.w FROM ho LEFT JOIN hl ON hl.oid = ho.id LEFT JOIN hl h2 ON h2.oid = hl.oid AND h2.n = hl.n WHERE ho.id < 5 ORDER BY 1, 2;
SELECT count(*) FROM ho FULL JOIN he ON he.id = ho.id;
-- WHERE conjuncts on the left-most table of LEFT joins narrow its scan; a
-- few left rows then look the right table up by its key.
SELECT ho.id, hl.n, hl.w FROM ho LEFT JOIN hl ON hl.oid = ho.id WHERE ho.id = 36 ORDER BY 2;
SELECT ho.id, hl.n, hl.w FROM ho LEFT JOIN hl ON hl.oid = ho.id WHERE ho.id = 35 ORDER BY 2;
SELECT ho.id, hl.n FROM ho LEFT JOIN hl ON hl.oid = ho.id WHERE ho.id IN (6, 7, 8, 2999, 5000) AND ho.v > 0 ORDER BY 1, 2;
SELECT ho.id, hl.n, h2.w FROM ho LEFT JOIN hl ON hl.oid = ho.id LEFT JOIN hl h2 ON h2.oid = hl.oid AND h2.n = hl.n WHERE ho.id BETWEEN 10 AND 14 ORDER BY 1, 2;
SELECT ho.id FROM ho LEFT JOIN hl ON hl.oid = ho.id AND hl.n = 2 WHERE hl.oid IS NULL AND ho.id < 100 ORDER BY 1;
SELECT ho.id, hl.n FROM ho LEFT JOIN hl ON hl.oid = ho.id WHERE ho.id = (SELECT min(oid) + 1 FROM hl) ORDER BY 2;
SELECT ho.id, hl.w, o2.v FROM ho JOIN hl USING (k) LEFT JOIN ho o2 ON o2.id = hl.oid WHERE ho.id = 12 ORDER BY 1, 2, 3;
SELECT ho.id, hl.n FROM ho LEFT JOIN hl ON hl.oid = ho.id WHERE ho.id = 40 AND hl.n = 1;
SELECT ho.id, hl.n FROM ho LEFT JOIN hl ON hl.oid = ho.id WHERE ho.id = 40 OR hl.n = 7 ORDER BY 1, 2;
SELECT ho.id, hl.n FROM ho LEFT JOIN hl ON hl.oid = ho.id WHERE ho.id > 2990 AND random() >= 0 ORDER BY 1, 2;
SELECT ho.id, hl.n FROM ho RIGHT JOIN hl ON hl.oid = ho.id WHERE hl.oid = 4 ORDER BY 2;
SELECT x.id, x.n FROM (ho LEFT JOIN hl ON hl.oid = ho.id) AS x WHERE x.id = 9 ORDER BY 2;
SELECT count(*) FROM ho LEFT JOIN hl ON hl.oid = ho.id WHERE v = 3;
SELECT count(*) FROM ho LEFT JOIN hl ON hl.oid = ho.id WHERE id = 3;
DROP TABLE ho, hl, he;
