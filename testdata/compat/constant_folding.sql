-- Constant folding while planning (PostgreSQL's eval_const_expressions):
-- an immutable function or operator whose arguments are all constants is
-- evaluated when the statement is planned, so its error (22012, 22003 …)
-- is raised even when no row is ever read. CASE drops a branch whose
-- condition is a constant false or NULL (and every branch after a
-- constant true one) before folding it; COALESCE stops at its first
-- non-null constant; AND/OR stop at their first constant false/true.
-- Volatile and stable functions are not folded.
CREATE TABLE cf (a int, b int, t text);
CREATE TABLE cf_empty (a int, b int);
INSERT INTO cf VALUES (1, 2, 'x'), (3, NULL, NULL);
SELECT 1 / 0 FROM cf WHERE false;
SELECT 1 / 0 FROM cf_empty;
SELECT a FROM cf_empty WHERE a = 1 / 0;
SELECT a FROM cf WHERE false AND a = 1 / 0;
SELECT a FROM cf WHERE a = 1 / 0 AND false;
SELECT a FROM cf WHERE true OR a = 1 / 0;
SELECT a FROM cf WHERE a = 1 / 0 OR true;
SELECT a FROM cf WHERE a > 5 AND (false AND 1 / 0 = 1);
SELECT a FROM cf WHERE NULL AND a = 1 / 0;
SELECT 2147483647 + 1 FROM cf_empty;
SELECT 9223372036854775807 * 2 FROM cf_empty;
SELECT (-32768)::int2 * -1::int2 FROM cf_empty;
SELECT 1.0 / 0 FROM cf_empty;
SELECT 1::float8 / 0 FROM cf_empty;
SELECT 5 % 0 FROM cf_empty;
SELECT a + 1 / 0 FROM cf_empty;
SELECT a FROM cf_empty ORDER BY 1 / 0;
SELECT count(*) FROM cf_empty GROUP BY 1 / 0;
SELECT count(*) FROM cf_empty HAVING 1 / 0 = 1;
SELECT a FROM cf_empty LIMIT 1 / 0;
SELECT a FROM cf_empty OFFSET 1 / 0;
SELECT sum(1 / 0) FROM cf_empty;
SELECT count(*) FILTER (WHERE 1 / 0 = 1) FROM cf_empty;
SELECT count(*) OVER (ORDER BY 1 / 0) FROM cf_empty;
SELECT row_number() OVER (PARTITION BY 1 / 0) FROM cf_empty;
SELECT DISTINCT 1 / 0 FROM cf_empty;
SELECT * FROM cf_empty x JOIN cf_empty y ON 1 / 0 = 1;
SELECT * FROM cf_empty x JOIN cf y ON false AND 1 / 0 = 1;
SELECT * FROM cf_empty x LEFT JOIN cf y ON x.a = 1 / 0;
SELECT * FROM cf_empty x, cf y WHERE x.a = y.a AND y.b = 1 / 0;
SELECT * FROM cf_empty x, cf y WHERE x.a = y.a AND (false AND y.b = 1 / 0);
-- CASE: a constant-false or NULL condition drops its branch; a constant
-- true one drops the rest; a branch under a non-constant condition is
-- folded all the same.
SELECT CASE WHEN false THEN 1 / 0 ELSE 5 END FROM cf;
SELECT CASE WHEN NULL THEN 1 / 0 ELSE 5 END FROM cf;
SELECT CASE WHEN true THEN 5 ELSE 1 / 0 END FROM cf;
SELECT CASE WHEN true THEN 5 WHEN a > 0 THEN 1 / 0 END FROM cf;
SELECT CASE WHEN a > 0 THEN 1 / 0 END FROM cf_empty;
SELECT CASE WHEN a > 0 THEN 5 ELSE 1 / 0 END FROM cf_empty;
SELECT CASE WHEN a > 0 THEN 5 WHEN false THEN 1 / 0 ELSE 6 END FROM cf;
SELECT CASE WHEN 1 / 0 = 1 THEN 5 END FROM cf_empty;
SELECT CASE WHEN false THEN 1 / 0 WHEN true THEN 7 ELSE 1 / 0 END FROM cf;
SELECT CASE 1 WHEN 2 THEN 1 / 0 ELSE 3 END FROM cf;
SELECT CASE 1 WHEN 1 THEN 3 ELSE 1 / 0 END FROM cf;
SELECT CASE a WHEN 1 THEN 3 ELSE 1 / 0 END FROM cf_empty;
SELECT CASE WHEN 1 = 2 THEN 1 / 0 ELSE 0 END FROM cf;
SELECT CASE WHEN 1 > 2 OR 2 > 3 THEN 1 / 0 ELSE 0 END FROM cf;
SELECT CASE WHEN a IS NULL AND false THEN 1 / 0 ELSE 0 END FROM cf;
SELECT CASE WHEN false THEN sum(1 / 0) ELSE 0 END FROM cf;
SELECT CASE WHEN a > 0 THEN sum(1 / 0) ELSE 0 END FROM cf_empty GROUP BY a;
SELECT CASE WHEN random() > 2 THEN 1 / 0 ELSE 0 END FROM cf_empty;
-- COALESCE stops at its first non-null constant; NULLIF, GREATEST and
-- LEAST fold their arguments.
SELECT coalesce(1, 1 / 0) FROM cf;
SELECT coalesce(NULL, 1 / 0) FROM cf_empty;
SELECT coalesce(a, 1 / 0) FROM cf_empty;
SELECT coalesce(a, 2, 1 / 0) FROM cf;
SELECT coalesce(NULL::int, NULL, 4, 1 / 0) FROM cf;
SELECT nullif(1 / 0, 1) FROM cf_empty;
SELECT greatest(a, 1 / 0) FROM cf_empty;
SELECT least(1, 2, 1 / 0) FROM cf_empty;
-- Strict operators over a NULL constant fold to NULL without the other
-- side, unless that side itself fails to fold.
SELECT a + NULL FROM cf;
SELECT (1 / 0) + NULL FROM cf_empty;
SELECT NULL * (2147483647 + 1) FROM cf_empty;
SELECT abs(NULL::int) + 1 / 0 FROM cf_empty;
-- Immutable functions on constants are folded; volatile and stable ones
-- are not.
SELECT abs(-2147483648) FROM cf_empty;
SELECT sqrt(-1) FROM cf_empty;
SELECT ln(0) FROM cf_empty;
SELECT log(-1) FROM cf_empty;
SELECT power(0, -1) FROM cf_empty;
SELECT repeat('x', 2) || 1 / 0 FROM cf_empty;
SELECT substr('abc', 1, -1) FROM cf_empty;
SELECT 'abc'::int FROM cf_empty;
SELECT '99999999999'::int FROM cf_empty;
SELECT 40000::int2 FROM cf_empty;
SELECT 3000000000::int4 FROM cf_empty;
SELECT 12345.678::numeric(4,2) FROM cf_empty;
SELECT 'abcd'::varchar(2) FROM cf_empty;
SELECT chr(0) FROM cf_empty;
SELECT 1 / (random()::int * 0) FROM cf_empty;
SELECT 1 / (extract(year FROM now())::int * 0) FROM cf_empty;
SELECT now() + (1 / 0) * interval '1 day' FROM cf_empty;
SELECT 1 / 0 = a FROM cf_empty;
SELECT 1 / 0 IS NULL FROM cf_empty;
SELECT (1 / 0) IS DISTINCT FROM 1 FROM cf_empty;
SELECT 1 / 0 BETWEEN 1 AND 2 FROM cf_empty;
SELECT a IN (1, 1 / 0) FROM cf_empty;
SELECT a = ANY (ARRAY[1, 1 / 0]) FROM cf_empty;
SELECT 'x' LIKE 'x' || (1 / 0)::text FROM cf_empty;
SELECT NOT (1 / 0 = 1) FROM cf_empty;
SELECT (1 / 0 = 1) IS TRUE FROM cf_empty;
SELECT - (1 / 0) FROM cf_empty;
SELECT pg_typeof(1 / 0) FROM cf_empty;
-- Subqueries are planned with the statement: a scalar or IN subquery's
-- expressions are folded; an EXISTS drops its select list first.
SELECT (SELECT 1 / 0) FROM cf_empty;
SELECT a FROM cf_empty WHERE a IN (SELECT 1 / 0);
SELECT a FROM cf_empty WHERE a IN (SELECT a FROM cf WHERE b = 1 / 0);
SELECT EXISTS (SELECT 1 / 0 FROM cf) FROM cf_empty;
SELECT EXISTS (SELECT 1 / 0) FROM cf;
SELECT a FROM cf WHERE EXISTS (SELECT 1 / 0 FROM cf_empty);
SELECT a FROM cf WHERE NOT EXISTS (SELECT 1 / 0 FROM cf_empty ORDER BY 1 / 0);
SELECT a FROM cf_empty WHERE EXISTS (SELECT 1 FROM cf WHERE b = 1 / 0);
SELECT a FROM cf_empty WHERE EXISTS (SELECT sum(1 / 0) FROM cf);
SELECT a FROM cf_empty WHERE EXISTS (SELECT 1 / 0 FROM cf LIMIT 1);
SELECT a FROM cf_empty WHERE EXISTS (SELECT 1 / 0 FROM cf OFFSET 1);
SELECT a FROM cf_empty WHERE EXISTS (SELECT 1 / 0 FROM cf LIMIT 0);
-- EXISTS runs its query without its select list, ORDER BY, DISTINCT and a
-- positive LIMIT: they are not evaluated on its rows either.
CREATE TABLE cf_z (a int, b int);
INSERT INTO cf_z VALUES (1, 0);
SELECT EXISTS (SELECT a / b FROM cf_z);
SELECT a FROM cf WHERE EXISTS (SELECT x.a / x.b FROM cf_z x WHERE x.a = cf.a);
SELECT a FROM cf WHERE NOT EXISTS (SELECT x.a / x.b FROM cf_z x WHERE x.a = cf.a) ORDER BY a;
SELECT EXISTS (SELECT DISTINCT a / b FROM cf_z ORDER BY 1);
SELECT EXISTS (SELECT a / b FROM cf_z ORDER BY a / b LIMIT 1);
SELECT EXISTS (SELECT sum(a / b) FROM cf_z);
SELECT EXISTS (SELECT a / b FROM cf_z OFFSET 0);
SELECT EXISTS (SELECT a / b FROM cf_z LIMIT 0);
SELECT EXISTS (SELECT a / b, generate_series(1, 2) FROM cf_z);
SELECT EXISTS (SELECT nosuch FROM cf_z);
SELECT EXISTS (SELECT a / b FROM cf_z WHERE a / b = 0);
SELECT * FROM (SELECT 1 / 0 AS x FROM cf_empty) s;
SELECT * FROM (SELECT 1 / 0 AS x FROM cf) s WHERE false;
SELECT * FROM cf_empty, LATERAL (SELECT a / 0) s;
WITH w AS (SELECT 1 / 0 AS x) SELECT a FROM cf_empty;
WITH w AS MATERIALIZED (SELECT 1 / 0 AS x) SELECT a FROM cf_empty;
SELECT 1 / 0 FROM cf_empty UNION ALL SELECT 1;
SELECT 1 UNION SELECT 1 / 0 FROM cf_empty;
VALUES (1), (1 / 0);
SELECT * FROM generate_series(1, 1 / 0) g WHERE false;
SELECT 1 / 0 FROM cf_empty, nosuchtable;
SELECT 1 / 0, nosuchcolumn FROM cf_empty;
-- Data-changing statements fold too, before touching any row.
UPDATE cf SET b = 1 / 0 WHERE false;
UPDATE cf SET b = CASE WHEN false THEN 1 / 0 ELSE b END WHERE a = 1 RETURNING a, b;
DELETE FROM cf WHERE a = 1 / 0 AND false;
DELETE FROM cf_empty WHERE a = 1 / 0;
INSERT INTO cf_empty SELECT 1 / 0, 1 FROM cf WHERE false;
INSERT INTO cf_empty SELECT a, b FROM cf WHERE false RETURNING a / 0;
INSERT INTO cf_empty VALUES (1, 2) ON CONFLICT DO NOTHING RETURNING a + 2147483647 * 2;
SELECT * FROM cf ORDER BY a;
SELECT * FROM cf_empty;
-- A view, a CHECK constraint and a column DEFAULT are not planned when
-- they are defined: their constant errors come when a statement uses them.
CREATE VIEW cf_v AS SELECT 1 / 0 AS x FROM cf_empty;
SELECT * FROM cf_v;
SELECT count(*) FROM cf_v;
CREATE TABLE cf_chk (a int CHECK (a > 1 / 0));
INSERT INTO cf_chk SELECT 1 WHERE false;
INSERT INTO cf_chk VALUES (1);
CREATE TABLE cf_def (a int, b int DEFAULT 1 / 0);
INSERT INTO cf_def (a, b) SELECT 1, 2 WHERE false;
INSERT INTO cf_def (a, b) VALUES (1, 2);
INSERT INTO cf_def (a) VALUES (1);
SELECT * FROM cf_def;
-- PREPARE plans nothing: EXECUTE raises the error.
PREPARE cf_p AS SELECT 1 / 0 FROM cf_empty;
EXECUTE cf_p;
PREPARE cf_q AS SELECT CASE WHEN false THEN 1 / 0 ELSE a END FROM cf WHERE a = $1;
EXECUTE cf_q(1);
DEALLOCATE cf_p;
DEALLOCATE cf_q;
EXPLAIN (COSTS OFF) SELECT 1 / 0 FROM cf_empty;
-- An aggregate in a CASE branch that folding drops is not computed.
SELECT CASE WHEN true THEN count(*) ELSE sum(1 / 0) END FROM cf;
SELECT CASE WHEN NULL THEN sum(1 / 0) WHEN count(*) > 1 THEN max(b) ELSE min(1 / 0) END FROM cf;
SELECT CASE 1 WHEN 2 THEN sum(10 / (a - 1)) ELSE count(*) END, sum(a) FROM cf;
SELECT CASE WHEN false THEN sum(10 / (a - 1)) ELSE 0 END FROM cf;
SELECT CASE WHEN a > 5 THEN sum(10 / (a - 1)) ELSE 0 END FROM cf GROUP BY a;
SELECT a, CASE WHEN false THEN string_agg(t, 1 / 0 || '') ELSE 'k' END FROM cf GROUP BY a ORDER BY a;
SELECT a FROM cf GROUP BY a HAVING CASE WHEN 1 > 2 THEN sum(10 / (a - 1)) > 0 ELSE true END ORDER BY a;
