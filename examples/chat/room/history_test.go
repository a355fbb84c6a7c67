package room

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"

	"github.com/millrace/millrace/internal/testenv"
)

// TestHistories runs the same checks on every History: the last n messages of a room,
// oldest first, with the sender's connection id, rooms kept apart, and the limit.
func TestHistories(t *testing.T) {
	const limit = 5
	for _, tc := range []struct {
		name string
		open func(t *testing.T) History
	}{
		{"memory", func(*testing.T) History { return NewMemoryHistory(limit) }},
		{"redis", func(t *testing.T) History {
			client := redis.NewClient(&redis.Options{Addr: testenv.Redis(t)})
			t.Cleanup(func() { _ = client.Close() })
			prefix := fmt.Sprintf("test-history-%d:", time.Now().UnixNano())
			t.Cleanup(func() {
				_ = client.Del(context.Background(), prefix+"lobby", prefix+"other").Err()
			})
			return NewRedisHistory(client, prefix, limit)
		}},
		{"postgres", func(t *testing.T) History {
			db, err := sql.Open("pgx", testenv.PostgresSchema(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			h, err := NewPostgresHistory(context.Background(), db, "")
			if err != nil {
				t.Fatal(err)
			}
			return h
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.open(t)
			ctx := context.Background()
			at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
			for i := range limit + 2 {
				msg := &MessageSent{Room: "lobby", Name: "ada", Text: fmt.Sprint("m", i), SentAt: at.Add(time.Duration(i) * time.Second),
					MessageID: fmt.Sprint("id-", i), ConnectionID: fmt.Sprint("conn-", i%2)}
				if err := h.Append(ctx, msg); err != nil {
					t.Fatal(err)
				}
			}
			if err := h.Append(ctx, &MessageSent{Room: "other", Name: "bob", Text: "elsewhere", SentAt: at, MessageID: "id-x"}); err != nil {
				t.Fatal(err)
			}
			got, err := h.Recent(ctx, "lobby", 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 {
				t.Fatalf("Recent(3) gave %d messages: %+v", len(got), got)
			}
			for j, m := range got {
				i := limit - 1 + j // the last three of m0..m6
				want := MessageSent{Room: "lobby", Name: "ada", Text: fmt.Sprint("m", i), SentAt: at.Add(time.Duration(i) * time.Second),
					MessageID: fmt.Sprint("id-", i), ConnectionID: fmt.Sprint("conn-", i%2)}
				if m != want {
					t.Errorf("message %d = %+v, want %+v", j, m, want)
				}
			}
			other, err := h.Recent(ctx, "other", 10)
			if err != nil || len(other) != 1 || other[0].Text != "elsewhere" {
				t.Errorf("room other: %+v, %v", other, err)
			}
		})
	}
}
