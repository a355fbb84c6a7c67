package registration_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// BenchmarkRegistration measures registrations per second end to end, from POST /users
// to the verification email accepted by the SMTP server, with 8 concurrent clients, on
// the local profile and on PostgreSQL -> RabbitMQ and -> Redis. Password hashing uses
// the tests' cheap argon2 parameters, so the figure is the pipeline's, not argon2's.
func BenchmarkRegistration(b *testing.B) {
	for _, p := range []profile{profiles[0], profiles[1], profiles[2]} {
		b.Run(p.name, func(b *testing.B) {
			st := startStack(b, p, options{concurrency: 4})
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			next := make(chan int)
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						resp, _ := st.register(fmt.Sprintf("u%d@example.com", i), "U", "0123456789", "")
						if resp.StatusCode != http.StatusCreated {
							b.Errorf("register %d: %d", i, resp.StatusCode)
						}
					}
				}()
			}
			for i := 0; i < b.N; i++ {
				next <- i
			}
			close(next)
			wg.Wait()
			deadline := time.Now().Add(120 * time.Second)
			for st.smtp.count() < b.N {
				if time.Now().After(deadline) {
					b.Fatalf("%d of %d emails", st.smtp.count(), b.N)
				}
				time.Sleep(5 * time.Millisecond)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "registrations/s")
		})
	}
}
