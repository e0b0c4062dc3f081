-- WITH queries (PostgreSQL documentation 7.8 "WITH Queries (Common Table Expressions)"):
-- SELECT in WITH, column lists, nesting and scoping, WITH RECURSIVE with UNION and
-- UNION ALL, WITH before INSERT/UPDATE/DELETE, errors.
CREATE TABLE orders (region text, product text, quantity int, amount numeric);
INSERT INTO orders VALUES ('east', 'apple', 10, 5.5), ('east', 'pear', 3, 2.25), ('west', 'apple', 7, 4), ('west', 'plum', 1, 9.75), ('north', 'apple', 2, 1), ('north', 'pear', 20, 30);
WITH regional_sales AS (SELECT region, SUM(amount) AS total_sales FROM orders GROUP BY region), top_regions AS (SELECT region FROM regional_sales WHERE total_sales > (SELECT SUM(total_sales)/10 FROM regional_sales)) SELECT region, product, SUM(quantity) AS product_units, SUM(amount) AS product_sales FROM orders WHERE region IN (SELECT region FROM top_regions) GROUP BY region, product ORDER BY region, product;
WITH t AS (SELECT 1 AS x) SELECT * FROM t;
WITH t(a, b) AS (SELECT region, quantity FROM orders) SELECT a, sum(b) FROM t GROUP BY a ORDER BY a;
WITH t(a) AS (SELECT region, quantity FROM orders) SELECT a, quantity FROM t ORDER BY a, quantity;
WITH t(a, b, c) AS (SELECT 1, 2) SELECT * FROM t;
WITH t AS (SELECT 1), t AS (SELECT 2) SELECT * FROM t;
WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT * FROM a, b;
WITH b AS (SELECT x + 1 AS y FROM a), a AS (SELECT 1 AS x) SELECT * FROM b;
WITH t AS (SELECT quantity FROM orders) SELECT t1.quantity, t2.quantity FROM t t1 JOIN t t2 ON t2.quantity = t1.quantity * 2 ORDER BY 1;
WITH t AS (SELECT 5 AS n) SELECT (SELECT n FROM t) + 1;
SELECT * FROM (WITH t AS (SELECT 3 AS n) SELECT n * 2 AS m FROM t) q;
WITH orders AS (SELECT 'shadow' AS region) SELECT region FROM orders;
WITH t AS (SELECT 1 AS x) SELECT x FROM t WHERE EXISTS (WITH u AS (SELECT 1 AS y) SELECT 1 FROM u WHERE y = x);
WITH t AS (SELECT region FROM orders) SELECT count(*) FROM t UNION ALL SELECT 42 ORDER BY 1;
WITH t AS (SELECT region, amount FROM orders ORDER BY amount DESC LIMIT 2) SELECT * FROM t ORDER BY amount;
WITH t AS (VALUES (1, 'one'), (2, 'two')) SELECT * FROM t ORDER BY column1 DESC;
WITH t AS (SELECT 'abc' AS s) SELECT s, pg_typeof(s) FROM t;
WITH t AS MATERIALIZED (SELECT 1 AS x) SELECT * FROM t;
WITH t AS NOT MATERIALIZED (SELECT 1 AS x) SELECT * FROM t;
WITH t AS (SELECT nosuch FROM orders) SELECT * FROM t;
WITH t AS (SELECT 1) SELECT * FROM nosuch;
WITH t AS (SELECT 1 AS x) SELECT t.y FROM t;
-- WITH RECURSIVE
WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n+1 FROM t WHERE n < 100) SELECT sum(n) FROM t;
WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t) SELECT n FROM t LIMIT 10;
WITH RECURSIVE t(n) AS (SELECT 1 UNION SELECT n % 4 + 1 FROM t) SELECT n FROM t ORDER BY n;
WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n % 4 + 1 FROM t) SELECT n FROM t LIMIT 7;
WITH RECURSIVE fib(a, b) AS (SELECT 0::bigint, 1::bigint UNION ALL SELECT b, a + b FROM fib WHERE b < 1000) SELECT a FROM fib ORDER BY a;
WITH RECURSIVE fact(n, f) AS (SELECT 1, 1::numeric UNION ALL SELECT n + 1, f * (n + 1) FROM fact WHERE n < 25) SELECT n, f FROM fact ORDER BY n DESC LIMIT 3;
CREATE TABLE parts (sub_part text, part text, quantity int);
INSERT INTO parts VALUES ('car', 'wheel', 4), ('car', 'engine', 1), ('wheel', 'bolt', 5), ('wheel', 'tyre', 1), ('engine', 'piston', 6), ('piston', 'ring', 3), ('bike', 'wheel', 2);
WITH RECURSIVE included_parts(sub_part, part, quantity) AS (SELECT sub_part, part, quantity FROM parts WHERE sub_part = 'car' UNION ALL SELECT p.sub_part, p.part, p.quantity * pr.quantity FROM included_parts pr, parts p WHERE p.sub_part = pr.part) SELECT part, SUM(quantity) as total_quantity FROM included_parts GROUP BY part ORDER BY part;
WITH RECURSIVE search_tree(part, depth, path) AS (SELECT part, 1, part FROM parts WHERE sub_part = 'car' UNION ALL SELECT p.part, st.depth + 1, st.path || '/' || p.part FROM parts p, search_tree st WHERE p.sub_part = st.part) SELECT * FROM search_tree ORDER BY path;
WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3), u AS (SELECT n * 10 AS m FROM t) SELECT * FROM t, u ORDER BY n, m;
WITH RECURSIVE x AS (SELECT 1 AS v) SELECT * FROM x;
WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT n, row_number() OVER (ORDER BY n DESC) FROM t ORDER BY n;
WITH RECURSIVE t(n) AS (SELECT n FROM t UNION ALL SELECT 1) SELECT * FROM t;
WITH RECURSIVE t(n) AS (SELECT 1 INTERSECT SELECT n + 1 FROM t) SELECT * FROM t;
WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1.5 FROM t WHERE n < 3) SELECT * FROM t;
WITH RECURSIVE t(n) AS (SELECT 1::numeric UNION ALL SELECT n + 1.5 FROM t WHERE n < 3) SELECT * FROM t;
WITH RECURSIVE t(a, b) AS (SELECT 1 UNION ALL SELECT a + 1 FROM t WHERE a < 3) SELECT * FROM t;
-- WITH before INSERT, UPDATE, DELETE
CREATE TABLE totals (region text, total numeric);
WITH s AS (SELECT region, sum(amount) AS t FROM orders GROUP BY region) INSERT INTO totals SELECT region, t FROM s;
SELECT * FROM totals ORDER BY region;
WITH big AS (SELECT region FROM totals WHERE total > 10) UPDATE totals SET total = 0 WHERE region IN (SELECT region FROM big);
SELECT * FROM totals ORDER BY region;
WITH z AS (SELECT region FROM totals WHERE total = 0) DELETE FROM totals WHERE region IN (SELECT region FROM z);
SELECT * FROM totals ORDER BY region;
WITH moved AS (DELETE FROM totals RETURNING *) SELECT * FROM moved;
-- Data-modifying statements in WITH: INSERT/UPDATE/DELETE ... RETURNING read by the main statement, unreferenced ones still run, column aliases, errors.
CREATE TABLE src (id int PRIMARY KEY, v text);
CREATE TABLE dst (id int PRIMARY KEY, v text);
CREATE TABLE log (n int, what text);
INSERT INTO src VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, NULL);
WITH moved AS (DELETE FROM src WHERE id <= 2 RETURNING *) INSERT INTO dst SELECT * FROM moved;
SELECT * FROM dst ORDER BY id;
WITH ins AS (INSERT INTO dst VALUES (10, 'x'), (11, 'y') RETURNING id, v) SELECT id, upper(v) FROM ins ORDER BY id;
WITH u AS (UPDATE dst SET v = v || '!' WHERE id > 5 RETURNING id, v AS nv) SELECT count(*), string_agg(nv, ',' ORDER BY id) FROM u;
WITH d AS (DELETE FROM dst WHERE id = 999 RETURNING *) SELECT count(*) FROM d;
WITH d AS (DELETE FROM dst WHERE id = 10) SELECT 1;
SELECT * FROM dst ORDER BY id;
WITH d AS (DELETE FROM dst WHERE id = 11) SELECT * FROM d;
WITH a AS (SELECT 3 AS k), d AS (DELETE FROM src WHERE id IN (SELECT k FROM a) RETURNING id, v) INSERT INTO log SELECT id, coalesce(v, 'null') FROM d RETURNING *;
WITH d (i, w) AS (DELETE FROM src RETURNING *) INSERT INTO log SELECT i, 'moved ' || coalesce(w, '?') FROM d;
SELECT * FROM log ORDER BY n, what;
SELECT count(*) FROM src;
WITH i1 AS (INSERT INTO src VALUES (7, 'p') RETURNING id), i2 AS (INSERT INTO log VALUES (7, 'q') RETURNING n) SELECT (SELECT id FROM i1), (SELECT n FROM i2);
SELECT * FROM (WITH d AS (DELETE FROM log RETURNING *) SELECT * FROM d) q;
WITH d AS (DELETE FROM nosuch RETURNING *) SELECT * FROM d;
WITH i AS (INSERT INTO src VALUES (7, 'dup') RETURNING *) SELECT * FROM i;
WITH u AS (UPDATE log SET n = n + 100 RETURNING n) SELECT sum(n) FROM u;
SELECT * FROM src ORDER BY id;
DROP TABLE src, dst, log;
-- ORDER BY, OFFSET and LIMIT of a recursive term are refused as PostgreSQL's
-- checkWellFormedRecursion does (0A000, one message each, in its order);
-- inside parentheses they are allowed.
-- compare: messages
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3 ORDER BY 1) SELECT * FROM r;
-- compare: messages
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3 LIMIT 2) SELECT * FROM r;
-- compare: messages
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3 OFFSET 1) SELECT * FROM r;
-- compare: messages
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3 ORDER BY n LIMIT 1) SELECT * FROM r;
-- compare: messages
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3 LIMIT 1 OFFSET 1) SELECT * FROM r;
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL (SELECT n + 1 FROM r WHERE n < 3 LIMIT 1)) SELECT * FROM r;
