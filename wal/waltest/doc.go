// Package waltest holds test helpers for code that uses package wal: open a
// log in a temporary directory, append and sync, read everything back.
// Helpers fail the test through t on any error.
package waltest
