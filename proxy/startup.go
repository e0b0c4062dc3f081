package proxy

import (
	"io"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/internal/sockio"
	"github.com/heliosdb/nano/pgwire/pgfront"
	"github.com/heliosdb/nano/proxy/route"
	"github.com/heliosdb/nano/proxy/wire"
	"github.com/heliosdb/nano/sql/pgerror"
)

// fallbackParams are reported when no node could be reached at startup
// and none was ever probed: the values every HeliosDB node reports.
var fallbackParams = map[string]string{
	"server_version": "15.0", "server_encoding": "UTF8", "client_encoding": "UTF8",
	"DateStyle": "ISO, MDY", "IntervalStyle": "postgres", "TimeZone": "UTC",
	"integer_datetimes": "on", "standard_conforming_strings": "on",
}

// startup runs the startup phase: pgfront (negotiation, TLS, client
// authentication, limits, within Config.StartupTimeout), then the first
// backend connection and the greeting. It returns false when the session
// must end (the client has been told why when possible).
func (s *session) startup() bool {
	info, err := s.fc.Startup()
	if err != nil {
		return false
	}
	s.nc = s.fc.NetConn()
	s.w = s.nc
	var rd io.Reader = s.fc.Reader()
	if !s.fc.TLS() {
		if sc := sockio.New(s.fc.Socket()); sc != nil {
			s.w, rd = sc, &clientReader{br: s.fc.Reader(), raw: sc}
		}
	}
	s.r = wire.NewReader(rd, 0)
	s.user, s.database, s.params = info.User, info.Database, info.Params
	s.password = s.srv.users[s.user] // the nodes are logged in to as the client
	s.log = s.log.With("user", s.user, "database", s.database)
	params, err := s.firstBackend()
	if err != nil {
		s.sendFatal(err)
		return false
	}
	s.greet(params)
	return s.werr == nil
}

// refuseReplication refuses a replication connection before
// authentication (pgfront.Config.CheckStartup).
func refuseReplication(info *pgfront.Info) error {
	if _, ok := info.Params["replication"]; ok {
		return pgerror.New(pgerror.FeatureNotSupported, "the proxy does not accept replication connections")
	}
	return nil
}

// firstBackend opens the session's read backend, whose ParameterStatus
// values greet the client. A node that rejects the login (bad password
// for this user on the node, bad startup parameter) fails the startup
// with its error. With no node reachable the session still starts, with
// the parameters last probed, so its statements can wait for a node.
func (s *session) firstBackend() (map[string]string, error) {
	for range len(s.srv.nodes.View()) {
		d := route.Decide(s.srv.policy, s.srv.nodes.View(), s.rs, route.Read, s.srv.rr.Load())
		if d.Wait() {
			break
		}
		if d.Reason == route.ReasonRoundRobin {
			s.srv.rr.Add(1)
		}
		bc, err := s.backendFor(d.Node)
		if err == nil {
			s.rs.ReadNode, s.rs.LastNode = d.Node, d.Node
			return bc.Params, nil
		}
		if !nodeFault(err) {
			return nil, err
		}
	}
	params := s.srv.nodes.Params()
	if params == nil {
		params = fallbackParams
	}
	params = maps.Clone(params)
	if v, ok := s.params["application_name"]; ok {
		params["application_name"] = v
	}
	s.log.Info("proxy: no node reachable at session start; greeting with the last known parameters")
	return params, nil
}

// greet sends AuthenticationOk, the parameters, BackendKeyData and the
// first ReadyForQuery. The proxy is a read-write endpoint whatever node
// served the greeting, so in_hot_standby is reported off.
func (s *session) greet(params map[string]string) {
	s.send(&pgproto3.AuthenticationOk{})
	for _, k := range slices.Sorted(maps.Keys(params)) {
		v := params[k]
		if k == "in_hot_standby" {
			v = "off"
		}
		s.send(&pgproto3.ParameterStatus{Name: k, Value: v})
	}
	s.send(&pgproto3.BackendKeyData{ProcessID: s.pid, SecretKey: s.secret[:]})
	s.readyForQuery()
}
