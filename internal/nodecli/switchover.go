package nodecli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/node"
)

// nodeStatus is the part of GET /status the switchover needs.
type nodeStatus struct {
	NodeID      string                 `json:"node_id"`
	Role        string                 `json:"role"`
	Term        uint64                 `json:"term"`
	CurrentLSN  lsn.LSN                `json:"current_lsn"`
	Replication node.ReplicationStatus `json:"replication"`
	Topology    []node.TopologyNode    `json:"topology"`
}

func fetchStatus(base string, creds apiClient) (nodeStatus, error) {
	var st nodeStatus
	body, err := get(strings.TrimRight(base, "/")+"/status", 5*time.Second, creds)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("status of %s: %w", base, err)
	}
	return st, nil
}

// nativeAddr is the replication address a node advertises for itself.
func (st nodeStatus) nativeAddr() string {
	for _, t := range st.Topology {
		if t.NodeID == st.NodeID && t.NativeAddress != nil {
			return *t.NativeAddress
		}
	}
	return ""
}

// waitApplied waits until the node at base has applied at, up to timeout,
// with helios_wait_for_applied_lsn over POST /query: the node answers as
// soon as its storage has applied at (a wait, not a poll). A failed request
// (the node restarting) is retried after a short pause.
func waitApplied(base string, at lsn.LSN, timeout time.Duration, creds apiClient) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		left := time.Until(deadline)
		if left <= 0 {
			if last == nil {
				last = fmt.Errorf("still applying")
			}
			return last
		}
		wait := min(left, 10*time.Second)
		body, _ := json.Marshal(map[string]string{"sql": fmt.Sprintf("SELECT helios_wait_for_applied_lsn('%s', %d)", at, wait.Milliseconds())})
		out, err := call(http.MethodPost, strings.TrimRight(base, "/")+"/query", body, wait+5*time.Second, creds)
		if err == nil {
			var applied lsn.LSN
			if applied, err = appliedFrom(out); err == nil {
				if applied >= at {
					return nil
				}
				last = fmt.Errorf("applied up to %s", applied)
				continue
			}
		}
		last = err
		time.Sleep(min(100*time.Millisecond, time.Until(deadline)))
	}
}

// appliedFrom reads the LSN POST /query answered for
// helios_wait_for_applied_lsn (a pg_lsn: a JSON number or its text).
func appliedFrom(body []byte) (lsn.LSN, error) {
	var res struct {
		Rows [][]any `json:"rows"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		return 0, err
	}
	if len(res.Rows) == 1 && len(res.Rows[0]) == 1 {
		switch v := res.Rows[0][0].(type) {
		case json.Number:
			if n, err := strconv.ParseUint(v.String(), 10, 64); err == nil {
				return lsn.LSN(n), nil
			}
		case string:
			return lsn.Parse(v)
		}
	}
	return 0, fmt.Errorf("helios_wait_for_applied_lsn answered %s", body)
}

type switchover struct {
	out                io.Writer
	from, to, toNative string
	standbys           []string
	timeout            time.Duration
	step               int
	cc                 clientCreds
	creds              apiClient
}

func (s *switchover) say(format string, args ...any) {
	s.step++
	fmt.Fprintf(s.out, "[%d/5] "+format+"\n", append([]any{s.step}, args...)...)
}

func (s *switchover) run() error {
	start := time.Now()
	s.say("checking %s (old primary) and %s (new primary)", s.from, s.to)
	from, err := fetchStatus(s.from, s.creds)
	if err != nil {
		return err
	}
	to, err := fetchStatus(s.to, s.creds)
	if err != nil {
		return err
	}
	if from.Role != node.RolePrimary {
		return fmt.Errorf("%s (%s) is a %s, not the primary", s.from, from.NodeID, from.Role)
	}
	if to.Role != node.RoleStandby || !to.Replication.Connected {
		return fmt.Errorf("%s (%s) must be a standby streaming from the primary (role %s, connected %t)", s.to, to.NodeID, to.Role, to.Replication.Connected)
	}
	if s.toNative == "" {
		s.toNative = to.nativeAddr()
	}
	host, portStr, err := net.SplitHostPort(s.toNative)
	port, _ := strconv.Atoi(portStr)
	if err != nil || port == 0 {
		return fmt.Errorf("cannot tell the new primary's native address (%q); pass --to-native host:port", s.toNative)
	}
	fmt.Fprintf(s.out, "      %s is primary (term %d, lsn %s); %s is a standby %d bytes behind\n", from.NodeID, from.Term, from.CurrentLSN, to.NodeID, to.Replication.LagBytes)

	s.say("demoting %s: new writes refused, in-flight commits finish, standbys receive the rest", from.NodeID)
	paused := time.Now()
	demote := fmt.Sprintf(`{"primary_host":%q,"primary_port":%d}`, host, port)
	if _, err := call(http.MethodPost, strings.TrimRight(s.from, "/")+"/admin/demote", []byte(demote), s.timeout, s.creds); err != nil {
		return fmt.Errorf("demote %s: %w", from.NodeID, err)
	}
	final, err := fetchStatus(s.from, s.creds)
	if err != nil {
		return err
	}

	s.say("waiting until %s has applied %s", to.NodeID, final.CurrentLSN)
	if err := waitApplied(s.to, final.CurrentLSN, s.timeout, s.creds); err != nil {
		return fmt.Errorf("%s did not apply %s within %s (%v); %s is now a standby and nothing was promoted: promote one of them by hand", to.NodeID, final.CurrentLSN, s.timeout, err, from.NodeID)
	}

	s.say("promoting %s", to.NodeID)
	if _, err := call(http.MethodPost, strings.TrimRight(s.to, "/")+"/admin/promote", nil, s.timeout, s.creds); err != nil {
		return fmt.Errorf("promote %s: %w", to.NodeID, err)
	}
	pause := time.Since(paused)

	s.say("re-pointing %d other standby(s) at %s", len(s.standbys), s.toNative)
	for _, sb := range s.standbys {
		if _, err := call(http.MethodPost, strings.TrimRight(sb, "/")+"/admin/demote", []byte(demote), s.timeout, s.creds); err != nil {
			return fmt.Errorf("re-point %s: %w", sb, err)
		}
	}
	fmt.Fprintf(s.out, "switchover complete in %s: %s is primary, %s follows it; writes were refused for %s\n",
		time.Since(start).Round(time.Millisecond), to.NodeID, from.NodeID, pause.Round(time.Millisecond))
	return nil
}

func switchoverCmd(out io.Writer) *cobra.Command {
	s := &switchover{out: out}
	cmd := &cobra.Command{
		Use:   "switchover --from URL --to URL [--standby URL]...",
		Short: "Planned role change: demote the primary at --from, promote the standby at --to once it has everything, re-point other standbys",
		Long: `switchover moves the primary role without losing an acknowledged commit.
URLs are the nodes' HTTP APIs (e.g. http://localhost:8080). Steps: check both
nodes; demote the old primary (it refuses new writes, lets in-flight commits
finish and hands the rest of its WAL to its standbys, then follows the new
primary); wait until the target has applied the old primary's last LSN;
promote it (a new term); re-point every --standby at it.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if s.from == "" || s.to == "" {
				return &node.ConfigError{Key: "from/to", Reason: "both --from and --to are required"}
			}
			var err error
			if s.creds, err = s.cc.resolve(); err != nil {
				return err
			}
			return s.run()
		},
	}
	cmd.Flags().StringVar(&s.from, "from", "", "HTTP URL of the current primary")
	cmd.Flags().StringVar(&s.to, "to", "", "HTTP URL of the standby to promote")
	cmd.Flags().StringVar(&s.toNative, "to-native", "", "host:port other nodes reach the new primary's native port at (default: what it advertises)")
	cmd.Flags().StringArrayVar(&s.standbys, "standby", nil, "HTTP URL of another standby to re-point (repeatable)")
	cmd.Flags().DurationVar(&s.timeout, "timeout", 30*time.Second, "bound for each step")
	addCredFlags(cmd, &s.cc)
	return cmd
}
