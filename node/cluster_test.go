package node_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
	"github.com/heliosdb/nano/node/cluster"
	"github.com/heliosdb/nano/storage"
)

// editLocals opens a stopped member's storage and runs fn on it.
func editLocals(t *testing.T, m *clustertest.Member, fn func(db *storage.DB)) {
	t.Helper()
	db, err := storage.Open(storage.Config{Path: filepath.Join(m.Cfg.DataDir, "data.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fn(db)
}

// A data dir written before the cluster record (four node-local keys)
// starts with the role, term, cluster id and lease requirement they
// recorded, and is migrated to the one record: the old keys are gone.
func TestClusterStateMigratesOldKeys(t *testing.T) {
	m := clustertest.NewMember(t, "old", clustertest.Options{}, func(c *node.Config) { c.Role = node.RolePrimary })
	m.Start()
	m.Exec("CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	var clusterID string
	if err := m.Conn().QueryRow(context.Background(), "SELECT cluster_id FROM helios_node").Scan(&clusterID); err != nil {
		t.Fatal(err)
	}
	m.Stop()
	// Rewrite the state in the old layout: a primary of term 2 (as after
	// a promotion) that needs a failover lease, with one peer.
	editLocals(t, m, func(db *storage.DB) {
		if db.GetLocal(cluster.Key) == nil {
			t.Fatal("a new data dir has no cluster record")
		}
		hist, _ := json.Marshal([]map[string]any{{"term": 1, "start_lsn": "0/0"}, {"term": 2, "start_lsn": db.AppliedLSN().String()}})
		if err := db.SetLocals(map[string][]byte{cluster.Key: nil,
			"role": []byte(`{"role":"primary","leased":true}`), "cluster_id": []byte(clusterID), "term_history": hist,
			"peers": []byte(`{"gone":"127.0.0.1:1"}`)}); err != nil {
			t.Fatal(err)
		}
	})
	m.Start()
	var term int64
	var id string
	if err := m.Conn().QueryRow(context.Background(), "SELECT term, cluster_id FROM helios_node").Scan(&term, &id); err != nil {
		t.Fatal(err)
	}
	if term != 2 || id != clusterID {
		t.Fatalf("term %d cluster %s, want 2 and %s", term, id, clusterID)
	}
	// The lease requirement came along: writes wait for a grant.
	if _, err := m.Conn().Exec(context.Background(), "INSERT INTO t VALUES (2)"); !isReadOnly(err) {
		t.Fatalf("a leased primary without a grant took a write: %v", err)
	}
	m.Stop()
	editLocals(t, m, func(db *storage.DB) {
		for _, k := range cluster.OldKeys {
			if v := db.GetLocal(k); v != nil {
				t.Errorf("old key %q still there: %s", k, v)
			}
		}
		l, err := cluster.Decode(db.GetLocal)
		if err != nil || l.Old || l.Record.Term() != 2 || !l.Record.Leased || l.Record.Peers["gone"] != "127.0.0.1:1" {
			t.Fatalf("record %+v (old %t, %v)", l.Record, l.Old, err)
		}
	})
}
