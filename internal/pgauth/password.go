package pgauth

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
)

// MD5Hash returns PostgreSQL's stored md5 form of a password:
// "md5" + hex(md5(password + user)).
func MD5Hash(user, password string) string {
	sum := md5.Sum([]byte(password + user))
	return "md5" + hex.EncodeToString(sum[:])
}

// MD5Response returns what a client sends in reply to
// AuthenticationMD5Password with salt: "md5" + hex(md5(hex(md5(password +
// user)) + salt)).
func MD5Response(user, password string, salt [4]byte) string {
	return md5Salted(MD5Hash(user, password)[3:], salt)
}

// md5Salted is "md5" + hex(md5(inner + salt)), inner being the stored hash
// without its "md5" prefix.
func md5Salted(inner string, salt [4]byte) string {
	sum := md5.Sum(append([]byte(inner), salt[:]...))
	return "md5" + hex.EncodeToString(sum[:])
}

// VerifyMD5 reports whether response is the correct md5 answer for user,
// password and salt. The comparison takes constant time.
func VerifyMD5(user, password string, salt [4]byte, response string) bool {
	return equal(MD5Response(user, password, salt), response)
}

// VerifyCleartext reports whether response equals password, in constant
// time.
func VerifyCleartext(password, response string) bool {
	return equal(password, response)
}

func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
