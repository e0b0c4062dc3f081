package session

import (
	"strconv"
	"strings"

	"github.com/heliosdb/nano/sql/pgerror"
)

// gucDef describes one configuration parameter (GUC). The table of
// definitions is immutable; values live in gucs.
type gucDef struct {
	name     string // canonical spelling, as SHOW's column and ParameterStatus use
	def      string // default; dynamic parameters compute theirs in gucs.dynamic
	readOnly bool   // SET fails with 55P02
	report   bool   // GUC_REPORT: sent in ParameterStatus
	desc     string
	// check validates a new value and returns its canonical form. cur is
	// the current value (DateStyle updates only the parts given).
	check func(d *gucDef, cur, v string) (string, error)
	// list parameters take several SET arguments, joined with ", ";
	// quote ones quote each element as an identifier (search_path).
	list, quote bool
	// hidden parameters are left out of SHOW ALL (GUC_NO_SHOW_ALL).
	hidden bool
}

// ReportCommitLSN is the HeliosDB parameter that makes a session report
// the end LSN of each of its commits that wrote something, as the
// ParameterStatus CommitLSNParam, sent before the ReadyForQuery that
// follows the commit. heliosdb-proxy sets it (a startup parameter) on its
// connections in read_consistency = causal mode.
const (
	ReportCommitLSN = "helios.report_commit_lsn"
	CommitLSNParam  = "helios.commit_lsn"
)

// gucTable returns the parameters this server knows, keyed by lower-case
// name. It builds a fresh map so that no package-level state is shared.
func gucTable() map[string]*gucDef {
	defs := []*gucDef{
		{name: "application_name", report: true, check: checkAppName, desc: "Sets the application name to be reported in statistics and logs."},
		{name: "array_nulls", def: "on", check: checkBool, desc: "Enable input of NULL elements in arrays."},
		{name: "backslash_quote", def: "safe_encoding", check: checkEnum("safe_encoding", "on", "off"), desc: "Sets whether \"\\'\" is allowed in string literals."},
		{name: "block_size", def: "8192", readOnly: true, desc: "Shows the size of a disk block."},
		{name: "bytea_output", def: "hex", check: checkSupported("hex", "escape"), desc: "Sets the output format for bytea."},
		{name: "client_connection_check_interval", def: "250ms", check: checkDuration, desc: "Sets the time interval between checks for disconnection while running queries."},
		{name: "client_encoding", def: "UTF8", report: true, check: checkClientEncoding, desc: "Sets the client's character set encoding."},
		{name: "client_min_messages", def: "notice", check: checkEnum(msgLevels...), desc: "Sets the message levels that are sent to the client."},
		{name: "DateStyle", def: "ISO, MDY", report: true, list: true, check: checkDateStyle, desc: "Sets the display format for date and time values."},
		{name: "default_transaction_deferrable", def: "off", check: checkBool, desc: "Sets the default deferrable status of new transactions."},
		{name: "deadlock_timeout", def: "1s", check: checkDuration, desc: "Sets the time to wait on a lock before checking for deadlock."},
		{name: "default_transaction_isolation", def: "read committed", check: checkEnum(isoLevels...), desc: "Sets the transaction isolation level of each new transaction."},
		{name: "default_transaction_read_only", def: "off", report: true, check: checkBool, desc: "Sets the default read-only status of new transactions."},
		{name: "escape_string_warning", def: "on", check: checkBool, desc: "Warn about backslash escapes in ordinary string literals."},
		{name: "extra_float_digits", def: "1", check: checkInt(-15, 3), desc: "Sets the number of digits displayed for floating-point values."},
		{name: "idle_in_transaction_session_timeout", def: "0", check: checkDuration, desc: "Sets the maximum allowed idle time between queries, when in a transaction."},
		{name: "idle_session_timeout", def: "0", check: checkDuration, desc: "Sets the maximum allowed idle time between queries, when not in a transaction."},
		{name: "in_hot_standby", readOnly: true, report: true, desc: "Shows whether hot standby is currently active."},
		{name: "integer_datetimes", def: "on", readOnly: true, report: true, desc: "Shows whether datetimes are integer based."},
		{name: "IntervalStyle", def: "postgres", report: true, check: checkSupported("postgres", "postgres_verbose", "sql_standard", "iso_8601"), desc: "Sets the display format for interval values."},
		{name: "is_superuser", def: "on", readOnly: true, report: true, desc: "Shows whether the current user is a superuser."},
		{name: "jit", def: "off", check: checkBool, desc: "Allow JIT compilation."},
		{name: "lc_messages", def: "C", check: checkAny, desc: "Sets the language in which messages are displayed."},
		{name: "lc_monetary", def: "C", check: checkAny, desc: "Sets the locale for formatting monetary amounts."},
		{name: "lc_numeric", def: "C", check: checkAny, desc: "Sets the locale for formatting numbers."},
		{name: "lc_time", def: "C", check: checkAny, desc: "Sets the locale for formatting date and time values."},
		{name: "lock_timeout", def: "0", check: checkDuration, desc: "Sets the maximum allowed duration of any wait for a lock."},
		{name: "max_connections", def: "100", readOnly: true, desc: "Sets the maximum number of concurrent connections."},
		{name: "max_identifier_length", def: "63", readOnly: true, desc: "Shows the maximum identifier length."},
		{name: "max_index_keys", def: "32", readOnly: true, desc: "Shows the maximum number of index keys."},
		{name: "row_security", def: "on", check: checkBool, desc: "Enable row security."},
		{name: "search_path", def: `"$user", public`, list: true, quote: true, check: checkAny, desc: "Sets the schema search order for names that are not schema-qualified."},
		{name: "superuser_reserved_connections", def: "3", readOnly: true, desc: "Sets the number of connection slots reserved for superusers."},
		{name: "server_encoding", def: "UTF8", readOnly: true, report: true, desc: "Shows the server (database) character set encoding."},
		{name: "server_version", readOnly: true, report: true, desc: "Shows the server version."},
		{name: "server_version_num", readOnly: true, desc: "Shows the server version as an integer."},
		{name: "session_authorization", report: true, check: checkAny, desc: "Sets the session user name."},
		{name: "standard_conforming_strings", def: "on", report: true, check: checkSupported("on", "off"), desc: "Causes '...' strings to treat backslashes literally."},
		{name: "statement_timeout", def: "0", check: checkDuration, desc: "Sets the maximum allowed duration of any statement."},
		{name: "synchronous_commit", def: "on", check: checkEnum("on", "off", "local", "remote_write", "remote_apply"), desc: "Sets the current transaction's synchronization level (accepted; commits are always durable)."},
		{name: "TimeZone", def: "UTC", report: true, check: checkTimeZone, desc: "Sets the time zone for displaying and interpreting time stamps."},
		{name: "timezone_abbreviations", def: "Default", check: checkAny, desc: "Selects a file of time zone abbreviations."},
		{name: "transaction_deferrable", def: "off", check: checkBool, desc: "Whether to defer a read-only serializable transaction until it can be executed with no possible serialization failures."},
		{name: "transaction_isolation", check: checkEnum(isoLevels...), desc: "Sets the current transaction's isolation level."},
		{name: "transaction_read_only", check: checkBool, desc: "Sets the current transaction's read-only status."},
		{name: "work_mem", def: "4MB", check: checkMemory, desc: "Sets the maximum memory to be used for query workspaces."},
		{name: ReportCommitLSN, def: "off", check: checkBool, hidden: true, desc: "Reports the end LSN of each commit (ParameterStatus helios.commit_lsn)."},
	}
	m := make(map[string]*gucDef, len(defs))
	for _, d := range defs {
		m[strings.ToLower(d.name)] = d
	}
	return m
}

var (
	isoLevels = []string{"serializable", "repeatable read", "read committed", "read uncommitted"}
	msgLevels = []string{"debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error"}
)

func invalidValue(d *gucDef, v string) *pgerror.Error {
	return pgerror.Newf(pgerror.InvalidParameterValue, "invalid value for parameter %q: %q", d.name, v)
}

func checkAny(_ *gucDef, _, v string) (string, error) { return v, nil }

// checkAppName mirrors PostgreSQL: at most 63 bytes, non-ASCII replaced.
func checkAppName(_ *gucDef, _, v string) (string, error) {
	b := []byte(v)
	for i, c := range b {
		if c < 32 || c > 126 {
			b[i] = '?'
		}
	}
	if len(b) > 63 {
		b = b[:63]
	}
	return string(b), nil
}

// parseBool accepts what PostgreSQL's parse_bool accepts: on/off,
// true/false, yes/no, 1/0 and unique prefixes of them.
func parseBool(v string) (bool, bool) {
	s := strings.ToLower(strings.TrimSpace(v))
	switch {
	case s == "":
		return false, false
	case s == "1", s == "on", strings.HasPrefix("true", s), strings.HasPrefix("yes", s):
		return true, true
	case s == "0", s == "of", s == "off", strings.HasPrefix("false", s), strings.HasPrefix("no", s):
		return false, true
	}
	return false, false
}

func checkBool(d *gucDef, _, v string) (string, error) {
	b, ok := parseBool(v)
	if !ok {
		return "", pgerror.Newf(pgerror.InvalidParameterValue, "parameter %q requires a Boolean value", d.name)
	}
	return boolText(b), nil
}

func boolText(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// checkEnum accepts one of values, case-insensitively.
func checkEnum(values ...string) func(*gucDef, string, string) (string, error) {
	return func(d *gucDef, _, v string) (string, error) {
		s := strings.ToLower(strings.TrimSpace(v))
		if d.name == "synchronous_commit" {
			if b, ok := parseBool(s); ok {
				return boolText(b), nil
			}
		}
		for _, x := range values {
			if s == x {
				return x, nil
			}
		}
		return "", invalidValue(d, v).WithHint("Available values: %s.", strings.Join(values, ", "))
	}
}

// checkSupported accepts the first value; the others are valid PostgreSQL
// settings this server does not implement (0A000).
func checkSupported(ok string, others ...string) func(*gucDef, string, string) (string, error) {
	return func(d *gucDef, _, v string) (string, error) {
		s := strings.ToLower(strings.TrimSpace(v))
		if s == ok {
			return ok, nil
		}
		if d.name == "standard_conforming_strings" {
			if b, valid := parseBool(s); valid && b {
				return ok, nil
			}
			if _, valid := parseBool(s); valid {
				s = "off"
			}
		}
		for _, o := range others {
			if s == o {
				return "", pgerror.Newf(pgerror.FeatureNotSupported, "%s = %q is not supported", d.name, v)
			}
		}
		return "", invalidValue(d, v).WithHint("Available values: %s.", strings.Join(append([]string{ok}, others...), ", "))
	}
}

func checkInt(lo, hi int64) func(*gucDef, string, string) (string, error) {
	return func(d *gucDef, _, v string) (string, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return "", invalidValue(d, v)
		}
		if n < lo || n > hi {
			return "", pgerror.Newf(pgerror.InvalidParameterValue,
				"%d is outside the valid range for parameter %q (%d .. %d)", n, d.name, lo, hi)
		}
		return strconv.FormatInt(n, 10), nil
	}
}

// encodingAliases maps the spellings PostgreSQL accepts for UTF8.
var encodingNames = map[string]string{
	"utf8": "UTF8", "utf-8": "UTF8", "unicode": "UTF8",
	"sql_ascii": "SQL_ASCII", "latin1": "LATIN1", "iso88591": "LATIN1", "iso-8859-1": "LATIN1",
	"win1252": "WIN1252", "latin2": "LATIN2", "latin9": "LATIN9", "euc_jp": "EUC_JP",
	"sjis": "SJIS", "win1251": "WIN1251", "koi8r": "KOI8R", "gbk": "GBK", "big5": "BIG5",
}

func checkClientEncoding(d *gucDef, _, v string) (string, error) {
	name, ok := encodingNames[strings.ToLower(strings.TrimSpace(v))]
	switch {
	case !ok:
		return "", invalidValue(d, v)
	case name != "UTF8":
		return "", pgerror.Newf(pgerror.FeatureNotSupported, "conversion between %s and UTF8 is not supported", name)
	}
	return name, nil
}

// checkDateStyle accepts PostgreSQL's DateStyle syntax: an output style
// and/or a field order, separated by commas or spaces. Only the ISO output
// style is implemented.
func checkDateStyle(d *gucDef, cur, v string) (string, error) {
	style, order := "ISO", "MDY"
	if parts := strings.SplitN(cur, ", ", 2); len(parts) == 2 {
		style, order = parts[0], parts[1]
	}
	fields := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	if len(fields) == 0 {
		return "", invalidValue(d, v)
	}
	for _, f := range fields {
		switch strings.ToLower(f) {
		case "iso":
			style = "ISO"
		case "sql", "postgres", "german":
			return "", pgerror.Newf(pgerror.FeatureNotSupported, "DateStyle %q is not supported", f).
				WithHint("Only the ISO output style is implemented.")
		case "mdy", "us", "noneuropean", "non-european":
			order = "MDY"
		case "dmy", "european", "euro":
			order = "DMY"
		case "ymd":
			order = "YMD"
		case "default":
			style, order = "ISO", "MDY"
		default:
			return "", invalidValue(d, v)
		}
	}
	return style + ", " + order, nil
}
