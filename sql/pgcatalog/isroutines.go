package pgcatalog

import (
	"strconv"
	"strings"
)

// information_schema.routines and information_schema.parameters over
// pg_proc's rows (procs.go), column by column as PostgreSQL 15's view
// definitions compute them.

// pg_proc column positions in a proc's row.
const (
	procOwner       = 3
	procLang        = 4
	procKind        = 9
	procSecDef      = 10
	procIsStrict    = 12
	procVolatile    = 14
	procRetType     = 18
	procAllArgTypes = 20
	procArgModes    = 21
	procArgNames    = 22
	procSrc         = 25
)

// typeInfo is what the information_schema views read of a built-in type:
// its name and whether it is an array (typelem <> 0 and typlen = -1).
type typeInfo struct {
	name    string
	isArray bool
}

// builtinTypeInfo finds a built-in type in pg_type's rows.
var builtinTypeInfo = func() map[int64]typeInfo {
	m := map[int64]typeInfo{}
	for _, r := range builtinRows["pg_catalog.pg_type"] {
		oid, _ := strconv.ParseInt(r[0], 10, 64)
		m[oid] = typeInfo{name: r[1], isArray: r[13] != "0" && r[4] == "-1"}
	}
	return m
}()

// isDataType is the data_type column of a built-in type: ARRAY for an
// array, format_type's name otherwise.
func isDataType(oid int64, ti typeInfo) string {
	if ti.isArray {
		return "ARRAY"
	}
	return formatType(oid, -1, false)
}

// ownerUsage is pg_has_role(proowner, 'USAGE') for the bootstrap
// superuser that owns the built-in functions: true for a superuser.
func ownerUsage(env *Env) bool {
	if env.Vars == nil {
		return true
	}
	v, ok := env.Vars.Get("is_superuser")
	return !ok || v == "on"
}

func genISRoutines(s *System, env *Env, add func(row) error) error {
	db := s.database(env)
	usage := ownerUsage(env)
	for _, p := range s.procs.list {
		r := p.row
		kind := r[procKind]
		rw := row{"specific_catalog": db, "specific_schema": "pg_catalog", "specific_name": p.name + "_" + itoa(p.oid),
			"routine_catalog": db, "routine_schema": "pg_catalog", "routine_name": p.name,
			"routine_body": "EXTERNAL", "external_language": strings.ToUpper(langName(r[procLang])),
			"parameter_style": "GENERAL", "is_deterministic": yesNo(r[procVolatile] == "i"), "sql_data_access": "MODIFIES",
			"schema_level_routine": "YES", "max_dynamic_result_sets": int64(0), "security_type": "INVOKER",
			"as_locator": "NO", "is_udt_dependent": "NO"}
		switch kind {
		case "f":
			rw["routine_type"] = "FUNCTION"
		case "p":
			rw["routine_type"] = "PROCEDURE"
		}
		if r[procSecDef] == "t" {
			rw["security_type"] = "DEFINER"
		}
		if langName(r[procLang]) == "sql" {
			rw["routine_body"] = "SQL"
		}
		if usage {
			rw["routine_definition"] = r[procSrc]
		}
		if langName(r[procLang]) == "c" {
			rw["external_name"] = r[procSrc]
		}
		if kind != "p" {
			rw["is_null_call"] = yesNo(r[procIsStrict] == "t")
			rw["dtd_identifier"] = "0"
		}
		ret, _ := strconv.ParseInt(r[procRetType], 10, 64)
		if ti, ok := builtinTypeInfo[ret]; ok {
			if kind != "p" {
				rw["data_type"] = isDataType(ret, ti)
			}
			rw["type_udt_catalog"], rw["type_udt_schema"], rw["type_udt_name"] = db, "pg_catalog", ti.name
		}
		if err := add(rw); err != nil {
			return err
		}
	}
	return nil
}

func genISParameters(s *System, env *Env, add func(row) error) error {
	db := s.database(env)
	usage := ownerUsage(env)
	for _, p := range s.procs.list {
		r := p.row
		argTypes := p.argTypes
		if r[procAllArgTypes] != `\N` {
			argTypes = nil
			for _, v := range textArray(r[procAllArgTypes]) {
				n, _ := strconv.ParseInt(v, 10, 64)
				argTypes = append(argTypes, n)
			}
		}
		var modes, names []string
		if r[procArgModes] != `\N` {
			modes = textArray(r[procArgModes])
		}
		if r[procArgNames] != `\N` {
			names = textArray(r[procArgNames])
		}
		// pg_get_function_arguments lists every argument but the TABLE
		// columns, each with its DEFAULT.
		shown := splitArgs(p.args)
		k := 0
		for i, t := range argTypes {
			ti, ok := builtinTypeInfo[t]
			mode := "i"
			if i < len(modes) {
				mode = modes[i]
			}
			var def string
			if mode != "t" && k < len(shown) {
				if _, d, found := strings.Cut(shown[k], " DEFAULT "); found {
					def = d
				}
				k++
			}
			if !ok {
				continue
			}
			rw := row{"specific_catalog": db, "specific_schema": "pg_catalog", "specific_name": p.name + "_" + itoa(p.oid),
				"ordinal_position": int64(i + 1), "parameter_mode": paramMode(mode), "is_result": "NO", "as_locator": "NO",
				"data_type": isDataType(t, ti), "udt_catalog": db, "udt_schema": "pg_catalog", "udt_name": ti.name,
				"dtd_identifier": itoa(int64(i + 1))}
			if i < len(names) && names[i] != "" {
				rw["parameter_name"] = names[i]
			}
			if usage && def != "" {
				rw["parameter_default"] = def
			}
			if err := add(rw); err != nil {
				return err
			}
		}
	}
	return nil
}

func paramMode(m string) string {
	switch m {
	case "o", "t":
		return "OUT"
	case "b":
		return "INOUT"
	}
	return "IN"
}

// langName is the name of a built-in language (pg_language).
func langName(oid string) string {
	switch oid {
	case "12":
		return "internal"
	case "13":
		return "c"
	case "14":
		return "sql"
	}
	return oid
}

// textArray splits a one-dimensional array's text form into its elements
// (double quotes removed).
func textArray(s string) []string {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if s == "" {
		return nil
	}
	var out []string
	var cur strings.Builder
	inQ := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == '"':
			inQ = !inQ
		case c == ',' && !inQ:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, cur.String())
}

func init() {
	generators["information_schema.routines"] = genISRoutines
	generators["information_schema.parameters"] = genISParameters
}
