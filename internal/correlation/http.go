package correlation

import "net/http"

// Header is the HTTP header a correlation id is read from and echoed on.
const Header = "X-Correlation-ID"

// Middleware puts a correlation id into the context of every request that passes
// through it: the X-Correlation-ID header when it is Valid, a new id otherwise. The id is
// echoed on the response header before next runs, so it is present even on errors.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(Header)
		if !Valid(id) {
			id = New()
		}
		w.Header().Set(Header, id)
		next.ServeHTTP(w, r.WithContext(WithID(r.Context(), id)))
	})
}
