-- EXPLAIN [ANALYZE] EXECUTE name(args): the prepared statement's plan with
-- the arguments in place of its parameters (PostgreSQL's custom plan).
CREATE TABLE eex (a int, b text);
INSERT INTO eex VALUES (1, 'x'), (2, 'y'), (3, 'x');
PREPARE eex_p(int) AS SELECT b FROM eex WHERE a = $1;
EXPLAIN (COSTS OFF) EXECUTE eex_p(2);
EXECUTE eex_p(2);
PREPARE eex_q(int, int) AS SELECT a FROM eex WHERE a > $1 AND a < $2 ORDER BY a;
EXPLAIN (COSTS OFF) EXECUTE eex_q(1, 3);
PREPARE eex_t(text) AS SELECT a, $1 || b FROM eex;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE eex_t('b');
-- compare: messages
EXPLAIN (COSTS OFF) EXECUTE eex_q(1);
-- compare: messages
EXPLAIN (COSTS OFF) EXECUTE eex_none(1);
PREPARE eex_c AS SELECT count(*) FROM eex;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE eex_c;
-- EXPLAIN ANALYZE runs the statement: an UPDATE changes the rows.
PREPARE eex_u(text) AS UPDATE eex SET b = $1;
BEGIN;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE eex_u('z');
SELECT * FROM eex ORDER BY a;
ROLLBACK;
SELECT * FROM eex ORDER BY a;
-- A constant argument is folded as a constant would be.
PREPARE eex_d(int) AS SELECT 10 / $1 FROM eex;
EXPLAIN (COSTS OFF) EXECUTE eex_d(0);
EXPLAIN (COSTS OFF) EXECUTE eex_d(5);
DEALLOCATE ALL;
