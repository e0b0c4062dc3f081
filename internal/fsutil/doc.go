// Package fsutil holds the small file-system helpers that durability code
// needs: fsync of files and directories, atomic file replacement,
// preallocation and the data-directory lock file.
package fsutil
