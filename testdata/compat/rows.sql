-- Row constructors compared: (a, b) = (1, 2) is a = 1 AND b = 2, <> the OR
-- of the fields' <>; < <= > >= compare field by field (the first unequal
-- pair decides, NULL if it has a NULL); IS [NOT] DISTINCT FROM, IS [NOT]
-- NULL, IN lists and IN/ANY/ALL subqueries with rows.
CREATE TABLE rw (a int, b text, c numeric);
INSERT INTO rw VALUES (1, 'abc', 1.5), (2, 'a b', NULL), (3, NULL, 3), (NULL, 'x,y', 4), (NULL, NULL, NULL);
SELECT a, b FROM rw WHERE (a, b) = (1, 'abc');
SELECT a, b FROM rw WHERE ROW(a, b) = ROW(2, 'a b');
SELECT a, b FROM rw WHERE (a, b) <> (1, 'abc') ORDER BY a, b;
SELECT a, b FROM rw WHERE (a, b) != (1, 'abc') ORDER BY a, b;
SELECT a, b, (a, b) = (3, NULL), (a, b) <> (3, NULL) FROM rw ORDER BY a, b;
SELECT ROW(1, 'a') = ROW(1, 'a'), ROW(1, 2) < ROW(1, 3), ROW(1, NULL) IS NULL, ROW(NULL, NULL) IS NULL;
SELECT (1, 2) IS DISTINCT FROM (1, NULL), (1, NULL) IS DISTINCT FROM (1, NULL), (1, NULL) IS NOT DISTINCT FROM (1, NULL), (1, 2) IS NOT DISTINCT FROM (1, 3);
SELECT (1, 2) < (1, NULL), (1, 2) < (2, NULL), (NULL, 2) < (1, 3), (1, 2, 3) <= (1, 2, 3), (1, 2, 3) > (1, 2, 3), (1, 2, 3) >= (1, 2, 2);
SELECT (2, 1) > (1, 9), (1, 'b') > (1, 'a'), (1, 1.5) <= (1, 1.50), ('a', 2) < ('b', 1);
SELECT a, b, (a, b) < (2, 'b'), (a, b) <= (2, 'a b'), (a, b) > (2, 'a b'), (a, b) >= (2, 'a b') FROM rw ORDER BY a, b;
SELECT a, b, (a, b) IS NULL, (a, b) IS NOT NULL, NOT (a, b) IS NULL FROM rw ORDER BY a, b;
SELECT a, b, (a, b) IS DISTINCT FROM (NULL, NULL), (a, b) IS NOT DISTINCT FROM (3, NULL) FROM rw ORDER BY a, b;
SELECT a, b, (a, b) IN ((1, 'abc'), (2, 'x')), (a, b) NOT IN ((1, 'abc'), (2, 'x')) FROM rw ORDER BY a, b;
SELECT a, b FROM rw WHERE (a, b) IN ((1, 'abc'), (3, NULL), (NULL, 'x,y')) ORDER BY a;
SELECT a, b FROM rw WHERE (a, b) NOT IN ((1, 'abc'), (2, NULL)) ORDER BY a;
SELECT a, b FROM rw WHERE (a, c) IN (SELECT a, c FROM rw WHERE a < 3) ORDER BY a;
SELECT a, b, (a, b) IN (SELECT a, b FROM rw WHERE a < 3), (a, b) NOT IN (SELECT a, b FROM rw WHERE a < 3) FROM rw ORDER BY a, b;
SELECT a, (a, b) IN (SELECT a, b FROM rw WHERE a = 3) FROM rw ORDER BY a, b;
SELECT (1, 2) = ANY (SELECT 1, 2), (1, 2) <> ALL (SELECT 1, 3), (1, 2) = ALL (SELECT 1, 2 UNION ALL SELECT 1, 3);
SELECT (1, 'abc') IN (SELECT a, b FROM rw), (9, 'abc') IN (SELECT a, b FROM rw), (9, 'abc') NOT IN (SELECT a, b FROM rw);
SELECT ('1', 'abc') IN (SELECT a, b FROM rw);
SELECT x.a FROM rw x WHERE (x.a, x.b) IN (SELECT y.a, y.b FROM rw y WHERE y.a = x.a) ORDER BY 1;
SELECT (1, 2) = (1, 2, 3);
SELECT (1, 'a') = (1, 2);
SELECT (1, 2) IN (SELECT 1);
SELECT (1, 2) IN (SELECT 1, 2, 3);
SELECT (1, 2) IN ((1, 2, 3));
SELECT ROW() = ROW();
SELECT (1, 2) + (3, 4);
SELECT (1, 'x') = (1, 1 / 0) FROM rw WHERE false;
SELECT CASE WHEN (1, 2) = (1, 3) THEN 1 / 0 ELSE 0 END;
SELECT (a, a + 1) = (1, 2), (a + 0, b) < (a, 'z') FROM rw ORDER BY a;
SELECT count(*) FROM rw WHERE (a, c) > (1, 0);
SELECT a FROM rw r1 WHERE EXISTS (SELECT 1 FROM rw r2 WHERE (r2.a, r2.b) = (r1.a, r1.b)) ORDER BY a;
-- Row values: ROW(…) and (a, b) are of type record, written as record_out
-- writes them: NULL fields empty, a field with a space, quote, backslash,
-- parenthesis or comma (or an empty one) in double quotes.
SELECT ROW(1, 'abc');
SELECT (a, b) FROM rw ORDER BY a, b;
SELECT ROW(a, b, c) AS r FROM rw ORDER BY a, b;
SELECT ROW(1, 'a b', NULL, '"', '', 'a\b', '(x)', 1.50, true, 'x y'::text, 'x,y');
SELECT ROW(), ROW(NULL), ROW(NULL, NULL);
SELECT ROW(1, ROW(2, 'a b'), ARRAY[1, 2]);
SELECT ROW(1, 'x')::text, pg_typeof(ROW(1, 'x')), pg_typeof((1, 2));
SELECT ROW(1, 'x') IS NULL, ROW(NULL, NULL) IS NULL, ROW(1, NULL) IS NOT NULL;
SELECT ROW(1, 1 / 0) FROM rw WHERE false;
-- Whole-row references: the FROM item's name is its row.
SELECT rw::text FROM rw ORDER BY a, b;
SELECT x::text FROM rw x WHERE x.a = 1;
SELECT s::text FROM (SELECT 1 AS a, 'q r' AS b) s;
SELECT a, rw IS NULL, rw IS NOT NULL FROM rw ORDER BY a, b;
SELECT count(*) FROM rw WHERE rw IS NOT NULL;
SELECT rw::text FROM rw WHERE (a, b) = (1, 'abc');
-- Records sort, deduplicate and compare as PostgreSQL's record type: field
-- by field, NULL fields after values (and equal to each other).
CREATE TABLE rw2 (a int, b int);
INSERT INTO rw2 VALUES (2, 1), (1, NULL), (1, 3), (NULL, 0), (1, NULL);
SELECT rw2::text FROM rw2 ORDER BY rw2;
SELECT a, b FROM rw2 ORDER BY rw2 DESC;
SELECT DISTINCT rw2::text FROM rw2 ORDER BY 1;
SELECT d::text FROM (SELECT DISTINCT rw2 AS d FROM rw2) s ORDER BY d;
SELECT ROW(a, b) FROM rw2 UNION SELECT ROW(a, b) FROM rw2 ORDER BY 1;
SELECT count(DISTINCT rw2) FROM rw2;
SELECT array_agg(rw2 ORDER BY rw2)::text FROM rw2;
SELECT x.a, x.b FROM rw2 x JOIN rw2 y ON x = y ORDER BY 1, 2;
SELECT max(ROW(a, b)) FROM rw2;
SELECT rw2 FROM rw2 GROUP BY a;
CREATE TABLE rw_ctas AS SELECT ROW(1, 2) AS r;
CREATE VIEW rw_v AS SELECT ROW(1, 2) AS r;
