package tests

// SERIALIZABLE specs (issue 13 point 4), modelled on PostgreSQL's
// src/test/isolation/specs (receipt-report, classroom-scheduling,
// total-cash, project-manager, two-ids, read-only-anomaly-2/3): each
// session's BEGIN is a step of its own, and TestIsolationMatchesPostgres
// runs every permutation on PostgreSQL 15 and on us and requires the same
// outcome per step. The plans matter (a sequential scan locks the whole
// table, an index lookup its key range): every lookup here is by a key
// with an index, which both use, or over a column without one, where both
// scan the table.

const beginSer = "BEGIN ISOLATION LEVEL SERIALIZABLE"

func init() { isoSpecs = append(isoSpecs, ssiSpecs...) }

var ssiSpecs = []isoSpec{
	{
		// Two sessions update different rows found by primary key: no
		// rw-conflict, both commit (a table-granularity check aborts one).
		name:     "ssi-disjoint-rows-by-pk",
		setup:    "DROP TABLE IF EXISTS acct; CREATE TABLE acct (id int PRIMARY KEY, v int); INSERT INTO acct VALUES (1, 0), (2, 0)",
		sessions: 2,
		messages: true,
		steps: map[string]isoStep{
			"b1": {0, beginSer}, "r1": {0, "SELECT v FROM acct WHERE id = 1"},
			"w1": {0, "UPDATE acct SET v = v + 1 WHERE id = 1"}, "c1": {0, "COMMIT"},
			"b2": {1, beginSer}, "r2": {1, "SELECT v FROM acct WHERE id = 2"},
			"w2": {1, "UPDATE acct SET v = v + 1 WHERE id = 2"}, "c2": {1, "COMMIT"},
		},
		perms: [][]string{
			{"b1", "b2", "r1", "r2", "w1", "w2", "c1", "c2"},
			{"b1", "b2", "w1", "w2", "r1", "r2", "c2", "c1"},
		},
		check:     "SELECT sum(v) FROM acct",
		want:      map[string]string{"c1": "COMMIT", "c2": "COMMIT"},
		wantCheck: "2",
	},
	{
		// Write skew on the doctors' table, serial runs commit.
		name:     "ssi-two-doctors",
		setup:    "DROP TABLE IF EXISTS doctors; CREATE TABLE doctors (name text PRIMARY KEY, on_call bool); INSERT INTO doctors VALUES ('alice', true), ('bob', true)",
		sessions: 2,
		messages: true,
		steps: map[string]isoStep{
			"b1": {0, beginSer}, "r1": {0, "SELECT count(*) FROM doctors WHERE on_call"},
			"w1": {0, "UPDATE doctors SET on_call = false WHERE name = 'alice'"}, "c1": {0, "COMMIT"},
			"b2": {1, beginSer}, "r2": {1, "SELECT count(*) FROM doctors WHERE on_call"},
			"w2": {1, "UPDATE doctors SET on_call = false WHERE name = 'bob'"}, "c2": {1, "COMMIT"},
		},
		perms: [][]string{
			{"b1", "r1", "w1", "c1", "b2", "r2", "w2", "c2"},
			{"b1", "b2", "r1", "w1", "r2", "c1", "w2", "c2"},
			{"b1", "b2", "r1", "r2", "w1", "c1", "w2", "c2"},
			{"b1", "b2", "r1", "r2", "w2", "w1", "c2", "c1"},
		},
		check: "SELECT count(*) FROM doctors WHERE on_call",
		// serially both go off call; concurrently one fails
	},
	{
		// receipt-report: the read-only anomaly. s3 (READ ONLY) sees s2's
		// new deposit date but not s1's receipt for the old one.
		name: "ssi-receipt-report",
		setup: "DROP TABLE IF EXISTS ctl; DROP TABLE IF EXISTS receipt; " +
			"CREATE TABLE ctl (k text NOT NULL PRIMARY KEY, deposit_date date NOT NULL); INSERT INTO ctl VALUES ('receipt', DATE '2008-12-22'); " +
			"CREATE TABLE receipt (receipt_no int NOT NULL PRIMARY KEY, deposit_date date NOT NULL, amount numeric(13,2)); " +
			"INSERT INTO receipt VALUES (1, DATE '2008-12-22', 1.00), (2, DATE '2008-12-22', 2.00)",
		sessions: 3,
		messages: true,
		steps: map[string]isoStep{
			"b1": {0, beginSer}, "rxwy1": {0, "INSERT INTO receipt VALUES (3, (SELECT deposit_date FROM ctl WHERE k = 'receipt'), 4.00)"}, "c1": {0, "COMMIT"},
			"b2": {1, beginSer}, "wx2": {1, "UPDATE ctl SET deposit_date = DATE '2008-12-23' WHERE k = 'receipt'"}, "c2": {1, "COMMIT"},
			"b3": {2, beginSer + ", READ ONLY"}, "rx3": {2, "SELECT * FROM ctl WHERE k = 'receipt'"},
			"ry3": {2, "SELECT * FROM receipt WHERE deposit_date = DATE '2008-12-22' ORDER BY receipt_no"}, "c3": {2, "COMMIT"},
		},
		perms: [][]string{
			{"b1", "b2", "b3", "rxwy1", "c1", "wx2", "c2", "rx3", "ry3", "c3"},
			{"b1", "b2", "rxwy1", "wx2", "c2", "b3", "rx3", "ry3", "c3", "c1"},
			{"b1", "b2", "rxwy1", "wx2", "c2", "b3", "rx3", "ry3", "c1", "c3"},
			{"b1", "b2", "rxwy1", "wx2", "c2", "b3", "rx3", "c1", "ry3", "c3"},
			{"b1", "b2", "b3", "rxwy1", "wx2", "rx3", "ry3", "c1", "c2", "c3"},
			{"b1", "b2", "b3", "wx2", "c2", "rx3", "rxwy1", "ry3", "c3", "c1"},
		},
		check: "SELECT receipt_no, deposit_date FROM receipt ORDER BY 1",
	},
	{
		// classroom-scheduling: overlapping reservations checked with a
		// range over the primary key (room_id, start_time).
		name: "ssi-classroom-scheduling",
		setup: "DROP TABLE IF EXISTS room_reservation; CREATE TABLE room_reservation (room_id varchar(10) NOT NULL, " +
			"start_time timestamp with time zone NOT NULL, end_time timestamp with time zone NOT NULL, description varchar(50), " +
			"CONSTRAINT room_reservation_pkey PRIMARY KEY (room_id, start_time)); " +
			"INSERT INTO room_reservation VALUES ('101', TIMESTAMP WITH TIME ZONE '2010-04-01 10:00', TIMESTAMP WITH TIME ZONE '2010-04-01 11:00', 'Bob')",
		sessions: 2,
		messages: true,
		steps: map[string]isoStep{
			"b1": {0, beginSer},
			"rx1": {0, "SELECT count(*) FROM room_reservation WHERE room_id = '101' AND start_time < TIMESTAMP WITH TIME ZONE '2010-04-01 13:00' " +
				"AND end_time > TIMESTAMP WITH TIME ZONE '2010-04-01 12:00'"},
			"wy1": {0, "INSERT INTO room_reservation VALUES ('101', TIMESTAMP WITH TIME ZONE '2010-04-01 13:00', TIMESTAMP WITH TIME ZONE '2010-04-01 14:00', 'Carol')"},
			"c1":  {0, "COMMIT"},
			"b2":  {1, beginSer},
			"ry2": {1, "SELECT count(*) FROM room_reservation WHERE room_id = '101' AND start_time < TIMESTAMP WITH TIME ZONE '2010-04-01 14:30' " +
				"AND end_time > TIMESTAMP WITH TIME ZONE '2010-04-01 13:30'"},
			"wx2": {1, "UPDATE room_reservation SET start_time = TIMESTAMP WITH TIME ZONE '2010-04-01 12:00', end_time = TIMESTAMP WITH TIME ZONE '2010-04-01 13:00' " +
				"WHERE room_id = '101' AND start_time = TIMESTAMP WITH TIME ZONE '2010-04-01 10:00'"},
			"c2": {1, "COMMIT"},
		},
		perms: [][]string{
			{"b1", "b2", "rx1", "wy1", "c1", "ry2", "wx2", "c2"},
			{"b1", "b2", "rx1", "wy1", "ry2", "c1", "wx2", "c2"},
			{"b1", "b2", "rx1", "wy1", "ry2", "wx2", "c1", "c2"},
			{"b1", "b2", "rx1", "ry2", "wy1", "wx2", "c2", "c1"},
			{"b1", "b2", "ry2", "wx2", "rx1", "wy1", "c1", "c2"},
			{"b1", "b2", "ry2", "wx2", "c2", "rx1", "wy1", "c1"},
		},
		check: "SELECT count(*) FROM room_reservation",
	},
	{
		// total-cash: each withdraws from one account, then sums both.
		name: "ssi-total-cash",
		setup: "DROP TABLE IF EXISTS accounts; CREATE TABLE accounts (accountid text NOT NULL PRIMARY KEY, balance numeric NOT NULL); " +
			"INSERT INTO accounts VALUES ('checking', 600), ('savings', 600)",
		sessions: 2,
		messages: true,
		steps: map[string]isoStep{
			"b1": {0, beginSer}, "wx1": {0, "UPDATE accounts SET balance = balance - 200 WHERE accountid = 'checking'"},
			"rxy1": {0, "SELECT SUM(balance) FROM accounts"}, "c1": {0, "COMMIT"},
			"b2": {1, beginSer}, "wy2": {1, "UPDATE accounts SET balance = balance - 200 WHERE accountid = 'savings'"},
			"rxy2": {1, "SELECT SUM(balance) FROM accounts"}, "c2": {1, "COMMIT"},
		},
		perms: [][]string{
			{"b1", "b2", "wx1", "rxy1", "c1", "wy2", "rxy2", "c2"},
			{"b1", "b2", "wx1", "rxy1", "wy2", "c1", "rxy2", "c2"},
			{"b1", "b2", "wx1", "wy2", "rxy1", "rxy2", "c1", "c2"},
			{"b1", "b2", "wx1", "wy2", "rxy2", "c2", "rxy1", "c1"},
			{"b1", "b2", "wy2", "rxy2", "c2", "wx1", "rxy1", "c1"},
		},
		check: "SELECT SUM(balance) FROM accounts",
	},
	{
		// project-manager: referential integrity kept by the application.
		name: "ssi-project-manager",
		setup: "DROP TABLE IF EXISTS person; DROP TABLE IF EXISTS project; " +
			"CREATE TABLE person (person_id int NOT NULL PRIMARY KEY, name text NOT NULL, is_project_manager bool NOT NULL); " +
			"INSERT INTO person VALUES (1, 'Robert Haas', true); " +
			"CREATE TABLE project (project_no int NOT NULL PRIMARY KEY, description text NOT NULL, project_manager int NOT NULL)",
		sessions: 2,
		messages: true,
		steps: map[string]isoStep{
			"b1": {0, beginSer}, "rx1": {0, "SELECT count(*) FROM person WHERE person_id = 1 AND is_project_manager"},
			"wy1": {0, "INSERT INTO project VALUES (101, 'Build Great Wall', 1)"}, "c1": {0, "COMMIT"},
			"b2": {1, beginSer}, "ry2": {1, "SELECT count(*) FROM project WHERE project_manager = 1"},
			"wx2": {1, "UPDATE person SET is_project_manager = false WHERE person_id = 1"}, "c2": {1, "COMMIT"},
		},
		perms: [][]string{
			{"b1", "b2", "rx1", "wy1", "c1", "ry2", "wx2", "c2"},
			{"b1", "b2", "rx1", "wy1", "ry2", "c1", "wx2", "c2"},
			{"b1", "b2", "rx1", "ry2", "wy1", "wx2", "c1", "c2"},
			{"b1", "b2", "ry2", "rx1", "wx2", "c2", "wy1", "c1"},
			{"b1", "b2", "ry2", "wx2", "c2", "rx1", "wy1", "c1"},
		},
		check: "SELECT (SELECT count(*) FROM project), (SELECT count(*) FROM person WHERE is_project_manager)",
	},
	{
		// two-ids: tables without a key, read by full scans.
		name: "ssi-two-ids",
		setup: "DROP TABLE IF EXISTS d1; DROP TABLE IF EXISTS d2; CREATE TABLE d1 (id int NOT NULL); CREATE TABLE d2 (id int NOT NULL); " +
			"INSERT INTO d1 VALUES (1); INSERT INTO d2 VALUES (1)",
		sessions: 3,
		messages: true,
		steps: map[string]isoStep{
			"b1": {0, beginSer}, "wx1": {0, "UPDATE d1 SET id = id + 1"}, "c1": {0, "COMMIT"},
			"b2": {1, beginSer}, "rxwy2": {1, "UPDATE d2 SET id = (SELECT id + 1 FROM d1)"}, "c2": {1, "COMMIT"},
			"b3": {2, beginSer}, "ry3": {2, "SELECT id FROM d2"}, "c3": {2, "COMMIT"},
		},
		perms: [][]string{
			{"b1", "b2", "b3", "wx1", "c1", "rxwy2", "c2", "ry3", "c3"},
			{"b1", "b2", "b3", "wx1", "rxwy2", "c1", "ry3", "c2", "c3"},
			{"b1", "b2", "b3", "wx1", "rxwy2", "ry3", "c1", "c2", "c3"},
			{"b1", "b2", "b3", "rxwy2", "c2", "wx1", "ry3", "c1", "c3"},
			{"b1", "b2", "b3", "rxwy2", "ry3", "c2", "wx1", "c3", "c1"},
			{"b1", "b2", "b3", "wx1", "rxwy2", "c2", "ry3", "c3", "c1"},
			{"b1", "b2", "rxwy2", "wx1", "c2", "c1"},
		},
		check: "SELECT (SELECT id FROM d1), (SELECT id FROM d2)",
	},
	{
		// read-only-anomaly-2: once the READ ONLY s3 has seen s1's
		// commit, s2's write completes a cycle and fails.
		name: "ssi-read-only-anomaly",
		setup: "DROP TABLE IF EXISTS bank_account; CREATE TABLE bank_account (id text PRIMARY KEY, balance decimal NOT NULL); " +
			"INSERT INTO bank_account (id, balance) VALUES ('X', 0), ('Y', 0)",
		sessions: 3,
		messages: true,
		steps: map[string]isoStep{
			"b1": {0, beginSer}, "s1ry": {0, "SELECT balance FROM bank_account WHERE id = 'Y'"},
			"s1wy": {0, "UPDATE bank_account SET balance = 20 WHERE id = 'Y'"}, "s1c": {0, "COMMIT"},
			"b2": {1, beginSer}, "s2rx": {1, "SELECT balance FROM bank_account WHERE id = 'X'"},
			"s2ry": {1, "SELECT balance FROM bank_account WHERE id = 'Y'"},
			"s2wx": {1, "UPDATE bank_account SET balance = -11 WHERE id = 'X'"}, "s2c": {1, "COMMIT"},
			"b3": {2, beginSer}, "s3r": {2, "SELECT id, balance FROM bank_account WHERE id IN ('X', 'Y') ORDER BY id"},
			"s3c": {2, "COMMIT"},
		},
		perms: [][]string{
			{"b1", "b2", "b3", "s2rx", "s2ry", "s1ry", "s1wy", "s1c", "s2wx", "s2c", "s3c"},
			{"b1", "b2", "s2rx", "s2ry", "s1ry", "s1wy", "s1c", "b3", "s3r", "s3c", "s2wx"},
		},
		check: "SELECT id, balance FROM bank_account ORDER BY id",
		want:  map[string]string{"s3r": "X"},
	},
	{
		// read-only-anomaly-3: READ ONLY DEFERRABLE waits until s2 ends,
		// then runs on a snapshot that is safe.
		name: "ssi-read-only-deferrable",
		setup: "DROP TABLE IF EXISTS bank_account; CREATE TABLE bank_account (id text PRIMARY KEY, balance decimal NOT NULL); " +
			"INSERT INTO bank_account (id, balance) VALUES ('X', 0), ('Y', 0)",
		sessions: 4,
		messages: true,
		steps: map[string]isoStep{
			"b1": {0, beginSer}, "s1ry": {0, "SELECT balance FROM bank_account WHERE id = 'Y'"},
			"s1wy": {0, "UPDATE bank_account SET balance = 20 WHERE id = 'Y'"}, "s1c": {0, "COMMIT"},
			"b2": {1, beginSer}, "s2rx": {1, "SELECT balance FROM bank_account WHERE id = 'X'"},
			"s2ry": {1, "SELECT balance FROM bank_account WHERE id = 'Y'"},
			"s2wx": {1, "UPDATE bank_account SET balance = -11 WHERE id = 'X'"}, "s2c": {1, "COMMIT"}, "s2a": {1, "ROLLBACK"},
			"b3": {2, beginSer + ", READ ONLY, DEFERRABLE"}, "s3r": {2, "SELECT id, balance FROM bank_account WHERE id IN ('X', 'Y') ORDER BY id"},
			"s3c":  {2, "COMMIT"},
			"act4": {3, "SELECT wait_event_type, wait_event, state FROM pg_stat_activity WHERE wait_event = 'SafeSnapshot'"},
		},
		perms: [][]string{
			{"b1", "b2", "s2rx", "s2ry", "s1ry", "s1wy", "s1c", "b3", "s3r", "act4", "s2wx", "s2c", "s3c"},
			{"b1", "b2", "s2rx", "s2ry", "s1ry", "s1wy", "s1c", "b3", "s3r", "s2a", "s3c"},
			{"b1", "b2", "s1ry", "s1c", "s2rx", "s2c", "b3", "s3r", "s3c"},
		},
		check: "SELECT id, balance FROM bank_account ORDER BY id",
		want:  map[string]string{"s3r": "SELECT 2", "act4": "SELECT 1: IPC,SafeSnapshot,active"},
	},
}
