"""psycopg2 (Debian python3-psycopg2) reading and writing arrays against one
server: Python lists as parameters, array columns decoded to lists, NULL
elements, = ANY(%s). Prints what it saw; tests/arrays_clients_test.go diffs
the output with PostgreSQL 15's. Usage: psycopg2_arrays.py DSN"""
import sys

import psycopg2

c = psycopg2.connect(sys.argv[1])
c.autocommit = True
cur = c.cursor()
cur.execute("DROP TABLE IF EXISTS pa")
cur.execute("CREATE TABLE pa (id bigint PRIMARY KEY, tags text[], nums int[], fl float8[], n numeric[], b bool[])")
cur.execute("INSERT INTO pa VALUES (%s, %s, %s, %s, %s, %s)", (1, ['a', 'b c', None, '"q"'], [1, 2, None], [1.5, -2.0], None, [True, False]))
cur.execute("INSERT INTO pa VALUES (%s, %s, %s, %s, '{1.50,2}', NULL)", (2, [], [[1, 2], [3, 4]], None))
cur.execute("SELECT * FROM pa ORDER BY id")
for r in cur.fetchall():
    print(r)
cur.execute("SELECT id FROM pa WHERE id = ANY(%s) ORDER BY id", ([1, 2, 3],))
print(cur.fetchall())
cur.execute("SELECT %s::int[], ARRAY['x', NULL], '{}'::text[], '{{1,2},{3,4}}'::int[]", ([5, 6],))
print(cur.fetchone())
cur.execute("SELECT array_agg(id ORDER BY id), array_agg(tags[1]) FROM pa")
print(cur.fetchone())
cur.execute("SELECT unnest(%s::text[])", (['x', 'y'],))
print(cur.fetchall())
