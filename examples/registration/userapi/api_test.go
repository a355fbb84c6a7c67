package userapi_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/millrace/millrace/examples/registration/account"
	"github.com/millrace/millrace/examples/registration/userapi"
	"github.com/millrace/millrace/internal/correlation"
	"github.com/millrace/millrace/internal/outbox"
	"github.com/millrace/millrace/internal/sqldb"
)

func mustAPI(t *testing.T) (*account.Service, http.Handler, *outbox.Outbox) {
	t.Helper()
	ctx := context.Background()
	store, err := account.Open(ctx, sqldb.SQLite, filepath.Join(t.TempDir(), "users.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	ob, err := outbox.New(ctx, store.DB(), outbox.Config{Dialect: sqldb.SQLite, Source: "users"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := account.NewService(store, ob, account.Config{Argon2: account.Argon2Params{Time: 1, Memory: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return svc, userapi.New(svc, nil).Handler(), ob
}

func count(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRegisterRejectsBadInput(t *testing.T) {
	svc, h, ob := mustAPI(t)
	// One stored user makes the duplicate case possible.
	if _, err := svc.Register(context.Background(), account.Registration{Email: "taken@example.com", Name: "T", Password: "0123456789"}); err != nil {
		t.Fatal(err)
	}
	db := svc.Store().DB()
	outboxTable := `"watermill_` + ob.Topic() + `"`
	valid := `{"email":"ok@example.com","name":"Ok","password":"0123456789"}`
	cases := []struct {
		name   string
		method string
		body   string
		status int
		fields []string // fields the problem must name, in order
	}{
		{"malformed json", "POST", `{"email":`, 400, []string{"body"}},
		{"not an object", "POST", `["a"]`, 400, []string{"body"}},
		{"null body", "POST", `null`, 400, []string{"body"}},
		{"empty body", "POST", ``, 400, []string{"body"}},
		{"trailing data", "POST", valid + `{}`, 400, []string{"body"}},
		{"missing fields", "POST", `{}`, 400, []string{"email", "name", "password"}},
		{"bad email", "POST", `{"email":"not-an-email","name":"A","password":"0123456789"}`, 400, []string{"email"}},
		{"email with display name", "POST", `{"email":"A <a@example.com>","name":"A","password":"0123456789"}`, 400, []string{"email"}},
		{"blank name", "POST", `{"email":"a@example.com","name":"  ","password":"0123456789"}`, 400, []string{"name"}},
		{"long name", "POST", `{"email":"a@example.com","name":"` + strings.Repeat("n", 101) + `","password":"0123456789"}`, 400, []string{"name"}},
		{"short password", "POST", `{"email":"a@example.com","name":"A","password":"012345678"}`, 400, []string{"password"}},
		{"password of ten spaces", "POST", `{"email":"a@example.com","name":"A","password":"          "}`, 400, []string{"password"}},
		{"short password padded with spaces", "POST", `{"email":"a@example.com","name":"A","password":"  abcdefgh  "}`, 400, []string{"password"}},
		{"wrong types", "POST", `{"email":1,"name":true,"password":null}`, 400, []string{"email", "name", "password"}},
		{"unknown field", "POST", `{"email":"a@example.com","name":"A","password":"0123456789","admin":true}`, 400, []string{"admin"}},
		{"every field bad", "POST", `{"email":"x","name":"","password":"short"}`, 400, []string{"email", "name", "password"}},
		{"too large", "POST", `{"email":"a@example.com","name":"A","password":"` + strings.Repeat("p", 64<<10) + `"}`, 413, nil},
		{"duplicate email", "POST", `{"email":"TAKEN@example.com","name":"Other","password":"0123456789"}`, 409, nil},
		{"wrong method", "PUT", valid, 405, nil},
		{"delete", "DELETE", ``, 405, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, "/users", strings.NewReader(c.body))
			req.Header.Set(correlation.Header, "cid-"+strings.ReplaceAll(c.name, " ", "-"))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, c.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != userapi.ProblemContentType {
				t.Errorf("content type %q, want %s", ct, userapi.ProblemContentType)
			}
			var p userapi.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("problem body %q: %v", rec.Body, err)
			}
			if p.Status != c.status || p.Title == "" {
				t.Errorf("problem %+v", p)
			}
			var fields []string
			for _, f := range p.Errors {
				fields = append(fields, f.Field)
				if f.Reason == "" {
					t.Errorf("field %s without a reason", f.Field)
				}
			}
			if !slices.Equal(fields, c.fields) {
				t.Errorf("problem names fields %v, want %v", fields, c.fields)
			}
			if c.status == 405 && rec.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow %q, want POST", rec.Header().Get("Allow"))
			}
			if n := count(t, db, "users"); n != 1 {
				t.Errorf("%d users stored, want only the first", n)
			}
			if n := count(t, db, outboxTable); n != 1 {
				t.Errorf("%d outbox rows, want only the first user's", n)
			}
		})
	}
}

func TestEndpoints(t *testing.T) {
	svc, h, _ := mustAPI(t)
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/users", strings.NewReader(`{"email":"a@example.com","name":"A","password":"0123456789"}`)))
	if rec.Code != 201 || !strings.HasPrefix(rec.Header().Get("Location"), "/users/") {
		t.Fatalf("register: %d %v", rec.Code, rec.Header())
	}
	if strings.Contains(rec.Body.String(), "argon2") || strings.Contains(rec.Body.String(), "password") {
		t.Errorf("response leaks the password hash: %s", rec.Body)
	}
	if r := get(rec.Header().Get("Location")); r.Code != 200 || !strings.Contains(r.Body.String(), `"status":"pending"`) {
		t.Errorf("GET user: %d %s", r.Code, r.Body)
	}
	if r := get("/users/nobody"); r.Code != 404 {
		t.Errorf("GET unknown user: %d", r.Code)
	}
	if r := get("/users/verify?token=nope"); r.Code != 400 || !strings.Contains(r.Body.String(), "<html") {
		t.Errorf("unknown token: %d %s", r.Code, r.Body)
	}
	if r := get("/users/verify"); r.Code != 400 {
		t.Errorf("missing token: %d", r.Code)
	}
	if r := get("/stats"); r.Code != 200 || !strings.Contains(r.Body.String(), `"total_users":0`) {
		t.Errorf("stats: %d %s", r.Code, r.Body)
	}
	if r := get("/healthz"); r.Code != 200 {
		t.Errorf("healthz: %d", r.Code)
	}
	_ = svc.Store().Close()
	if r := get("/healthz"); r.Code != 503 {
		t.Errorf("healthz with the database closed: %d, want 503", r.Code)
	}
}
