package rowenc

// PrefixEnd returns the smallest key greater than every key that starts
// with prefix (an exclusive upper bound for a prefix scan), or nil when
// there is none (prefix empty or all 0xFF). The result is a new slice.
func PrefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
