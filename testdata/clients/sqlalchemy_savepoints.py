"""Savepoints through SQLAlchemy's ORM (Session.begin_nested) and plain
psycopg2, printed one fact a line so that the output on a HeliosDB Nano
node can be diffed with PostgreSQL 15's
(tests/clients_test.go TestSavepointClientsMatchPostgres).
Usage: python3 sqlalchemy_savepoints.py DSN  (postgresql://... form)"""
import sys

import psycopg2
import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import Session, declarative_base

dsn = sys.argv[1]
Base = declarative_base()


class Item(Base):
    __tablename__ = "sp_items"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.Text, unique=True, nullable=False)
    qty = sa.Column(sa.Integer, nullable=False, default=0)


engine = sa.create_engine(dsn.replace("postgresql://", "postgresql+psycopg2://", 1), future=True)
Base.metadata.drop_all(engine)
Base.metadata.create_all(engine)


def names(s):
    return [(i.id, i.name, i.qty) for i in s.execute(sa.select(Item).order_by(Item.id)).scalars()]


with Session(engine) as s:
    s.add(Item(id=1, name="apple", qty=1))
    s.flush()
    # A nested transaction that fails on a unique key is rolled back alone.
    try:
        with s.begin_nested():
            s.add(Item(id=2, name="apple"))
    except exc.IntegrityError as e:
        print("nested failed:", e.orig.pgcode)
    print("after failed nested:", names(s))
    # One that succeeds is kept (RELEASE SAVEPOINT).
    with s.begin_nested():
        s.add(Item(id=3, name="pear", qty=3))
    print("after nested:", names(s))
    # Nested inside nested; the inner one rolled back explicitly.
    with s.begin_nested():
        s.get(Item, 1).qty = 10
        inner = s.begin_nested()
        s.add(Item(id=4, name="plum"))
        s.flush()
        inner.rollback()
    print("after inner rollback:", names(s))
    s.commit()
    print("committed:", names(s))

# The same with psycopg2 and explicit SQL, including an error that aborts
# the transaction until ROLLBACK TO SAVEPOINT.
conn = psycopg2.connect(dsn)
cur = conn.cursor()
cur.execute("SAVEPOINT a")
cur.execute("UPDATE sp_items SET qty = qty + 1")
print("update:", cur.rowcount)
try:
    cur.execute("INSERT INTO sp_items VALUES (1, 'dup', 0)")
except psycopg2.Error as e:
    print("insert failed:", e.pgcode, conn.get_transaction_status())
try:
    cur.execute("SELECT 1")
except psycopg2.Error as e:
    print("while aborted:", e.pgcode)
cur.execute("ROLLBACK TO SAVEPOINT a")
print("status after rollback to:", conn.get_transaction_status())
cur.execute("SELECT id, qty FROM sp_items ORDER BY id")
print("rows:", cur.fetchall())
try:
    cur.execute("RELEASE SAVEPOINT nosuch")
except psycopg2.Error as e:
    print("release unknown:", e.pgcode, e.pgerror.splitlines()[0])
conn.rollback()
conn.autocommit = True
try:
    cur.execute("SAVEPOINT outside")
except psycopg2.Error as e:
    print("outside a block:", e.pgcode, e.pgerror.splitlines()[0])
cur.execute("SELECT id, name, qty FROM sp_items ORDER BY id")
print("final:", cur.fetchall())
conn.close()
