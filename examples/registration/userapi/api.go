package userapi

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/internal/correlation"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type   string               `json:"type"`
	Title  string               `json:"title"`
	Status int                  `json:"status"`
	Detail string               `json:"detail,omitempty"`
	Errors []account.FieldError `json:"errors,omitempty"`
}

// ProblemContentType is the media type of problem documents.
const ProblemContentType = "application/problem+json"

// API serves the users HTTP endpoints.
type API struct {
	svc    *account.Service
	logger *slog.Logger
	mux    *http.ServeMux
}

// New returns the API of svc.
func New(svc *account.Service, logger *slog.Logger) *API {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &API{svc: svc, logger: logger, mux: http.NewServeMux()}
	a.mux.HandleFunc("/users", a.only(http.MethodPost, a.register))
	a.mux.HandleFunc("/users/verify", a.only(http.MethodGet, a.verify))
	a.mux.HandleFunc("/users/{id}", a.only(http.MethodGet, a.user))
	a.mux.HandleFunc("/stats", a.only(http.MethodGet, a.stats))
	a.mux.HandleFunc("/healthz", a.only(http.MethodGet, a.health))
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		a.problem(w, r, Problem{Status: http.StatusNotFound, Title: "Not Found", Detail: "no such resource"})
	})
	return a
}

// Handler returns the API wrapped in the correlation middleware.
func (a *API) Handler() http.Handler { return correlation.Middleware(a.mux) }

// only answers 405 with an Allow header to methods other than method (HEAD counts as GET).
func (a *API) only(method string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", method)
			a.problem(w, r, Problem{Status: http.StatusMethodNotAllowed, Title: "Method Not Allowed",
				Detail: r.Method + " is not allowed here; use " + method})
			return
		}
		h(w, r)
	}
}

func (a *API) register(w http.ResponseWriter, r *http.Request) {
	reg, err := DecodeRegistration(http.MaxBytesReader(w, r.Body, MaxBodyBytes+1))
	if err == nil {
		var u account.User
		if u, err = a.svc.Register(r.Context(), reg); err == nil {
			w.Header().Set("Location", "/users/"+u.ID)
			a.json(w, http.StatusCreated, u)
			a.logger.InfoContext(r.Context(), "user registered", "user_id", u.ID)
			return
		}
	}
	var (
		verr *account.ValidationError
		mbe  *http.MaxBytesError
	)
	switch {
	case errors.Is(err, errTooLarge), errors.As(err, &mbe):
		a.problem(w, r, Problem{Status: http.StatusRequestEntityTooLarge, Title: "Request Entity Too Large",
			Detail: "the body must be at most 64 KiB"})
	case errors.As(err, &verr):
		a.problem(w, r, Problem{Status: http.StatusBadRequest, Title: "Invalid registration",
			Detail: "one or more fields are invalid", Errors: verr.Fields})
	case errors.Is(err, account.ErrDuplicateEmail):
		a.problem(w, r, Problem{Status: http.StatusConflict, Title: "Email already registered",
			Detail: "an account with this email address exists"})
	default:
		a.internal(w, r, err)
	}
}

var verifyPage = template.Must(template.New("verify").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>
`))

func (a *API) verify(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	page := func(status int, title, msg string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		if err := verifyPage.Execute(w, struct{ Title, Message string }{title, msg}); err != nil {
			a.logger.ErrorContext(r.Context(), "write verify page", "err", err)
		}
	}
	if token == "" {
		page(http.StatusBadRequest, "Missing token", "The link has no verification token. Open the link from the email.")
		return
	}
	u, cid, err := a.svc.Verify(r.Context(), token)
	switch {
	case err == nil:
		// The verification continues the sign-up's flow: answer and log with its id.
		w.Header().Set(correlation.Header, cid)
		a.logger.InfoContext(correlation.WithID(r.Context(), cid), "user verified", "user_id", u.ID)
		page(http.StatusOK, "Email address confirmed", "Thank you, "+u.Name+". Your account is active.")
	case errors.Is(err, account.ErrTokenUnknown):
		page(http.StatusBadRequest, "Unknown link", "This verification link is not valid. Check that you copied it whole.")
	case errors.Is(err, account.ErrTokenUsed):
		page(http.StatusGone, "Link already used", "This verification link has been used already.")
	case errors.Is(err, account.ErrTokenExpired):
		page(http.StatusGone, "Link expired", "This verification link has expired.")
	case account.Unavailable(err):
		a.retryLater(w, r, err)
		page(http.StatusServiceUnavailable, "Try again shortly", "The service cannot reach its database right now. Open the link again in a moment.")
	default:
		a.logger.ErrorContext(r.Context(), "verify", "err", err)
		page(http.StatusInternalServerError, "Something went wrong", "Please try again later.")
	}
}

func (a *API) user(w http.ResponseWriter, r *http.Request) {
	u, err := a.svc.User(r.Context(), r.PathValue("id"))
	switch {
	case err == nil:
		a.json(w, http.StatusOK, u)
	case errors.Is(err, account.ErrNotFound):
		a.problem(w, r, Problem{Status: http.StatusNotFound, Title: "Not Found", Detail: "no user with this id"})
	default:
		a.internal(w, r, err)
	}
}

func (a *API) stats(w http.ResponseWriter, r *http.Request) {
	st, err := a.svc.Stats(r.Context())
	if err != nil {
		a.internal(w, r, err)
		return
	}
	a.json(w, http.StatusOK, st)
}

func (a *API) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.svc.Store().Ping(ctx); err != nil {
		a.problem(w, r, Problem{Status: http.StatusServiceUnavailable, Title: "Service Unavailable", Detail: "database unreachable"})
		return
	}
	a.json(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *API) json(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		a.logger.Error("write response", "err", err)
	}
}

func (a *API) problem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	w.Header().Set("Content-Type", ProblemContentType)
	w.WriteHeader(p.Status)
	if err := json.NewEncoder(w).Encode(p); err != nil {
		a.logger.ErrorContext(r.Context(), "write problem", "err", err)
	}
}

// RetryAfter is the Retry-After the API answers with while its database is unreachable.
const RetryAfter = 2 * time.Second

// internal answers a request that failed for a reason outside it: 503 with Retry-After
// while the database is unreachable (users.Unavailable), 500 otherwise.
func (a *API) internal(w http.ResponseWriter, r *http.Request, err error) {
	if account.Unavailable(err) {
		a.retryLater(w, r, err)
		a.problem(w, r, Problem{Status: http.StatusServiceUnavailable, Title: "Service Unavailable",
			Detail: "the database is unreachable; try again shortly"})
		return
	}
	a.logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	a.problem(w, r, Problem{Status: http.StatusInternalServerError, Title: "Internal Server Error"})
}

// retryLater logs that the database is unavailable and sets Retry-After on w.
func (a *API) retryLater(w http.ResponseWriter, r *http.Request, err error) {
	a.logger.WarnContext(r.Context(), "database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
	w.Header().Set("Retry-After", strconv.Itoa(int(RetryAfter/time.Second)))
}
