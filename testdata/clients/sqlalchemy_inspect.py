"""SQLAlchemy (Debian python3-sqlalchemy + python3-psycopg2) against one
server: create_all twice (the second finds the tables), inspect() of
tables, columns, primary keys, indexes and unique constraints, an ORM-less
round trip. Prints what it saw; tests/clients_test.go diffs the output
with PostgreSQL 15's. Usage: sqlalchemy_inspect.py DSN"""
import sys

from sqlalchemy import (Boolean, Column, Integer, MetaData, Numeric, String,
                        Table, Text, create_engine, inspect)

e = create_engine(sys.argv[1])
md = MetaData()
Table('users', md, Column('id', Integer, primary_key=True),
      Column('name', String(50), nullable=False, unique=True), Column('bio', Text))
Table('posts', md, Column('id', Integer, primary_key=True), Column('title', String(100)),
      Column('score', Numeric(10, 2)), Column('published', Boolean, default=False))
md.create_all(e)
md.create_all(e)
insp = inspect(e)
print(sorted(insp.get_table_names()))
for t in sorted(insp.get_table_names()):
    print(t, [(c['name'], str(c['type']), c['nullable'], c['default']) for c in insp.get_columns(t)])
    print(' pk', insp.get_pk_constraint(t))
    print(' idx', insp.get_indexes(t))
    print(' uq', insp.get_unique_constraints(t))
    print(' fk', insp.get_foreign_keys(t))
    print(' has', insp.has_table(t), insp.has_table(t + '_missing'))
with e.begin() as c:
    c.execute(md.tables['users'].insert(), [{'name': 'a'}, {'name': 'b'}])
    print(c.execute(md.tables['users'].select().order_by('id')).fetchall())
