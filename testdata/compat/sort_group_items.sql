-- What an ORDER BY, DISTINCT ON or GROUP BY item names (PostgreSQL's
-- findTargetlistEntrySQL92/SQL99): a select-list position (counting the
-- columns * expands to), an output column name (ambiguous when two
-- different select-list items carry it), an input column (GROUP BY looks
-- there first), or an expression.
CREATE TABLE o (id int PRIMARY KEY, a int, b text, c int);
INSERT INTO o VALUES (1, 3, 'x', 30), (2, 1, 'y', 10), (3, 2, 'x', 20), (4, NULL, 'z', NULL);
SELECT *, c AS x FROM o ORDER BY x, id;
SELECT *, -a AS neg FROM o ORDER BY neg NULLS FIRST;
SELECT o.*, b AS label FROM o ORDER BY label DESC, id;
SELECT *, a AS x FROM o ORDER BY 5 NULLS FIRST, 1;
SELECT * FROM o ORDER BY 4 DESC;
SELECT a, b AS a FROM o ORDER BY a;
SELECT a AS k, c AS k FROM o ORDER BY k;
SELECT a, a FROM o ORDER BY a NULLS FIRST;
SELECT o.a, a FROM o ORDER BY a NULLS FIRST;
SELECT a AS v, a AS v FROM o ORDER BY v NULLS FIRST;
SELECT a AS id FROM o ORDER BY id NULLS FIRST;
SELECT a FROM o ORDER BY id;
SELECT a + 1 AS a FROM o ORDER BY a;
SELECT b FROM o ORDER BY -a NULLS FIRST;
SELECT DISTINCT ON (b) *, c AS x FROM o ORDER BY b, x;
SELECT DISTINCT ON (x) b AS x, a FROM o ORDER BY x, a;
SELECT DISTINCT b AS x FROM o ORDER BY x;
SELECT * FROM o GROUP BY 1, 2, 3, 4 ORDER BY 1;
SELECT *, count(*) FROM o GROUP BY 1, 2, 3, 4 ORDER BY 1;
SELECT b, count(*) FROM o GROUP BY 1 ORDER BY 1;
SELECT lower(b), count(*) FROM o GROUP BY lower ORDER BY 1;
SELECT upper(b) AS u, count(*) FROM o GROUP BY u ORDER BY u;
SELECT b AS a, count(*) FROM o GROUP BY a ORDER BY 2, 1;
SELECT b AS k, c AS k FROM o GROUP BY k;
SELECT b AS k, b AS k, count(*) FROM o GROUP BY k ORDER BY 1;
SELECT b AS k, count(*) FROM o GROUP BY 3;
SELECT b, count(*) FROM o GROUP BY 0;
SELECT count(*) FROM o GROUP BY count;
SELECT o.b AS k, b AS k, count(*) FROM o GROUP BY k ORDER BY 1;
SELECT DISTINCT o.a AS x FROM o ORDER BY a NULLS FIRST;
SELECT o.a, a AS a FROM o ORDER BY a NULLS FIRST;
SELECT DISTINCT ON (a) a, b AS a FROM o ORDER BY 1;
SELECT DISTINCT ON (9) a FROM o;
SELECT a FROM o ORDER BY 2;
SELECT * FROM o JOIN o AS p USING (id) GROUP BY id, o.a, o.b, o.c, p.a, p.b, p.c ORDER BY 1;
SELECT *, count(*) FROM o JOIN o AS p USING (id) GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1;
SELECT * FROM o JOIN o AS p USING (id) ORDER BY 1;
