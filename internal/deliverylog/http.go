package deliverylog

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// TreeReader reads the causal tree of a correlation id; *Log implements it.
type TreeReader interface {
	Tree(ctx context.Context, correlationID string) (*Tree, error)
}

// Handler serves the tree of a correlation id as JSON at GET /trace/{correlation_id}:
// 200 with the Tree, 404 when the log has none of it, 500 when the log cannot be read
// (the error is logged, not sent). Mount it on a service's mux with
//
//	mux.Handle("/trace/", deliverylog.Handler(dl, logger))
func Handler(r TreeReader, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /trace/{correlation_id}", func(w http.ResponseWriter, req *http.Request) {
		id := req.PathValue("correlation_id")
		t, err := r.Tree(req.Context(), id)
		switch {
		case errors.Is(err, ErrNotFound):
			writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			return
		case err != nil:
			logger.ErrorContext(req.Context(), "trace: read delivery log", "correlation_id", id, "error", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "cannot read the delivery log"})
			return
		}
		writeJSON(w, http.StatusOK, t)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the status is sent; a failed write means the client went away
}
