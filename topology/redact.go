package topology

import (
	"regexp"
	"strings"
)

// mask replaces a hidden value.
const mask = "****"

var (
	// urlScheme matches the start of a URL: "amqp://", "postgres://", "redis://".
	urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)
	// mysqlDSN matches go-sql-driver/mysql DSNs:
	// [user[:password]@][protocol(address)]/dbname[?params]. Either the "@" or the
	// "protocol(address)" must be present so a bare "a/b" is not taken for a DSN.
	mysqlDSN = regexp.MustCompile(`^(?:(?:[^:@/]*)(?::(.*))?@(?:[A-Za-z0-9]+\([^)]*\))?|[A-Za-z0-9]+\([^)]*\))/[^?]*(?:\?.*)?$`)
	// keywordDSN matches libpq keyword/value connection strings such as
	// "host=db user=app password=secret dbname=app".
	keywordDSN = regexp.MustCompile(`^\s*(?:[a-z_]+\s*=\s*(?:'(?:[^'\\]|\\.)*'|\S*)\s*)+$`)
	// libpqKey matches the keywords that make a string a libpq connection string.
	libpqKey = regexp.MustCompile(`(?:^|\s)(?:host|hostaddr|port|dbname|user)\s*=`)
	// passwordParam matches a password given as a keyword or a query parameter.
	passwordParam = regexp.MustCompile(`(?i)(^|[\s?&;])(password|passwd|pwd|pass|sslpassword|secret|token)(\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&;]*)`)
)

// redact masks credentials so a value can be printed. URLs ("amqp://guest:****@host/"),
// MySQL DSNs ("user:****@tcp(host)/db") and libpq keyword/value strings
// ("password=****") keep everything but the password, so values without credentials stay
// readable. Any other non-empty value is treated as a bare password and masked whole.
func redact(s string) string {
	switch {
	case s == "":
		return ""
	case urlScheme.MatchString(s):
		return redactURL(s)
	case mysqlDSN.MatchString(s):
		return redactMySQL(s)
	case keywordDSN.MatchString(s) && libpqKey.MatchString(s):
		return maskParams(s)
	default:
		return mask
	}
}

// redactURL masks the password of a URL's userinfo and password query parameters.
func redactURL(s string) string {
	scheme := urlScheme.FindString(s)
	rest := s[len(scheme):]
	authEnd := strings.IndexAny(rest, "/?#")
	if authEnd < 0 {
		authEnd = len(rest)
	}
	authority, tail := rest[:authEnd], rest[authEnd:]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		user, _, hasPass := strings.Cut(authority[:at], ":")
		if hasPass {
			authority = user + ":" + mask + authority[at:]
		}
	}
	return scheme + authority + maskParams(tail)
}

// redactMySQL masks the password of a go-sql-driver/mysql DSN.
func redactMySQL(s string) string {
	m := mysqlDSN.FindStringSubmatchIndex(s)
	out := s
	if m != nil && m[2] >= 0 && m[3] > m[2] {
		out = s[:m[2]] + mask + s[m[3]:]
	}
	if q := strings.IndexByte(out, '?'); q >= 0 {
		out = out[:q] + maskParams(out[q:])
	}
	return out
}

// maskParams masks the values of password-like key=value pairs.
func maskParams(s string) string {
	return passwordParam.ReplaceAllString(s, "${1}${2}${3}"+mask)
}
