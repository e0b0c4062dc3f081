-- char(n) (bpchar) semantics (PostgreSQL documentation 8.3 "Character
-- Types"): trailing blanks are insignificant when two char(n) values are
-- compared and are removed when one is converted to another string type.
-- Operators resolve as PostgreSQL's: char = char and char = varchar use
-- bpchar's operators (blanks do not count), char = text uses text's (the
-- char side loses its blanks, the text side keeps them); LIKE on char(n)
-- sees the padded value. Issue 11: 'b'::char(3) = 'b '::varchar was false.
SELECT 'b'::char(3) = 'b '::varchar;
SELECT 'b'::char(3) = 'b'::char(5);
SELECT 'b'::char(3) = 'b  '::text;
SELECT 'b '::char(3) = 'b'::text;
SELECT 'b'::char(3) LIKE 'b';
SELECT 'b'::char(3) LIKE 'b%';
SELECT 'b'::char(3) LIKE 'b  ';
SELECT 'b'::char(3) || 'x';
SELECT length('b  '::char(3)), octet_length('b'::char(3));
SELECT pg_typeof('b'::char(3) || 'x');
SELECT 'a'::char(3) < 'a '::varchar;
SELECT 'b'::varchar = 'b '::char(3);
SELECT 'b '::text = 'b'::char(3);
CREATE TABLE cc (c char(3), v varchar(5), t text, c5 char(5));
INSERT INTO cc VALUES ('a', 'a ', 'a  ', 'a'), ('b ', 'b', 'b', 'b  '), ('a  ', 'a', 'a', 'a '), (NULL, NULL, NULL, NULL), ('', '', '', '');
SELECT c, c = v, c = t, c = c5, v = c, t = c, c < v, c > t, c <> v FROM cc ORDER BY c, v;
SELECT c = 'a', c = 'a  ', c = 'a'::text, c = 'a'::varchar, c = 'a '::varchar, c LIKE 'a', c LIKE 'a%', c LIKE 'a  ', c ILIKE 'A  ', c NOT LIKE 'a' FROM cc ORDER BY 1, 2, 3;
SELECT '[' || c || ']', length(c), octet_length(c), char_length(c), c::text, c::varchar, upper(c), pg_typeof(c::varchar) FROM cc ORDER BY 1;
SELECT DISTINCT c FROM cc ORDER BY 1;
SELECT c, count(*) FROM cc GROUP BY c ORDER BY 1;
SELECT count(DISTINCT c) FROM cc;
SELECT c FROM cc ORDER BY c DESC;
SELECT x.c, y.v FROM cc x JOIN cc y ON x.c = y.v ORDER BY 1, 2;
SELECT x.c, y.t FROM cc x JOIN cc y ON x.c = y.t ORDER BY 1, 2;
SELECT x.c, y.c5 FROM cc x JOIN cc y ON x.c = y.c5 ORDER BY 1, 2;
SELECT x.c, y.v FROM cc x, cc y WHERE x.c = y.v ORDER BY 1, 2;
SELECT c FROM cc WHERE c IN ('a', 'b  ') ORDER BY 1;
SELECT c FROM cc WHERE c IN (SELECT v FROM cc) ORDER BY 1;
SELECT c FROM cc WHERE c = ANY (ARRAY['a'::varchar]) ORDER BY 1;
SELECT c FROM cc WHERE c BETWEEN 'a' AND 'a' ORDER BY 1;
SELECT min(c), max(c), string_agg(c, ',' ORDER BY c) FROM cc;
SELECT c FROM cc UNION SELECT c5 FROM cc ORDER BY 1;
SELECT v FROM cc UNION SELECT c FROM cc ORDER BY 1;
SELECT pg_typeof(x) FROM (SELECT v AS x FROM cc UNION SELECT c FROM cc) s LIMIT 1;
SELECT c FROM cc INTERSECT SELECT c5 FROM cc ORDER BY 1;
SELECT coalesce(c, 'z') = 'a' FROM cc ORDER BY 1;
SELECT CASE WHEN true THEN c ELSE v END = 'a ' FROM cc ORDER BY 1;
SELECT nullif(c, 'a') FROM cc ORDER BY 1;
SELECT c, v, greatest(c, 'a') FROM cc ORDER BY c, v;
SELECT c IS DISTINCT FROM 'a ' FROM cc ORDER BY 1;
SELECT c = v FROM cc ORDER BY 1;
CREATE TABLE ck0 (k char(4) PRIMARY KEY, n int);
INSERT INTO ck0 VALUES ('x', 1), ('yy ', 2);
INSERT INTO ck0 VALUES ('x ', 3);
SELECT * FROM ck0 WHERE k = 'x';
SELECT * FROM ck0 WHERE k = 'x  ';
SELECT * FROM ck0 WHERE k = 'x '::varchar;
SELECT * FROM ck0 WHERE k = 'x'::text;
SELECT * FROM ck0 WHERE k = 'x    '::text;
SELECT * FROM ck0 WHERE k IN ('yy', 'x');
SELECT * FROM ck0 WHERE k > 'x' ORDER BY k;
SELECT * FROM ck0 WHERE k >= 'x ' AND k < 'y' ORDER BY k;
UPDATE ck0 SET n = 10 WHERE k = 'x  ';
SELECT * FROM ck0 ORDER BY k;
DELETE FROM ck0 WHERE k = 'yy'::varchar;
SELECT * FROM ck0 ORDER BY k;
INSERT INTO ck0 VALUES ('x', 5) ON CONFLICT (k) DO UPDATE SET n = excluded.n;
SELECT * FROM ck0 ORDER BY k;
CREATE TABLE ct2 (k char(4), n int);
CREATE INDEX ON ct2 (k);
INSERT INTO ct2 VALUES ('p', 1), ('p ', 2), ('q', 3);
SELECT * FROM ct2 WHERE k = 'p' ORDER BY n;
SELECT * FROM ct2 WHERE k = 'p'::varchar ORDER BY n;
SELECT * FROM ck0 JOIN ct2 ON ck0.k = ct2.k;
CREATE TABLE cu (k char(3) UNIQUE);
INSERT INTO cu VALUES ('a');
INSERT INTO cu VALUES ('a ');
SELECT 'a'::char(3) = 'a'::name;
SELECT 'ab'::char(3) < 'ab'::char(2), 'ab '::char(3) = 'ab'::char(2);
SELECT 'a'::char(3) || NULL, concat('a'::char(3), 'b'), 'a'::char(3)::text || 'b';
SELECT position('a' in 'xa '::char(3)), 'ab '::char(3) ~ 'b $';
CREATE TABLE ck (k char(4) PRIMARY KEY, n int);
INSERT INTO ck VALUES ('x', 1), ('yy ', 2), ('zzzz', 3), ('a', 4);
SELECT * FROM ck WHERE k = 'x    '::text;
SELECT * FROM ck WHERE k = 'x'::text;
SELECT * FROM ck WHERE k = 'x  '::varchar;
SELECT * FROM ck WHERE k = 'x     '::varchar;
SELECT * FROM ck WHERE k < 'zzzzz' ORDER BY k;
SELECT * FROM ck WHERE k < 'zzzzz'::varchar ORDER BY k;
SELECT * FROM ck WHERE k > 'x'::varchar ORDER BY k;
SELECT * FROM ck WHERE k = 'abcde';
SELECT * FROM ck WHERE k IN ('x', 'abcdef', 'yy') ORDER BY k;
SELECT * FROM ck WHERE k BETWEEN 'a' AND 'y' ORDER BY k;
SELECT * FROM ck WHERE k = 'x'::char(2);
CREATE TABLE cvk (k varchar(5) PRIMARY KEY, n int);
INSERT INTO cvk VALUES ('x', 1), ('x ', 2), ('yy', 3);
SELECT * FROM cvk WHERE k = 'x'::char(3) ORDER BY n;
SELECT * FROM cvk WHERE k = 'x ' ORDER BY n;
SELECT * FROM cvk WHERE k < 'zzzzzzzz' ORDER BY n;
SELECT * FROM cvk WHERE k < 'zzzzzzzz'::text ORDER BY n;
SELECT * FROM cvk WHERE k = 'x'::text ORDER BY n;
SELECT * FROM cvk WHERE k IN ('x'::char(2), 'yy') ORDER BY n;
CREATE TABLE ctk (k text PRIMARY KEY, n int);
INSERT INTO ctk VALUES ('x', 1), ('x ', 2);
SELECT * FROM ctk WHERE k = 'x '::char(3) ORDER BY n;
SELECT * FROM ctk WHERE k = 'x '::varchar ORDER BY n;
SELECT * FROM ck JOIN cvk ON ck.k = cvk.k ORDER BY 1, 3;
SELECT * FROM ck JOIN ctk ON ck.k = ctk.k ORDER BY 1, 3;
SELECT * FROM cvk JOIN ck USING (k) ORDER BY 1;
SELECT pg_typeof(k) FROM cvk JOIN ck USING (k) LIMIT 1;
SELECT * FROM ck FULL JOIN cvk USING (k) ORDER BY 1, 2, 3;
SELECT format('[%s]', 'a'::char(3)), concat_ws('a'::char(3), 'x', 'y'), concat_ws(',', 'a'::char(3), 'b');
SELECT 'abc' LIKE 'a%'::char(3), 'a' LIKE 'a'::char(3);
SELECT x, count(*) FROM (SELECT 'a'::char(3) AS x UNION ALL SELECT 'a'::char(5) UNION ALL SELECT 'a '::char(2)) s GROUP BY x;
SELECT DISTINCT x FROM (SELECT 'a'::char(3) AS x UNION ALL SELECT 'a'::char(5)) s;
SELECT count(DISTINCT x) FROM (SELECT 'a'::char(3) AS x UNION ALL SELECT 'a'::char(5)) s;
SELECT min(x), max(x) FROM (SELECT 'a'::char(3) AS x UNION ALL SELECT E'a\t'::char(5)) s;
SELECT E'a\t'::char(3) < 'a'::char(3), E'a\t'::char(3) > 'a '::varchar;
SELECT 'a'::char(3) = ANY (ARRAY['a'::varchar, 'b']);
SELECT 'a'::char(3) IN ('a ', 'b'), 'a'::char(3) NOT IN ('a ', 'b');
SELECT nullif('a'::char(3), 'a'::varchar), nullif('a'::char(3), 'a '::text);
SELECT 'a'::char(3) IS DISTINCT FROM 'a '::varchar, 'a'::char(3) IS NOT DISTINCT FROM 'a'::text;
SELECT CASE 'a'::char(3) WHEN 'a ' THEN 1 ELSE 2 END;
SELECT coalesce('a'::char(3), 'b'::varchar) = 'a ', pg_typeof(coalesce('a'::char(3), 'b'::varchar));
SELECT pg_typeof(coalesce('a'::varchar, 'b'::char(3))), pg_typeof(coalesce('a'::char(3), 'b'::text));
SELECT 'a'::char(3) > 'a', 'b'::char(3) >= 'b  ', 'b'::char(3) <= 'b ';
SELECT 'ab'::varchar(3) = 'abcd';
SELECT x, count(*) OVER (PARTITION BY x) FROM (SELECT 'a'::char(3) AS x UNION ALL SELECT 'a'::char(5) UNION ALL SELECT 'b'::char(2)) s ORDER BY count, x;
SELECT x FROM (SELECT 'a'::char(3) AS x UNION ALL SELECT E'a\t'::char(5) UNION ALL SELECT 'ab'::char(4) UNION ALL SELECT ''::char(2)) s ORDER BY x;
SELECT x FROM (SELECT 'a'::char(3) AS x UNION ALL SELECT E'a\t'::char(5) UNION ALL SELECT 'ab'::char(4)) s ORDER BY x DESC;
SELECT 'a'::char(3) IN ('a '::text), 'a '::text IN ('a'::char(3), 'b'), 'a'::varchar IN ('a '::char(3));
SELECT pg_typeof(coalesce('a'::char(3), 'b'::text)), pg_typeof(coalesce('a'::text, 'b'::char(3))), pg_typeof(coalesce('a'::name, 'b'::char(3))), pg_typeof(coalesce('a'::char(3), 'b'::name)), pg_typeof(coalesce('a'::varchar, 'b'::text)), pg_typeof(coalesce('a'::varchar(3), 'b'::varchar(5)));
SELECT x, pg_typeof(x) FROM (SELECT 'a'::char(3) x UNION SELECT 'b'::text) s ORDER BY 1;
SELECT coalesce('a'::char(3), 'b'::text) = 'a ', coalesce('a'::char(3), 'b'::text) || '|', pg_typeof(coalesce('a'::char(3), 'x'));
SELECT 'ab'::varchar(3) = 'abcd', 'ab'::char(3) = 'abcd', 'ab'::char(3) < 'abcd';
SELECT 'a'::char(3) IN ('a '::text, 'b'), 'a'::char(3) IN ('a '::text, 'b'::text), 'a '::varchar IN ('a'::char(2), 'b'), 'a '::varchar IN ('a'::char(2), 'b'::char(1));
SELECT c FROM cc WHERE c IN (v, 'q') ORDER BY 1;
-- prefix minus of an untyped literal or NULL: - exists for the numeric
-- types and interval, so nothing picks one (42725), even where the context
-- has a type; + exists for the numeric types only, and + unknown is float8.
-- compare: messages
SELECT - NULL;
-- compare: messages
SELECT -'1';
-- compare: messages
SELECT 1 = - NULL;
-- compare: messages
SELECT - (NULL), -(('1'));
SELECT +'1', + NULL, pg_typeof(+'1'), -'1'::int, - NULL::int, -('1'::numeric);
CREATE TABLE negt (a int);
-- compare: messages
INSERT INTO negt VALUES (-'1');
INSERT INTO negt VALUES (-1), (- 2);
SELECT -a, - a FROM negt ORDER BY 1;
