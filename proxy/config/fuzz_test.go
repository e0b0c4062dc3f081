package config_test

import (
	"testing"

	"github.com/heliosdb/nano/proxy/config"
)

// FuzzParse reads arbitrary bytes as the proxy's TOML configuration:
// Parse and Validate must answer without panicking or hanging.
func FuzzParse(f *testing.F) {
	f.Add([]byte(tutorial))
	f.Add([]byte("[proxy]\nlisten_addr = \"127.0.0.1:6432\"\nwrite_timeout_secs = 1.5\n[[users]]\nname = \"u\"\npassword = \"p\"\n"))
	f.Add([]byte("[proxy]\nhealth_check_interval_secs = -1\n[[nodes]]\nport = 99999\n"))
	f.Add([]byte("a = [[[[[[[[[[1]]]]]]]]]]\nb = {x = {y = {z = 1}}}\n"))
	f.Add([]byte("[[nodes]]\nname = \"a\"\n[nodes.x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := config.Parse(data)
		if err != nil {
			return
		}
		_ = c.Validate()
		_ = c.Credentials()
		_ = c.Consistency()
	})
}
