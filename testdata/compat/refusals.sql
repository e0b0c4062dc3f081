-- Features PostgreSQL 15 itself refuses, answered with its SQLSTATEs and
-- messages (issue 11): FILTER on a window function that is no aggregate,
-- ORDER BY and DISTINCT inside a window aggregate, MATCH PARTIAL; FILTER on
-- an aggregate used as a window function works.
CREATE TABLE rw (id int, v int);
INSERT INTO rw VALUES (1, 10), (2, 20), (3, NULL);
SELECT id, sum(v) FILTER (WHERE v > 10) OVER () FROM rw ORDER BY id;
SELECT id, count(*) FILTER (WHERE v IS NULL) OVER (ORDER BY id) FROM rw ORDER BY id;
-- compare: messages
SELECT row_number() FILTER (WHERE v > 10) OVER () FROM rw;
-- compare: messages
SELECT sum(v ORDER BY v) OVER () FROM rw;
-- compare: messages
SELECT sum(DISTINCT v) OVER () FROM rw;
-- compare: messages
SELECT count(DISTINCT v) OVER (PARTITION BY id) FROM rw;
CREATE TABLE rp (a int PRIMARY KEY);
-- compare: messages
CREATE TABLE rc (a int REFERENCES rp (a) MATCH PARTIAL);
-- compare: messages
CREATE TABLE rc2 (a int, FOREIGN KEY (a) REFERENCES rp (a) MATCH PARTIAL ON DELETE CASCADE);
