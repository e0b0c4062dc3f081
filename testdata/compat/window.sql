-- Window functions (PostgreSQL documentation: tutorial 3.5, section 4.2.8 "Window
-- Function Calls", 9.22 "Window Functions"): ranking, offsets, frame functions,
-- aggregates over the default frame and ROWS/GROUPS frames, named windows, errors.
CREATE TABLE empsalary (depname text, empno int, salary int, enroll_date date);
INSERT INTO empsalary VALUES ('develop', 11, 5200, '2007-08-01'), ('develop', 7, 4200, '2008-01-01'), ('develop', 9, 4500, '2008-01-01'), ('develop', 8, 6000, '2006-10-01'), ('develop', 10, 5200, '2007-08-01'), ('personnel', 5, 3500, '2007-12-10'), ('personnel', 2, 3900, '2006-12-23'), ('sales', 3, 4800, '2007-08-01'), ('sales', 1, 5000, '2006-10-01'), ('sales', 4, 4800, '2007-08-08');
SELECT depname, empno, salary, avg(salary) OVER (PARTITION BY depname) FROM empsalary ORDER BY depname, empno;
SELECT depname, empno, salary, rank() OVER (PARTITION BY depname ORDER BY salary DESC) FROM empsalary ORDER BY depname, salary DESC, empno;
SELECT salary, sum(salary) OVER () FROM empsalary ORDER BY salary;
SELECT salary, sum(salary) OVER (ORDER BY salary) FROM empsalary ORDER BY salary;
SELECT depname, empno, salary, enroll_date FROM (SELECT depname, empno, salary, enroll_date, rank() OVER (PARTITION BY depname ORDER BY salary DESC, empno) AS pos FROM empsalary) AS ss WHERE pos < 3 ORDER BY depname, pos;
SELECT sum(salary) OVER w, avg(salary) OVER w FROM empsalary WINDOW w AS (PARTITION BY depname ORDER BY salary DESC) ORDER BY 1, 2;
-- ranking functions
SELECT empno, salary, row_number() OVER (ORDER BY salary, empno), rank() OVER (ORDER BY salary), dense_rank() OVER (ORDER BY salary) FROM empsalary ORDER BY salary, empno;
SELECT empno, salary, percent_rank() OVER (ORDER BY salary), cume_dist() OVER (ORDER BY salary) FROM empsalary ORDER BY salary, empno;
SELECT empno, ntile(3) OVER (ORDER BY empno), ntile(4) OVER (ORDER BY empno), ntile(20) OVER (ORDER BY empno) FROM empsalary ORDER BY empno;
SELECT empno, row_number() OVER (PARTITION BY depname ORDER BY empno) FROM empsalary ORDER BY depname, empno;
SELECT depname, empno, rank() OVER (PARTITION BY depname) FROM empsalary ORDER BY depname, empno;
SELECT row_number() OVER () FROM empsalary WHERE false;
SELECT count(*) OVER () FROM empsalary WHERE false;
-- lag, lead, first_value, last_value, nth_value
SELECT empno, lag(empno) OVER (ORDER BY empno), lead(empno) OVER (ORDER BY empno) FROM empsalary ORDER BY empno;
SELECT empno, lag(salary, 2) OVER (ORDER BY empno), lead(salary, 3, 0) OVER (ORDER BY empno) FROM empsalary ORDER BY empno;
SELECT empno, lag(empno, -1) OVER (ORDER BY empno), lead(empno, 0) OVER (ORDER BY empno) FROM empsalary ORDER BY empno;
SELECT depname, empno, lag(empno, 1, -1) OVER (PARTITION BY depname ORDER BY empno) FROM empsalary ORDER BY depname, empno;
SELECT empno, lag(empno, NULL) OVER (ORDER BY empno) FROM empsalary ORDER BY empno;
SELECT depname, empno, first_value(empno) OVER (PARTITION BY depname ORDER BY salary, empno), last_value(empno) OVER (PARTITION BY depname ORDER BY salary, empno) FROM empsalary ORDER BY depname, empno;
SELECT depname, empno, last_value(empno) OVER (PARTITION BY depname ORDER BY empno ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM empsalary ORDER BY depname, empno;
SELECT empno, nth_value(empno, 2) OVER (ORDER BY empno), nth_value(empno, 3) OVER (ORDER BY empno ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM empsalary ORDER BY empno;
SELECT empno, nth_value(empno, 0) OVER (ORDER BY empno) FROM empsalary;
SELECT empno, ntile(0) OVER (ORDER BY empno) FROM empsalary;
SELECT empno, ntile(NULL) OVER (ORDER BY empno) FROM empsalary ORDER BY empno;
SELECT salary, first_value(salary) OVER (ORDER BY salary), last_value(salary) OVER (ORDER BY salary) FROM empsalary ORDER BY salary, empno;
-- aggregates over frames
SELECT empno, salary, sum(salary) OVER (ORDER BY empno ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM empsalary ORDER BY empno;
SELECT empno, salary, sum(salary) OVER (ORDER BY empno ROWS 2 PRECEDING) FROM empsalary ORDER BY empno;
SELECT empno, salary, avg(salary) OVER (ORDER BY empno ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING) FROM empsalary ORDER BY empno;
SELECT empno, count(*) OVER (ORDER BY empno ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), count(*) OVER (ORDER BY empno ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM empsalary ORDER BY empno;
SELECT empno, min(salary) OVER (ORDER BY empno ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING), max(salary) OVER (ORDER BY empno ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING) FROM empsalary ORDER BY empno;
SELECT salary, sum(salary) OVER (ORDER BY salary RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), sum(salary) OVER (ORDER BY salary RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM empsalary ORDER BY salary, empno;
SELECT salary, sum(salary) OVER (ORDER BY salary, empno ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM empsalary ORDER BY salary, empno;
SELECT salary, count(*) OVER (ORDER BY salary GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM empsalary ORDER BY salary;
SELECT salary, sum(salary) OVER (ORDER BY salary GROUPS BETWEEN CURRENT ROW AND 1 FOLLOWING) FROM empsalary ORDER BY salary;
SELECT empno, sum(salary) OVER (ORDER BY empno ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE CURRENT ROW) FROM empsalary ORDER BY empno;
SELECT salary, sum(salary) OVER (ORDER BY salary ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE TIES) FROM empsalary ORDER BY salary, empno;
SELECT salary, count(*) OVER (ORDER BY salary RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP) FROM empsalary ORDER BY salary;
SELECT empno, sum(salary) OVER (ORDER BY empno ROWS BETWEEN 2 FOLLOWING AND 1 FOLLOWING) FROM empsalary ORDER BY empno;
SELECT empno, sum(salary) OVER (ORDER BY empno ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM empsalary;
SELECT salary, sum(salary) OVER (ORDER BY salary RANGE BETWEEN 100 PRECEDING AND 100 FOLLOWING) FROM empsalary ORDER BY salary, empno;
SELECT depname, count(salary) FILTER (WHERE salary > 4500) OVER (PARTITION BY depname) FROM empsalary ORDER BY depname, empno;
SELECT depname, bool_and(salary > 4000) OVER (PARTITION BY depname), bool_or(salary > 5500) OVER (PARTITION BY depname) FROM empsalary ORDER BY depname, empno;
SELECT depname, min(enroll_date) OVER (PARTITION BY depname), max(enroll_date) OVER (PARTITION BY depname) FROM empsalary ORDER BY depname, empno;
-- windows with GROUP BY, expressions, ORDER BY on a window result, DISTINCT
SELECT depname, sum(salary), rank() OVER (ORDER BY sum(salary) DESC) FROM empsalary GROUP BY depname ORDER BY depname;
SELECT depname, count(*), sum(count(*)) OVER () FROM empsalary GROUP BY depname ORDER BY depname;
SELECT depname, sum(salary) * 100 / sum(sum(salary)) OVER () AS pct FROM empsalary GROUP BY depname ORDER BY depname;
SELECT empno, salary - avg(salary) OVER (PARTITION BY depname) AS diff FROM empsalary ORDER BY empno;
SELECT empno, rank() OVER (ORDER BY salary DESC) AS r FROM empsalary ORDER BY r, empno;
SELECT empno FROM empsalary ORDER BY row_number() OVER (ORDER BY empno DESC);
SELECT DISTINCT depname, count(*) OVER (PARTITION BY depname) FROM empsalary ORDER BY depname;
SELECT depname, row_number() OVER (PARTITION BY depname ORDER BY empno) rn, sum(salary) OVER (ORDER BY empno) FROM empsalary ORDER BY empno;
SELECT empno, row_number() OVER (PARTITION BY salary > 4500 ORDER BY empno) FROM empsalary ORDER BY empno;
SELECT empno, rank() OVER (ORDER BY depname NULLS FIRST, salary DESC NULLS LAST) FROM empsalary ORDER BY empno;
SELECT empno, sum(salary) OVER w1, count(*) OVER w2 FROM empsalary WINDOW w1 AS (ORDER BY empno), w2 AS (w1 ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) ORDER BY empno;
SELECT empno, rank() OVER (w ORDER BY salary) FROM empsalary WINDOW w AS (PARTITION BY depname) ORDER BY empno;
SELECT empno, row_number() OVER w FROM empsalary WINDOW w AS (ORDER BY empno DESC) ORDER BY empno;
SELECT (SELECT max(r) FROM (SELECT rank() OVER (ORDER BY salary) AS r FROM empsalary) q);
SELECT empno, (SELECT count(*) FROM empsalary e2 WHERE e2.depname = e.depname) - row_number() OVER (PARTITION BY depname ORDER BY empno) FROM empsalary e ORDER BY empno;
SELECT x, sum(x) OVER (ORDER BY x), avg(x) OVER (ORDER BY x) FROM (VALUES (1), (2), (NULL), (4)) v(x) ORDER BY x;
SELECT x, count(x) OVER (), count(*) OVER () FROM (VALUES (1), (NULL)) v(x) ORDER BY x;
SELECT x, sum(x) OVER (ORDER BY x) FROM (VALUES (1.5), (2.25), (3)) v(x) ORDER BY x;
SELECT x, sum(x) OVER () FROM (VALUES (1::bigint), (9223372036854775807)) v(x);
-- errors
SELECT row_number() FROM empsalary;
SELECT empno FROM empsalary WHERE row_number() OVER () > 1;
SELECT depname FROM empsalary GROUP BY depname HAVING rank() OVER () > 1;
SELECT sum(row_number() OVER ()) FROM empsalary;
SELECT rank(empno) OVER () FROM empsalary;
SELECT lower(depname) OVER () FROM empsalary;
SELECT count(DISTINCT salary) OVER () FROM empsalary;
SELECT sum(salary) OVER w FROM empsalary;
SELECT sum(salary) OVER (w PARTITION BY empno) FROM empsalary WINDOW w AS (PARTITION BY depname);
SELECT sum(salary) OVER (w ORDER BY empno) FROM empsalary WINDOW w AS (ORDER BY salary);
SELECT row_number() OVER (ORDER BY nosuch) FROM empsalary;
SELECT empno, sum(salary) OVER (ORDER BY salary GROUPS 1 PRECEDING) FROM empsalary ORDER BY empno;
SELECT empno, sum(salary) OVER (GROUPS 1 PRECEDING) FROM empsalary;
-- RANGE frames with an offset (numeric and date/time ORDER BY values)
CREATE TABLE r (x int, d date, n numeric, f float8);
INSERT INTO r VALUES (1, '2020-01-01', 1.5, 1), (2, '2020-01-03', 2.5, 2), (4, '2020-01-04', 4, 4), (4, '2020-01-10', NULL, NULL), (7, NULL, 7.25, 7), (NULL, '2020-01-02', 8, 8);
SELECT x, sum(x) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM r ORDER BY x, 2;
SELECT x, count(*) OVER (ORDER BY x DESC RANGE BETWEEN 2 PRECEDING AND CURRENT ROW) FROM r ORDER BY x, 2;
SELECT x, count(*) OVER (ORDER BY x NULLS FIRST RANGE BETWEEN CURRENT ROW AND 3 FOLLOWING) FROM r ORDER BY x, 2;
SELECT x, sum(x) OVER (ORDER BY x RANGE BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING) FROM r ORDER BY x, 2;
SELECT d, count(*) OVER (ORDER BY d RANGE BETWEEN '1 day' PRECEDING AND '1 day' FOLLOWING) FROM r ORDER BY d, 2;
SELECT n, sum(n) OVER (ORDER BY n RANGE BETWEEN 1.5 PRECEDING AND 1 FOLLOWING) FROM r ORDER BY n, 2;
SELECT f, count(*) OVER (ORDER BY f RANGE 2 PRECEDING) FROM r ORDER BY f, 2;
SELECT x, sum(x) OVER (ORDER BY x RANGE BETWEEN -1 PRECEDING AND CURRENT ROW) FROM r;
SELECT x, sum(x) OVER (ORDER BY x, d RANGE 1 PRECEDING) FROM r;
