package pgcatalog

import (
	"strconv"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Object sizes (pg_relation_size and friends), from the pages the storage
// holds for each bucket (Config.BucketBytes) — measured, never estimated.
// A table and its primary key are one clustered tree here, so the table
// carries the tree's size and the primary key's index reports 0 bytes;
// every other index is its own tree. Sequences and views hold no pages of
// their own (0, where PostgreSQL reports one 8 kB block for a sequence).

// relBuckets returns the buckets of the relation with oid: its own tree,
// and (for a table) the trees of its secondary indexes. ok is false when
// no relation has the oid.
func (s *System) relBuckets(cat *catalog.Catalog, oid int64) (own, idx [][]byte, ok bool) {
	for _, t := range cat.Tables {
		if int64(t.OID) == oid {
			for i := range t.Indexes {
				idx = append(idx, catalog.IndexBucket(t.Indexes[i].ID))
			}
			return [][]byte{catalog.TableBucket(t.ID)}, idx, true
		}
		if int64(pkOID(t)) == oid {
			return nil, nil, true
		}
		for i := range t.Indexes {
			if int64(indexOID(&t.Indexes[i])) == oid {
				return [][]byte{catalog.IndexBucket(t.Indexes[i].ID)}, nil, true
			}
		}
	}
	_, _, ok = s.relName(cat, oid)
	return nil, nil, ok
}

func (s *System) bytesOf(buckets [][]byte) int64 {
	var n int64
	if s.cfg.BucketBytes == nil {
		return 0
	}
	for _, b := range buckets {
		n += s.cfg.BucketBytes(b)
	}
	return n
}

// relSize is the body of the pg_*_size functions over a regclass: which
// parts of the relation count.
func relSize(own, indexes bool) func(*System, *Env, []types.Datum) (types.Datum, error) {
	return func(s *System, env *Env, a []types.Datum) (types.Datum, error) {
		if len(a) > 1 && str(a[1]) != "main" {
			switch str(a[1]) {
			case "fsm", "vm", "init":
				return int64(0), nil
			}
			return nil, pgerror.New(pgerror.InvalidParameterValue, "invalid fork name").
				WithHint(`Valid fork names are "main", "fsm", "vm", and "init".`)
		}
		ob, ib, ok := s.relBuckets(env.Cat, i64(a[0]))
		if !ok {
			return nil, nil
		}
		var n int64
		if own {
			n += s.bytesOf(ob)
		}
		if indexes {
			n += s.bytesOf(ib)
		}
		return n, nil
	}
}

// databaseSize is pg_database_size(name | oid): the data file's size.
func databaseSize(s *System, env *Env, a []types.Datum) (types.Datum, error) {
	arg := str(a[0])
	if o, err := strconv.ParseInt(arg, 10, 64); err == nil {
		if o != DatabaseOID {
			return nil, nil
		}
	} else if arg != s.database(env) {
		return nil, pgerror.Newf(pgerror.InvalidCatalogName, "database %q does not exist", arg)
	}
	if s.cfg.DatabaseBytes == nil {
		return int64(0), nil
	}
	return s.cfg.DatabaseBytes(), nil
}
