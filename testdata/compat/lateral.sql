-- LATERAL (PostgreSQL documentation 7.2.1.5 "LATERAL Subqueries"): a
-- subquery marked LATERAL and any function in FROM may refer to the FROM
-- items before it; it is evaluated for each row of those items.
CREATE TABLE lt (a int, n int, arr int[], tag text);
INSERT INTO lt VALUES (1, 2, '{1,2}', 'one'), (2, 0, '{}', 'two'), (3, 3, NULL, NULL), (NULL, 1, '{5,NULL}', 'none');
CREATE TABLE lu (x int, y text);
INSERT INTO lu VALUES (1, 'a'), (1, 'b'), (2, 'c'), (NULL, 'd'), (4, NULL);
CREATE TABLE lempty (x int);
-- comma-joined LATERAL subqueries
SELECT lt.a, s.y FROM lt, LATERAL (SELECT y FROM lu WHERE x = lt.a) s ORDER BY 1, 2;
SELECT lt.a, s.y FROM lt, LATERAL (SELECT y FROM lu WHERE x = lt.a) AS s(y) ORDER BY 1, 2;
SELECT a, y FROM lt, LATERAL (SELECT y FROM lu WHERE x = a) s ORDER BY 1, 2;
SELECT lt.a, s.c FROM lt, LATERAL (SELECT count(*) AS c FROM lu WHERE lu.x = lt.a) s ORDER BY 1;
SELECT lt.a, s.m FROM lt, LATERAL (SELECT max(x) AS m FROM lu WHERE x <= lt.a) s ORDER BY 1;
SELECT lt.a, s.m FROM lt, LATERAL (SELECT max(x) AS m FROM lu WHERE x <= lt.a GROUP BY y) s ORDER BY 1, 2;
SELECT * FROM lt, LATERAL (SELECT lt.a + 1 AS b) s ORDER BY a;
SELECT * FROM lt, LATERAL (SELECT lt.a * lt.n AS p, lt.tag || '!' AS t2) s ORDER BY a;
SELECT lt.a, s.* FROM lt, LATERAL (SELECT y, x FROM lu WHERE x = lt.a ORDER BY y DESC LIMIT 1) s ORDER BY 1;
SELECT lt.a, s.y FROM lt, LATERAL (SELECT y FROM lu WHERE x = lt.a ORDER BY y OFFSET 1) s ORDER BY 1;
SELECT t1.a, s.a FROM lt t1, LATERAL (SELECT * FROM lt t2 WHERE t2.a > t1.a) s ORDER BY 1, 2;
SELECT t1.a, s.a FROM lt t1, LATERAL (SELECT t2.a FROM lt t2 WHERE t2.a > t1.a) s WHERE s.a < 3 ORDER BY 1, 2;
SELECT * FROM lt, LATERAL (VALUES (lt.a), (lt.n)) v(z) ORDER BY a, z;
SELECT * FROM lt, LATERAL (SELECT x FROM lu WHERE x = lt.a UNION ALL SELECT lt.n) s ORDER BY 1, 2, 3, 4, 5;
SELECT * FROM lt, LATERAL (SELECT x FROM lu WHERE x = lt.a UNION SELECT lt.n) s ORDER BY 1, 2, 3, 4, 5;
SELECT lt.a, s.d FROM lt, LATERAL (SELECT DISTINCT x AS d FROM lu WHERE x >= lt.a) s ORDER BY 1, 2;
SELECT lt.a, s.r FROM lt, LATERAL (SELECT row_number() OVER (ORDER BY y) AS r FROM lu WHERE x = lt.a) s ORDER BY 1, 2;
SELECT lt.a, s.y FROM lt, LATERAL (SELECT y FROM lu WHERE x = lt.a) s WHERE s.y <> 'a' ORDER BY 1, 2;
SELECT lt.a, s.y FROM lt, LATERAL (SELECT y FROM lu WHERE x = lt.a) s WHERE lt.n > 1 ORDER BY 1, 2;
SELECT count(*) FROM lt, LATERAL (SELECT y FROM lu WHERE x = lt.a) s;
SELECT lt.tag, count(s.y) FROM lt, LATERAL (SELECT y FROM lu WHERE x = lt.a) s GROUP BY lt.tag ORDER BY 1;
SELECT lt.a, s.y FROM lt, LATERAL (SELECT y FROM lempty, lu WHERE lu.x = lt.a) s;
SELECT lt.a FROM lt, LATERAL (SELECT 1 FROM lempty WHERE lempty.x = lt.a) s;
SELECT * FROM lempty, LATERAL (SELECT lempty.x + 1) s;
SELECT lt.a, s.y FROM lt, lu, LATERAL (SELECT lu.y || lt.tag AS y) s WHERE lu.x = lt.a ORDER BY 1, 2;
SELECT lt.a, s.v, q.w FROM lt, LATERAL (SELECT lt.a * 10 AS v) s, LATERAL (SELECT s.v + 1 AS w) q ORDER BY 1;
SELECT lt.a, s.v FROM lt, LATERAL (SELECT lt.a * 10 AS v) s, lu WHERE lu.x = s.v / 10 ORDER BY 1, 2;
SELECT * FROM LATERAL (SELECT 1 AS z) s;
SELECT * FROM LATERAL (SELECT 1 AS z) s, LATERAL (SELECT s.z + 1 AS w) q;
-- JOIN LATERAL
SELECT lt.a, s.y FROM lt JOIN LATERAL (SELECT y FROM lu WHERE x = lt.a) s ON true ORDER BY 1, 2;
SELECT lt.a, s.y FROM lt JOIN LATERAL (SELECT y FROM lu WHERE x = lt.a) s ON s.y <> 'a' ORDER BY 1, 2;
SELECT lt.a, s.y FROM lt INNER JOIN LATERAL (SELECT y FROM lu WHERE x = lt.a) s ON lt.n = 2 ORDER BY 1, 2;
SELECT lt.a, s.y FROM lt CROSS JOIN LATERAL (SELECT y FROM lu WHERE x = lt.a) s ORDER BY 1, 2;
SELECT lt.a, s.y FROM lt LEFT JOIN LATERAL (SELECT y FROM lu WHERE x = lt.a) s ON true ORDER BY 1, 2;
SELECT lt.a, s.y FROM lt LEFT JOIN LATERAL (SELECT y FROM lu WHERE x = lt.a ORDER BY y LIMIT 1) s ON true ORDER BY 1, 2;
SELECT lt.a, s.y FROM lt LEFT JOIN LATERAL (SELECT y FROM lu WHERE x = lt.a) s ON s.y <> 'a' ORDER BY 1, 2;
SELECT lt.a, s.y FROM lt LEFT JOIN LATERAL (SELECT y FROM lu WHERE x = lt.a) s ON false ORDER BY 1, 2;
SELECT lt.a, s.y FROM lt LEFT OUTER JOIN LATERAL (SELECT y FROM lu WHERE x = lt.a) AS s ON s.y IS NOT NULL ORDER BY 1, 2;
SELECT lt.a, s.y, s.y IS NULL FROM lt LEFT JOIN LATERAL (SELECT y FROM lu WHERE x = lt.a) s ON true WHERE s.y IS NULL ORDER BY 1;
SELECT lt.a, s.c FROM lt LEFT JOIN LATERAL (SELECT count(*) AS c FROM lu WHERE x = lt.a) s ON true ORDER BY 1;
SELECT lt.a, s.top FROM lt LEFT JOIN LATERAL (SELECT string_agg(y, ',' ORDER BY y) AS top FROM lu WHERE x = lt.a) s ON true ORDER BY 1;
SELECT lt.a, s.y, q.x FROM lt LEFT JOIN LATERAL (SELECT y FROM lu WHERE x = lt.a) s ON true LEFT JOIN lu q ON q.y = s.y ORDER BY 1, 2;
SELECT lt.a, s.y FROM lu JOIN lt ON lu.x = lt.a JOIN LATERAL (SELECT lu.y || '-' || lt.tag AS y) s ON true ORDER BY 1, 2;
SELECT lt.a, s.y FROM lt LEFT JOIN LATERAL (SELECT y FROM lu WHERE x = lt.a) s ON true WHERE lt.a IS NOT NULL ORDER BY 1, 2;
SELECT x.a, x.y FROM (lt LEFT JOIN LATERAL (SELECT y FROM lu WHERE x = lt.a) s ON true) AS x(a, n, arr, tag, y) ORDER BY 1, 2;
SELECT * FROM lt FULL JOIN LATERAL (SELECT 1 AS z) s ON true ORDER BY a;
SELECT * FROM lt RIGHT JOIN LATERAL (SELECT 7 AS z) s ON lt.a = 1;
SELECT * FROM lt RIGHT JOIN LATERAL (SELECT lt.a) s ON true;
SELECT * FROM lt FULL JOIN LATERAL (SELECT lt.a AS b) s ON true;
-- functions in FROM see the items before them (implicitly LATERAL)
SELECT lt.a, g FROM lt, generate_series(1, lt.n) g ORDER BY 1, 2;
SELECT lt.a, g FROM lt, LATERAL generate_series(1, lt.n) g ORDER BY 1, 2;
SELECT lt.a, g FROM lt, generate_series(lt.n, 1, -1) WITH ORDINALITY AS g ORDER BY 1, 2;
SELECT lt.a, e FROM lt, unnest(lt.arr) e ORDER BY 1, 2;
SELECT lt.a, e, o FROM lt, unnest(lt.arr) WITH ORDINALITY AS u(e, o) ORDER BY 1, 3;
SELECT lt.a, e FROM lt CROSS JOIN LATERAL unnest(lt.arr) e ORDER BY 1, 2;
SELECT lt.a, e FROM lt CROSS JOIN unnest(lt.arr) AS e ORDER BY 1, 2;
SELECT lt.a, e FROM lt JOIN unnest(lt.arr) e ON e > 1 ORDER BY 1, 2;
SELECT lt.a, e FROM lt LEFT JOIN LATERAL unnest(lt.arr) e ON true ORDER BY 1, 2;
SELECT lt.a, e, o FROM lt LEFT JOIN unnest(lt.arr) WITH ORDINALITY AS x(e, o) ON true ORDER BY 1, 3;
SELECT lt.a, e FROM lt LEFT JOIN unnest(lt.arr) e ON e = lt.a ORDER BY 1, 2;
SELECT lu.y, g FROM lu JOIN LATERAL generate_series(1, lu.x) g ON g > 1 ORDER BY 1, 2;
SELECT lu.y, g FROM lu LEFT JOIN generate_series(1, lu.x) g ON g > 1 ORDER BY 1, 2;
SELECT a, sum(g) FROM lt, generate_series(1, n) g GROUP BY a ORDER BY a;
SELECT a, count(*) FROM lt LEFT JOIN generate_series(1, n) g ON true GROUP BY a ORDER BY a;
SELECT lt.a, g, s.y FROM lt, generate_series(1, lt.n) g, LATERAL (SELECT y FROM lu WHERE x = g) s ORDER BY 1, 2, 3;
SELECT lt.a, g FROM lt, LATERAL (SELECT generate_series(1, lt.n) AS g) s ORDER BY 1, 2;
SELECT * FROM generate_series(1, 3) a, LATERAL (SELECT a * 2 AS b) s ORDER BY a;
SELECT * FROM generate_series(1, 3) a, LATERAL generate_series(a, 3) b ORDER BY a, b;
SELECT * FROM generate_series(1, 3) a LEFT JOIN LATERAL (SELECT b FROM generate_series(1, a) b WHERE b > 1) s ON true ORDER BY a, b;
SELECT * FROM generate_series(1, 3) a FULL JOIN generate_series(2, 4) b ON a = b ORDER BY a, b;
-- correlated with an enclosing query
SELECT a, (SELECT sum(v) FROM lt t2, LATERAL (SELECT t2.n * lt.a AS v) s) FROM lt ORDER BY a;
SELECT a, (SELECT string_agg(s.y, ',' ORDER BY s.y) FROM LATERAL (SELECT y FROM lu WHERE lu.x = lt.a) s) FROM lt ORDER BY a;
SELECT a FROM lt WHERE EXISTS (SELECT 1 FROM lu, LATERAL (SELECT lu.x + lt.n AS w) s WHERE s.w = 3) ORDER BY a;
SELECT a, (SELECT max(g) FROM generate_series(1, lt.n) g, LATERAL (SELECT g + lt.a AS h) s WHERE h > 2) FROM lt ORDER BY a;
SELECT * FROM (SELECT lt.a, s.y FROM lt, LATERAL (SELECT y FROM lu WHERE x = lt.a) s) q ORDER BY 1, 2;
WITH w AS (SELECT lt.a, s.y FROM lt, LATERAL (SELECT y FROM lu WHERE x = lt.a) s) SELECT count(*), min(y) FROM w;
SELECT lt.a, s.y FROM lt, LATERAL (SELECT y FROM lu WHERE x = lt.a) s UNION ALL SELECT 0, 'z' ORDER BY 1, 2;
CREATE VIEW lv AS SELECT lt.a, s.y FROM lt LEFT JOIN LATERAL (SELECT y FROM lu WHERE x = lt.a) s ON true;
SELECT * FROM lv ORDER BY 1, 2;
INSERT INTO lempty SELECT s.v FROM lt, LATERAL (SELECT lt.a + 100 AS v) s WHERE lt.a IS NOT NULL;
SELECT * FROM lempty ORDER BY x;
-- errors
SELECT * FROM lt, (SELECT lt.a) s;
SELECT * FROM lt, (SELECT a) s;
SELECT * FROM LATERAL (SELECT lt.a) s, lt;
SELECT * FROM lt, LATERAL (SELECT nosuch FROM lu) s;
SELECT * FROM lt JOIN LATERAL (SELECT y FROM lu WHERE x = lt.a) s ON s.y;
SELECT * FROM lt, LATERAL (SELECT 1, 2) s(p, q, r);
SELECT * FROM lt, LATERAL (SELECT y FROM lu WHERE x = lt.a) s, LATERAL (SELECT 1) s;
SELECT lt.a, s.q FROM lt, LATERAL (SELECT 10 / lt.n AS q) s ORDER BY 1;
SELECT lt.a, s.q FROM lt, LATERAL (SELECT (SELECT y FROM lu WHERE x = lt.a) AS q) s ORDER BY 1;
-- FROM alias column lists (a join's or a table's hidden row id is not a
-- column; more names than columns is 42P10)
SELECT j.a, j.y FROM (lt LEFT JOIN lu ON lu.x = lt.a) AS j(a, n, arr, tag, x, y) ORDER BY 1, 2;
SELECT j.p FROM (lt CROSS JOIN LATERAL (SELECT lt.a + 1) s) AS j(a, n, arr, tag, p) ORDER BY 1;
SELECT q.i, q.w FROM lu AS q(i, w) WHERE q.i = 1 ORDER BY w;
SELECT * FROM lu AS q(i) WHERE i = 2;
SELECT i FROM lu AS q(i, w, z);
SELECT * FROM (SELECT 1, 2) s(p, q, r);
SELECT * FROM (lt JOIN lu ON true) AS j(a, b, c, d, e, f, g);
-- LATERAL with USING / NATURAL, in parenthesised joins, and in UPDATE … FROM
-- / DELETE … USING, where the target table is no FROM item a LATERAL
-- subquery may see (42P01 invalid reference to FROM-clause entry).
CREATE TABLE lla (id int, v int);
INSERT INTO lla VALUES (1, 10), (2, 20), (3, NULL);
CREATE TABLE llb (id int, w int);
INSERT INTO llb VALUES (1, 100), (1, 101), (3, 300);
SELECT * FROM lla JOIN LATERAL (SELECT lla.id AS id, lla.v * 2 AS d) s USING (id) ORDER BY id;
SELECT * FROM lla JOIN LATERAL (SELECT llb.id, llb.w + lla.v AS x FROM llb WHERE llb.w > lla.id) s USING (id) ORDER BY id, x;
SELECT * FROM lla LEFT JOIN LATERAL (SELECT llb.id, llb.w + lla.v AS x FROM llb WHERE llb.id = lla.id) s USING (id) ORDER BY id, x;
SELECT id, lla.id, s.id FROM lla LEFT JOIN LATERAL (SELECT llb.id FROM llb WHERE llb.w > 100 + lla.id) s USING (id) ORDER BY 1, 2, 3;
SELECT * FROM lla NATURAL JOIN LATERAL (SELECT lla.id, lla.v) s ORDER BY id;
SELECT * FROM lla NATURAL LEFT JOIN LATERAL (SELECT llb.id, llb.w AS v FROM llb WHERE llb.id = lla.id) s ORDER BY id;
SELECT * FROM lla JOIN LATERAL (SELECT lla.id) s USING (id) JOIN llb USING (id) ORDER BY id, w;
SELECT * FROM (lla JOIN LATERAL (SELECT lla.v + 1 AS w) s ON true) ORDER BY id;
SELECT * FROM lla l1 JOIN (lla l2 CROSS JOIN LATERAL (SELECT l2.v + 1 AS w) s) ON l1.id = l2.id ORDER BY 1;
SELECT * FROM (lla CROSS JOIN LATERAL (SELECT lla.v * 2 AS dd) s1) JOIN (llb CROSS JOIN LATERAL (SELECT llb.w + 1 AS ww) s2) ON lla.id = llb.id ORDER BY 1, 4, 5;
SELECT * FROM llb, (lla CROSS JOIN LATERAL (SELECT lla.v + llb.w AS z) s) WHERE lla.id = llb.id ORDER BY 1;
SELECT * FROM llb, LATERAL (lla JOIN LATERAL (SELECT lla.v + llb.w AS z) s ON true) WHERE lla.id = llb.id ORDER BY 1;
-- compare: messages
UPDATE lla SET v = s.w FROM LATERAL (SELECT lla.v + 5 AS w) s;
-- compare: messages
UPDATE lla SET v = s.w FROM llb, LATERAL (SELECT lla.v + llb.w AS w) s WHERE llb.id = lla.id;
UPDATE lla SET v = s.x FROM llb, LATERAL (SELECT llb.w + 1 AS x) s WHERE llb.id = lla.id AND llb.w = 100;
SELECT * FROM lla ORDER BY id;
UPDATE lla SET v = s.x FROM llb JOIN LATERAL (SELECT llb.w * 2 AS x) s ON true WHERE llb.id = lla.id AND llb.w > 200;
SELECT * FROM lla ORDER BY id;
UPDATE lla SET v = g FROM generate_series(1, 1) g WHERE lla.id = 1 RETURNING *;
-- compare: messages
DELETE FROM lla USING LATERAL (SELECT lla.id AS z) s WHERE s.z = lla.id;
DELETE FROM lla USING llb, LATERAL (SELECT llb.w AS z) s WHERE llb.id = lla.id AND s.z = 300;
SELECT * FROM lla ORDER BY id;
-- A LATERAL item inside a join sees the FROM items before that join too;
-- the join's other parts (its ON, a plain subquery) do not (42P01).
CREATE TABLE llc (x int);
INSERT INTO llc VALUES (100), (300);
SELECT * FROM llb, (lla LEFT JOIN LATERAL (SELECT x FROM llc WHERE x = llb.w) s ON true) ORDER BY 1, 2, 3;
SELECT * FROM llb, (lla CROSS JOIN LATERAL generate_series(llb.w, llb.w + lla.id) g) WHERE lla.id = 1 ORDER BY 1, 2, 5;
SELECT * FROM llb, (lla CROSS JOIN LATERAL (SELECT lla.v) s) ORDER BY 1, 2, 3;
SELECT (SELECT count(*) FROM llb, (lla CROSS JOIN LATERAL (SELECT lla.v + llb.w + o.id AS z) s) WHERE lla.id = llb.id) FROM lla o ORDER BY 1;
SELECT * FROM llb, (lla JOIN (SELECT llb.w AS z) s ON true);
SELECT * FROM llb, (lla JOIN llc ON llc.x = llb.w);
SELECT * FROM llb, (lla JOIN LATERAL (SELECT lla.v + llb.w AS z) s ON s.z > llb.w);
