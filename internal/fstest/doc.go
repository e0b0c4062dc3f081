// Package fstest gives tests a real, small, full-able file system: a tmpfs
// of a given size mounted on a temporary directory (root only; other users
// get a t.Skip saying so), and ballast files that fill it up to ENOSPC.
package fstest
