"""psycopg2 named (server-side) cursors, printed one fact a line so that the
output on a HeliosDB Nano node can be diffed with PostgreSQL 15's
(tests/clients_test.go TestPsycopg2NamedCursorsMatchPostgres).
Usage: python3 psycopg2_cursors.py DSN"""
import sys

import psycopg2

conn = psycopg2.connect(sys.argv[1])
cur = conn.cursor()
cur.execute("DROP TABLE IF EXISTS pc")
cur.execute("CREATE TABLE pc (id int PRIMARY KEY, name text)")
cur.execute("INSERT INTO pc SELECT g, 'n' || g FROM generate_series(1, 2500) g")
conn.commit()

# Iteration fetches itersize rows per FETCH.
named = conn.cursor("big")
named.itersize = 1000
named.execute("SELECT id, name FROM pc WHERE id %% %s = 0 ORDER BY id", (7,))
n, total = 0, 0
for row in named:
    n += 1
    total += row[0]
print("iterated", n, total, [d.name for d in named.description])
named.close()

# fetchone/fetchmany/fetchall, scroll.
sc = conn.cursor("sc", scrollable=True)
sc.execute("SELECT id FROM pc ORDER BY id LIMIT 10")
print("fetchone", sc.fetchone())
print("fetchmany", sc.fetchmany(3))
sc.scroll(-2)
print("after scroll -2", sc.fetchone())
sc.scroll(7, mode="absolute")
print("absolute 7", sc.fetchone())
print("fetchall", sc.fetchall())
try:
    sc.scroll(5)
except psycopg2.ProgrammingError as e:
    print("scroll past end:", e)
sc.close()
conn.rollback()

ns = conn.cursor("ns", scrollable=False)
ns.execute("SELECT id FROM pc ORDER BY id")
print("noscroll", ns.fetchmany(2))
try:
    ns.scroll(-1)
except psycopg2.Error as e:
    print("noscroll backward:", e.pgcode, e.pgerror.splitlines()[0])
conn.rollback()

# WITH HOLD survives the commit.
held = conn.cursor("held", withhold=True)
held.execute("SELECT id FROM pc WHERE id <= 5 ORDER BY id")
print("held first", held.fetchone())
conn.commit()
cur.execute("DELETE FROM pc WHERE id <= 5")
conn.commit()
print("held rest", held.fetchall())
held.close()

# A named cursor's error.
bad = conn.cursor("bad")
try:
    bad.execute("SELECT nosuch FROM pc")
    bad.fetchall()
except psycopg2.Error as e:
    print("error", e.pgcode, e.pgerror.splitlines()[0])
conn.rollback()
cur.execute("DROP TABLE pc")
conn.commit()
conn.close()
