// Package config reads and validates the heliosdb-proxy configuration file
// (TOML, as in the HA tutorial) into a Config.
//
// # File format
//
//	[proxy]
//	listen_addr = "0.0.0.0:5432"        # PostgreSQL protocol listener
//	admin_addr = "0.0.0.0:9090"         # admin API (/health, /nodes, /metrics); "" disables it
//	health_check_interval_secs = 5      # probe period per node (fractions allowed: 0.5)
//	failure_threshold = 3               # consecutive failed probes before a node is unhealthy
//	write_timeout_secs = 30             # how long a write waits for a healthy primary (0: fail at once)
//
//	# Extras (all optional; HeliosDB additions to the tutorial's keys):
//	user = "helios"                     # login for health probes and the nodes' HTTP APIs; also the default client user
//	password = "helios"                 # its password
//	database = "heliosdb"               # database the probes connect to
//	auth_method = "scram-sha-256"       # how clients authenticate to the proxy: scram-sha-256, md5 or password
//	connect_timeout_secs = 5            # bound on one backend dial + login, and on one probe
//	read_from_primary = true            # may the primary serve round-robin reads?
//	read_consistency = "session"        # eventual | session | causal (see below); default session,
//	                                    # or eventual when read_your_writes = false
//	causal_wait_ms = 100                # causal: how long a read waits for a standby to catch up
//	                                    # before it goes to the primary
//	read_your_writes = true             # older spelling: true = session, false = eventual
//	max_replica_lag_bytes = 0           # standbys further behind get no reads (0: no bound)
//	shutdown_timeout_secs = 10          # graceful shutdown: how long sessions may finish
//	auto_failover = true                # lease the primary; promote the sync standby when it is gone
//	failover_timeout_secs = 10          # how long the primary may renew nothing before a promotion (≥ 1)
//	failover_allow_data_loss = false    # promote even when the primary was degraded or async
//	admin_token = ""                    # also accepted by the admin API as "Authorization: Bearer <token>"
//	admin_auth = "required"             # admin API needs a client user's password or the token; "none": labs only
//	protect_metrics = false             # GET /metrics, /nodes and /failover need credentials too (GET /health never does)
//	max_connections = 100               # client sessions at once; one more gets 53300 (0: no bound)
//	max_procs = 0                       # threads running the proxy's Go code at once (GOMAXPROCS);
//	                                    # 0: $GOMAXPROCS when set, else half the CPUs, at least 1
//	tls_cert_file = ""                  # PEM certificate (chain) of the client port; with tls_key_file turns TLS on
//	tls_key_file = ""                   # its PEM private key; both re-read on SIGHUP
//	tls_required = false                # refuse clients without TLS (FATAL 28000, as hostssl-only pg_hba)
//	backend_sslmode = "disable"         # TLS towards the nodes, as libpq: disable, prefer, require, verify-ca, verify-full
//	backend_sslrootcert = ""            # CA file for verify-ca / verify-full
//	admin_tls = false                   # admin API over HTTPS with tls_cert_file/tls_key_file
//	node_http_tls = false               # call the nodes' HTTP APIs over HTTPS (nodes with --http-tls), verified with backend_sslrootcert
//
//	[[nodes]]
//	name = "primary"                    # unique, used in logs, metrics and the admin API
//	host = "primary"
//	port = 5432
//	role = "primary"                    # "primary" or "standby": informational only; the proxy
//	                                    # routes by the role and term each node reports
//	enabled = true                      # false keeps the node out of routing (admin API can flip it)
//	# Optional overrides. Each node tells the proxy its node_id and the
//	# ports of its HTTP API and replication listener (helios_node, read by
//	# every health probe); set these only when the proxy reaches the node
//	# through a port mapping (Docker -p 18080:8080, say):
//	http_port = 8080                    # the node's HTTP API port on host, used by POST /switchover
//	                                    # and automatic failover (GET /status, /admin/promote|demote|lease);
//	                                    # default: the port the node advertises (its --http-port)
//	native_port = 5433                  # the node's replication port (--native-port), given to the
//	                                    # other nodes when it becomes the primary; default: the
//	                                    # address the node advertises, else 5433
//
//	[[users]]                           # optional client user list; default: the one user above
//	name = "app"
//	password = "secret"
//
// # Read consistency
//
//   - eventual: reads are spread over healthy nodes (round robin, sticky
//     per session) whatever their lag (bounded by max_replica_lag_bytes).
//   - session (default): as eventual, but after a session writes, its
//     reads go to the primary: it reads its own writes, not necessarily
//     other sessions'.
//   - causal: a read sees every commit the proxy acknowledged to any
//     client before the read arrived. The nodes report each commit's LSN
//     to the proxy (ParameterStatus helios.commit_lsn on the proxy's own
//     connections), and the proxy learns how far each standby has applied
//     (helios_wait_for_applied_lsn, a wait on the node that ends when it
//     has applied an LSN). A read goes to a standby only when it has
//     applied the proxy's last acknowledged commit LSN; otherwise it waits
//     up to causal_wait_ms for one to catch up, then goes to the primary.
//     Commits made directly on a node (not through this proxy) are not
//     tracked.
//
// # Authentication model
//
// Clients authenticate to the proxy with auth_method against the [[users]]
// list (or, when it is empty, against user/password). The proxy then logs
// in to the nodes as that same user with that same password, so every user
// listed here must also exist on the nodes.
//
// # Validation
//
// Parse and Load return a *Error naming the key (for example
// "proxy.failure_threshold") for a value of the wrong type or out of
// range (ports must be 1 to 65535), and a warning for every key they do
// not know. Config.Validate checks a Config built in code the same way;
// there a zero Node.HTTPPort or Node.NativePort means "as the node
// advertises". Two entries with the same host and port are an error; two
// entries that reach the same node by different names (localhost and
// 127.0.0.1, say) are found by their node_id once probed, and reported as
// a configuration error on both (GET /nodes "config_error", the log) —
// switchover and failover then refuse to act.
package config
