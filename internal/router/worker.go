package router

import (
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Watermill's router handles every message on a goroutine of its own, which starts with
// a small stack. The middleware chain with JSON decoding at its bottom is deep enough
// that each of those goroutines grows its stack, two or three times, by copying it:
// measured on the in-memory transport, a third of the CPU time of handling a message.
//
// onWorker moves the handling of each message to a goroutine that lives as long as the
// router, one per Watermill handler, whose stack has grown once and stays grown. The
// goroutine Watermill started only waits. When the worker is busy (a subscriber that
// delivers the next message before the previous one is acked), the message is handled
// where it arrived, as without the worker. A panic outside the chain's recoverer is
// raised again on the goroutine Watermill started, where its router recovers it.

// job is one message handed to a worker and its outcome.
type job struct {
	msg      *message.Message
	produced []*message.Message
	err      error
	panicked *workerPanic
	done     chan struct{}
}

var jobs = sync.Pool{New: func() any { return &job{done: make(chan struct{}, 1)} }}

// workerPanic is a panic raised on a worker, raised again on the handler's goroutine.
type workerPanic struct {
	value any
	stack []byte
}

func (p *workerPanic) Error() string {
	return fmt.Sprintf("%v\n\nworker stack:\n%s", p.value, p.stack)
}

// onWorker returns the middleware that runs the rest of the chain on a worker goroutine
// started with it; the worker stops once quit is closed.
func onWorker(quit <-chan struct{}) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		queue := make(chan *job)
		go work(h, queue, quit)
		return func(msg *message.Message) ([]*message.Message, error) {
			j := jobs.Get().(*job)
			j.msg = msg
			select {
			case queue <- j:
				<-j.done
			default:
				j.run(h)
			}
			produced, err, panicked := j.produced, j.err, j.panicked
			*j = job{done: j.done}
			jobs.Put(j)
			if panicked != nil {
				panic(panicked)
			}
			return produced, err
		}
	}
}

// work handles the jobs of queue until quit is closed.
func work(h message.HandlerFunc, queue <-chan *job, quit <-chan struct{}) {
	for {
		select {
		case j := <-queue:
			j.run(h)
			j.done <- struct{}{}
		case <-quit:
			return
		}
	}
}

// run calls h with the job's message and records its outcome, a panic included.
func (j *job) run(h message.HandlerFunc) {
	defer func() {
		if r := recover(); r != nil {
			j.panicked = &workerPanic{value: r, stack: debug.Stack()}
		}
	}()
	j.produced, j.err = h(j.msg)
}
