package room

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestWriteTimeoutCutsOff checks that a client that never reads is cut off once a write
// has waited writeTimeout: the writer returns and the client is closed as "write
// failed", while a reading client receives every frame through the same writer.
func TestWriteTimeoutCutsOff(t *testing.T) {
	// The write timeout is long enough for a 1 MiB write to a reading peer on a loaded
	// machine; the reading peer is sent frames for longer than it, so a timer that
	// outlived a write would cut it off.
	const writeTimeout = 2 * time.Second
	const frames, gap = 6, 400 * time.Millisecond
	for _, reads := range []bool{true, false} {
		name := map[bool]string{true: "reading", false: "not-reading"}[reads]
		t.Run(name, func(t *testing.T) {
			c := newClient("c", "r", "n", 4)
			written := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, err := websocket.Accept(w, r, nil)
				if err != nil {
					t.Errorf("accept: %v", err)
					return
				}
				defer close(written)
				c.write(conn, writeTimeout)
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			peer, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer peer.CloseNow()
			peer.SetReadLimit(2 << 20)
			frame := make([]byte, 1<<20)
			if reads {
				for i := range frames {
					if i > 0 {
						time.Sleep(gap)
					}
					c.enqueue(frame)
					if _, data, err := peer.Read(ctx); err != nil || len(data) != len(frame) {
						t.Fatalf("read: %d bytes, %v", len(data), err)
					}
				}
				c.close(websocket.StatusNormalClosure, "")
				_, _, err := peer.Read(ctx)
				if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
					t.Fatalf("peer read after close: %v, want a normal closure", err)
				}
				<-written
				return
			}
			// Fill the socket buffers until a write blocks and is cut off.
			for {
				select {
				case <-written:
					if c.reason != "write failed" || c.code != websocket.StatusGoingAway {
						t.Fatalf("closed with %v %q, want %v %q", c.code, c.reason, websocket.StatusGoingAway, "write failed")
					}
					return
				case c.send <- frame:
				case <-ctx.Done():
					t.Fatal("writer still writing to a client that does not read")
				}
			}
		})
	}
}

// BenchmarkClientWrite measures the writer of one connection: frames of a typical
// message size queued and written to a peer that reads them (the peer's reads count too).
func BenchmarkClientWrite(b *testing.B) {
	c := newClient("c", "r", "n", 1024)
	written := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			b.Errorf("accept: %v", err)
			return
		}
		defer close(written)
		c.write(conn, DefaultWriteTimeout)
	}))
	defer srv.Close()
	ctx := context.Background()
	peer, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer peer.CloseNow()
	frame := []byte(`{"type":"message","room":"room-1","name":"member-17","text":"load 0123abcd 1 17 42 123456789012","sent_at":"2026-11-24T14:00:00.123456789Z","message_id":"0f8fad5b-d9cb-469f-a165-70867728950e"}`)
	read := make(chan error, 1)
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		for range b.N {
			if _, _, err := peer.Read(ctx); err != nil {
				read <- err
				return
			}
		}
		read <- nil
	}()
	for range b.N {
		c.send <- frame
	}
	if err := <-read; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	c.close(websocket.StatusNormalClosure, "")
	go func() { _, _, _ = peer.Read(ctx) }()
	<-written
}
