-- Mathematical functions and operators: float8 vs numeric variants, result scales, NULLs, errors (2201E, 2201F, 2201G, 22003, 22012, 42883).
SELECT sign(-3), sign(0), sign(2.5), sign(-0.0::float8), pg_typeof(sign(-3)), pg_typeof(sign(2.5));
SELECT exp(1), exp(0), exp(1.0), exp(1.5), exp(10.0), exp(-10.0), pg_typeof(exp(1)), pg_typeof(exp(1.0));
SELECT exp(1000::float8);
SELECT exp(-1000::float8);
SELECT ln(2), ln(2.0), ln(100.0), ln(0.5), ln(1000000.0), ln(2::numeric), pg_typeof(ln(2));
SELECT ln(0);
SELECT ln(-1);
SELECT ln(0.0);
SELECT log(100), log(100.0), log(1000.0), log(0.001), log(0.5), log(2, 8), log(2.0, 8.0), pg_typeof(log(2, 8)), log10(1000);
SELECT log(0);
SELECT log(1, 10);
SELECT sqrt(16), sqrt(2.0), sqrt(100.0), sqrt(0.25), sqrt(1000000.00), sqrt(2::numeric), pg_typeof(sqrt(2::numeric));
SELECT sqrt(-1.0);
SELECT |/ 25, @ -5, @ -2.5;
SELECT power(2, 10), power(2.0, 3), power(2, 0.5), power(2.0, 0.5), power(10.0, -2), power(1.5, 10), pg_typeof(power(2, 3)), pg_typeof(power(2.0, 3));
SELECT 2 ^ 10, 2.0 ^ 0.5, 2 ^ 3 ^ 2, 2.0 ^ 10, 10.0 ^ 20, 2.5 ^ 2.5, (-8) ^ 3, pg_typeof(2 ^ 2);
SELECT 0 ^ -1;
SELECT (-8) ^ 0.5;
SELECT 10::float8 ^ 400;
SELECT cbrt(-8), degrees(pi()), radians(180), pi(), sin(0), cos(0), atan2(1, 1), atan(1), tan(0), asin(1), acos(1);
SELECT asin(2);
SELECT div(7, 2), div(-7, 2), div(7.5, 2), pg_typeof(div(7, 2));
SELECT div(1, 0);
SELECT gcd(12, 18), gcd(-12, 18), gcd(0, 0), gcd(12::int8, 18), pg_typeof(gcd(12::int8, 18)), gcd(12.0, 18), lcm(4, 6), lcm(0, 5), lcm(-4, 6);
SELECT gcd(-2147483648, 0);
SELECT lcm(2147483647, 2147483646);
SELECT gcd(1.5, 3);
SELECT factorial(0), factorial(1), factorial(5), factorial(21), pg_typeof(factorial(5));
SELECT factorial(-1);
SELECT width_bucket(5, 0, 10, 5), width_bucket(-1, 0, 10, 5), width_bucket(10, 0, 10, 5), width_bucket(11, 10, 0, 5), width_bucket(5.5, 0, 10, 5), width_bucket(0, 0, 10, 5);
SELECT width_bucket(5, 0, 10, 0);
SELECT width_bucket(5, 10, 10, 3);
SELECT scale(1.230), scale(10), scale(NULL::numeric);
SELECT sign(NULL::int), exp(NULL), ln(NULL::numeric), log(NULL, 2), power(2, NULL), div(NULL, 1), gcd(NULL, 1), factorial(NULL), width_bucket(NULL, 0, 10, 5);
SELECT 5 & 3, 5 | 3, 5 # 3, ~5, 1 << 4, 256 >> 2, -8 >> 1, 1 << 31, 1::int8 << 40, pg_typeof(1::int2 & 3::int2), pg_typeof(1 & 3::int8);
SELECT 1 << 33, 1::int2 << 17;
SELECT 1.5 & 1;
SELECT 'a' & 1;
SELECT abs(-2147483648);
SELECT abs(-32768::int2);
SELECT abs(-5), abs(-5.5), abs(-2::int8), pg_typeof(abs(-2::int2));
SELECT -2147483648, pg_typeof(-2147483648), -2147483648 - 1;
SELECT -9223372036854775808, pg_typeof(-9223372036854775808);
CREATE TABLE m (i int, n numeric, f float8);
INSERT INTO m VALUES (4, 2.25, 0.5), (-9, -1.5, -2), (0, 0, 0), (NULL, NULL, NULL);
SELECT i, sign(i), sign(n), sign(f) FROM m ORDER BY i;
SELECT i, sqrt(abs(i)), exp(f), power(n, 2) FROM m ORDER BY i;
SELECT i, i & 3, i | 16, i # 5, ~i, i << 2, i >> 1 FROM m ORDER BY i;
SELECT i, div(i, 2), gcd(i, 6), lcm(i, 6), width_bucket(f, -2, 2, 4) FROM m ORDER BY i;
SELECT ln(i) FROM m WHERE i = 0;
SELECT sum(i & 1), max(i ^ 2) FROM m;
-- Function resolution (func_select_candidate): an untyped literal or an integer takes the float8 candidate, the preferred number type; numeric stays numeric; the most exact matches win.
SELECT round('4.5'), pg_typeof(round('4.5')), round(4.5), round('4.5', 1), pg_typeof(round(4)), trunc(4.7), pg_typeof(trunc(4));
SELECT abs('-1'), pg_typeof(abs('-1')), pg_typeof(abs(-1.5::real)), ceil('4.5'), pg_typeof(ceiling('4.5')), floor(NULL), pg_typeof(floor(NULL));
SELECT mod(5::int2, 3), pg_typeof(mod(5::int2, 3)), pg_typeof(mod(5, 3::int8)), mod('5', 3), pg_typeof(mod(5.5, 3)), pg_typeof(power('2', 3)), pg_typeof(power(2::real, 3)), pg_typeof(sqrt(NULL));
SELECT i, round(i), pg_typeof(round(i)), abs(n), pg_typeof(abs(n)) FROM m ORDER BY i;
PREPARE round_p AS SELECT round($1), pg_typeof(round($1));
EXECUTE round_p('4.5');
-- compare: messages
SELECT trunc('4.7');
-- compare: messages
SELECT round(f, 1) FROM m;
-- compare: messages
SELECT sqrt(true);
-- compare: messages
SELECT gcd(4::real, 6);
-- compare: messages
SELECT abs('x');
