package command

import "strings"

// shellQuote makes value a single word for a POSIX shell. Everything between
// single quotes is literal, so the only character needing care is the single
// quote itself: close the quoted run, emit an escaped quote, reopen.
// Every string this provider splices into a remote shell line goes through here.
func shellQuote(value string) string {
	return "'" + strings.ReplaceAll(value, "'", `'\''`) + "'"
}
