package session

import (
	"strconv"
	"strings"

	"github.com/heliosdb/nano/sql/pgcatalog"
)

// settingMeta is what pg_settings says of a parameter besides its value,
// copied from PostgreSQL 15's pg_settings (unit, category, context,
// vartype).
type settingMeta struct{ unit, category, context, vartype string }

var pgSettingsMeta = map[string]settingMeta{
	"application_name":                    {"", "Reporting and Logging / What to Log", "user", "string"},
	"array_nulls":                         {"", "Version and Platform Compatibility / Previous PostgreSQL Versions", "user", "bool"},
	"backslash_quote":                     {"", "Version and Platform Compatibility / Previous PostgreSQL Versions", "user", "enum"},
	"block_size":                          {"", "Preset Options", "internal", "integer"},
	"bytea_output":                        {"", "Client Connection Defaults / Statement Behavior", "user", "enum"},
	"client_connection_check_interval":    {"ms", "Connections and Authentication / Connection Settings", "user", "integer"},
	"client_encoding":                     {"", "Client Connection Defaults / Locale and Formatting", "user", "string"},
	"client_min_messages":                 {"", "Client Connection Defaults / Statement Behavior", "user", "enum"},
	"datestyle":                           {"", "Client Connection Defaults / Locale and Formatting", "user", "string"},
	"deadlock_timeout":                    {"ms", "Lock Management", "superuser", "integer"},
	"default_transaction_deferrable":      {"", "Client Connection Defaults / Statement Behavior", "user", "bool"},
	"default_transaction_isolation":       {"", "Client Connection Defaults / Statement Behavior", "user", "enum"},
	"default_transaction_read_only":       {"", "Client Connection Defaults / Statement Behavior", "user", "bool"},
	"escape_string_warning":               {"", "Version and Platform Compatibility / Previous PostgreSQL Versions", "user", "bool"},
	"extra_float_digits":                  {"", "Client Connection Defaults / Locale and Formatting", "user", "integer"},
	"idle_in_transaction_session_timeout": {"ms", "Client Connection Defaults / Statement Behavior", "user", "integer"},
	"idle_session_timeout":                {"ms", "Client Connection Defaults / Statement Behavior", "user", "integer"},
	"in_hot_standby":                      {"", "Preset Options", "internal", "bool"},
	"integer_datetimes":                   {"", "Preset Options", "internal", "bool"},
	"intervalstyle":                       {"", "Client Connection Defaults / Locale and Formatting", "user", "enum"},
	"jit":                                 {"", "Query Tuning / Other Planner Options", "user", "bool"},
	"lc_messages":                         {"", "Client Connection Defaults / Locale and Formatting", "superuser", "string"},
	"lc_monetary":                         {"", "Client Connection Defaults / Locale and Formatting", "user", "string"},
	"lc_numeric":                          {"", "Client Connection Defaults / Locale and Formatting", "user", "string"},
	"lc_time":                             {"", "Client Connection Defaults / Locale and Formatting", "user", "string"},
	"lock_timeout":                        {"ms", "Client Connection Defaults / Statement Behavior", "user", "integer"},
	"max_connections":                     {"", "Connections and Authentication / Connection Settings", "postmaster", "integer"},
	"max_identifier_length":               {"", "Preset Options", "internal", "integer"},
	"max_index_keys":                      {"", "Preset Options", "internal", "integer"},
	"row_security":                        {"", "Client Connection Defaults / Statement Behavior", "user", "bool"},
	"search_path":                         {"", "Client Connection Defaults / Statement Behavior", "user", "string"},
	"server_encoding":                     {"", "Preset Options", "internal", "string"},
	"server_version":                      {"", "Preset Options", "internal", "string"},
	"server_version_num":                  {"", "Preset Options", "internal", "integer"},
	"standard_conforming_strings":         {"", "Version and Platform Compatibility / Previous PostgreSQL Versions", "user", "bool"},
	"statement_timeout":                   {"ms", "Client Connection Defaults / Statement Behavior", "user", "integer"},
	"superuser_reserved_connections":      {"", "Connections and Authentication / Connection Settings", "postmaster", "integer"},
	"synchronous_commit":                  {"", "Write-Ahead Log / Settings", "user", "enum"},
	"timezone":                            {"", "Client Connection Defaults / Locale and Formatting", "user", "string"},
	"timezone_abbreviations":              {"", "Client Connection Defaults / Locale and Formatting", "user", "string"},
	"transaction_deferrable":              {"", "Client Connection Defaults / Statement Behavior", "user", "bool"},
	"transaction_isolation":               {"", "Client Connection Defaults / Statement Behavior", "user", "enum"},
	"transaction_read_only":               {"", "Client Connection Defaults / Statement Behavior", "user", "bool"},
	"work_mem":                            {"kB", "Resource Usage / Memory", "user", "integer"},
}

// Settings lists the parameters for pg_settings, sorted as SHOW ALL, with
// values in the base unit as pg_settings gives them (statement_timeout
// "0" ms, work_mem "4096" kB).
func (v sessionVars) Settings() []pgcatalog.Setting {
	g := v.s.vars
	var out []pgcatalog.Setting
	for _, name := range g.names() {
		key := strings.ToLower(name)
		m, ok := pgSettingsMeta[key]
		if !ok {
			continue // ours (helios.*): not in PostgreSQL's view
		}
		val, _ := g.get(key)
		switch m.unit {
		case "ms":
			if n, ok := parseUnits(val, timeUnits); ok {
				val = strconv.FormatInt(n, 10)
			}
		case "kB":
			if n, ok := parseUnits(val, memUnits); ok {
				val = strconv.FormatInt(n, 10)
			}
		}
		source := "default"
		if cur, _ := g.get(key); cur != g.reset[key] {
			source = "session"
		} else if _, fixed := v.s.cfg.Settings[key]; fixed {
			source = "command line"
		}
		out = append(out, pgcatalog.Setting{Name: name, Value: val, Unit: m.unit, Category: m.category,
			Description: g.defs[key].desc, Context: m.context, Type: m.vartype, Source: source})
	}
	return out
}
