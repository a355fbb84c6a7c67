package deliverylog

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/millrace/millrace/internal/correlation"
)

// Request is an HTTP request of a flow: a root of its tree, with the messages it
// published.
type Request struct {
	// ID is the request's id in the log, the causation id of the messages it published.
	ID     string `json:"id,omitempty"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
	// Service is the service that served it.
	Service string    `json:"service,omitempty"`
	Time    time.Time `json:"time"`
	// Messages are the messages published while serving it, in time order.
	Messages []*Message `json:"messages,omitempty"`
}

// HTTPMiddleware records each request next serves under its correlation id, so a
// flow's tree starts at the requests that caused it. Each request gets a new id, which
// next's context carries as the causation id (correlation.Causation), so the messages
// it publishes hang under it. The correlation id is the one the correlation middleware
// put on the response (X-Correlation-ID), wherever it sits in the chain. The service's
// own endpoints (/metrics, /healthz, /readyz, /trace/) are not recorded.
func (l *Log) HTTPMiddleware(service string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if operational(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		at := l.cfg.Now().UnixNano()
		reqID := watermill.NewUUID()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(correlation.WithCausation(r.Context(), reqID)))
		id := w.Header().Get(correlation.Header)
		if id == "" {
			id = correlation.ID(r.Context())
		}
		if id == "" {
			return
		}
		l.add(row{
			kind: kindRequest, messageID: reqID, correlationID: id, eventType: r.Method, topic: r.URL.Path,
			outcome: strconv.Itoa(sw.status), handler: service, atNanos: at,
		})
	})
}

// operational reports whether path is one of the endpoints every service serves for
// its operators.
func operational(path string) bool {
	switch path {
	case "/metrics", "/healthz", "/readyz":
		return true
	}
	return strings.HasPrefix(path, "/trace/")
}

// statusWriter remembers the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the wrapped writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
