-- string_agg: delimiters, ORDER BY inside the call, DISTINCT, FILTER, NULLs, empty input, bytea, errors.
CREATE TABLE sg (id int PRIMARY KEY, g int, t text, v varchar(5), b bytea);
INSERT INTO sg VALUES (1, 1, 'a', 'x', '\x01'), (2, 1, 'b', NULL, NULL), (3, 2, NULL, 'y', '\x02'), (4, 2, 'c', 'z', '\x03'), (5, 1, 'a', 'x', '\x04'), (6, 3, NULL, NULL, NULL);
SELECT g, string_agg(t, ',' ORDER BY id DESC), string_agg(t, '-' ORDER BY id), string_agg(DISTINCT t, '|' ORDER BY t), count(*) FROM sg GROUP BY g ORDER BY g;
SELECT string_agg(t, ', ' ORDER BY t NULLS FIRST, id), string_agg(b, '\x00'::bytea ORDER BY id), pg_typeof(string_agg(b, ''::bytea)) FROM sg;
SELECT string_agg(t, ',') FROM sg WHERE false;
SELECT string_agg(t, ',') IS NULL FROM sg WHERE g = 3;
SELECT string_agg(id::text, ',' ORDER BY t DESC, id) FROM sg;
SELECT string_agg(t, ',' ORDER BY t DESC NULLS LAST), string_agg(v, ';' ORDER BY v), pg_typeof(string_agg(v, ';')) FROM sg;
SELECT string_agg(t, ',') FILTER (WHERE id > 2) FROM sg;
SELECT string_agg(t, NULL ORDER BY id) FROM sg;
SELECT string_agg(t, '' ORDER BY id) FROM sg;
SELECT g, length(string_agg(t, ',' ORDER BY id)) FROM sg GROUP BY g HAVING string_agg(t, ',') IS NOT NULL ORDER BY g;
SELECT string_agg(t) FROM sg;
SELECT string_agg(id, ',') FROM sg;
SELECT string_agg(DISTINCT t, ',' ORDER BY id) FROM sg;
SELECT string_agg(x, ',' ORDER BY x) FROM (VALUES ('b'), ('a'), ('c')) v(x);
SELECT g, string_agg(upper(t) || '!', ' ' ORDER BY id) FROM sg GROUP BY g ORDER BY 2 NULLS FIRST;
