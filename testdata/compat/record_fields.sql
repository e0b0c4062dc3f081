-- Record fields: (r).f selects a field of a whole-row reference, a ROW(…)
-- (fields f1, f2, …) or a subquery's record column; (r).* expands to every
-- field; GROUP BY a whole row; row_to_json/to_jsonb of a record column.
CREATE TABLE rf (a int, b text, c numeric);
INSERT INTO rf VALUES (1, 'x', 1.5), (2, NULL, NULL), (1, 'x', 1.5), (3, 'y z', -2);
CREATE TABLE rf_empty (a int, b text);
SELECT (rf).a, (rf).b, (rf).c FROM rf ORDER BY 1, 2;
SELECT (rf).* FROM rf ORDER BY 1, 2;
SELECT (r).* FROM rf r ORDER BY a;
SELECT (rf).a + 1, upper((rf).b) FROM rf ORDER BY 1;
SELECT (ROW(1, 'a'::text)).f1, (ROW(1, 'a'::varchar)).f2, pg_typeof((ROW(1, 'a'::varchar)).f2);
SELECT (ROW(1, 2.5, NULL::date)).*;
SELECT (ROW(NULL::int, 'q')).f1 IS NULL;
SELECT (x).a, (x).b FROM (SELECT rf AS x FROM rf) s ORDER BY 1, 2;
SELECT (x).* FROM (SELECT rf AS x FROM rf WHERE a < 3) s ORDER BY 1;
SELECT (x).f2 FROM (SELECT ROW(a, b) AS x FROM rf) s ORDER BY 1;
SELECT (r).f1 FROM (SELECT ROW(1, 2) AS r UNION ALL SELECT ROW(3, 4)) s ORDER BY 1;
SELECT ((SELECT rf FROM rf WHERE a = 3)).b;
SELECT ((SELECT rf FROM rf WHERE a = 9)).b;
SELECT (rf).a FROM rf_empty rf;
SELECT a FROM rf WHERE (rf).c > 1 ORDER BY a;
SELECT (rf).b, count(*) FROM rf GROUP BY (rf).b ORDER BY 1;
SELECT (ROW(ROW(1, 'in'), 2)).f1;
SELECT (ROW(ARRAY[1, 2, 3], 'a')).f1[2];
-- GROUP BY a whole row groups equal rows (NULL fields equal). A whole row
-- is typed record here, not the table's own row type: shown as text.
SELECT rf::text, count(*) FROM rf GROUP BY rf ORDER BY rf;
SELECT rf::text, count(*) FROM rf GROUP BY rf ORDER BY 1;
SELECT (a, b), count(*) FROM rf GROUP BY (a, b) ORDER BY 1;
SELECT ROW(a, b) FROM rf GROUP BY 1 ORDER BY 1;
SELECT rf, sum(a) FROM rf_empty rf GROUP BY rf;
-- whole rows sorted, compared, deduplicated
SELECT rf::text FROM rf ORDER BY rf DESC;
SELECT DISTINCT rf::text FROM rf ORDER BY 1;
SELECT x = y, x < y, x IS DISTINCT FROM y FROM (SELECT rf AS x FROM rf WHERE a = 1 LIMIT 1) s, (SELECT rf AS y FROM rf WHERE a = 3) t;
-- row_to_json and to_jsonb of a record column and a whole row
SELECT row_to_json(rf) FROM rf ORDER BY a, b;
SELECT row_to_json(x) FROM (SELECT rf AS x FROM rf WHERE a = 2) s;
SELECT to_jsonb(x) FROM (SELECT ROW(a, b) AS x FROM rf WHERE a = 3) s;
SELECT row_to_json(ROW(1, 'a', NULL));
-- compare: messages
SELECT (rf).nosuch FROM rf;
SELECT (ROW(1, 2)).f3;
SELECT (1).a;
SELECT (rf.a).x FROM rf;
SELECT ('(1,2)'::text).f1;
