package amqp

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-amqp/v2/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"
)

// healingPublisher keeps watermill-amqp's publisher usable across broker outages.
//
// The channel pool of watermill-amqp v2.1.3 loses a channel each time reopening one
// fails, which happens when the connection drops between the publisher's "connected"
// check and the reopen, a window that concurrent publishers hit during an outage. The
// lost channel goes back neither to the pool nor anywhere else: the pool shrinks by one,
// publishing blocks for good once it is empty, and Close panics on the lost channel's
// nil AMQP channel.
//
// healingPublisher notices the loss from the error it causes ("cannot open channel:
// create AMQP channel" or "... confirm AMQP channel") and replaces the Watermill
// publisher, connection and pool, with a new one. Until a replacement could be built (the
// broker is still away) publishing fails at once instead of using the damaged pool; a new
// build is tried at most every retry interval. Replaced publishers are closed in the
// background, and a panic while closing one is recovered and reported.
type healingPublisher struct {
	build  func() (message.Publisher, error)
	retry  time.Duration
	logger watermill.LoggerAdapter

	mu        sync.Mutex
	pub       message.Publisher
	damaged   bool
	lastBuild time.Time
	closed    bool
	retiring  sync.WaitGroup
}

func newHealingPublisher(build func() (message.Publisher, error), retry time.Duration, logger watermill.LoggerAdapter) (*healingPublisher, error) {
	pub, err := build()
	if err != nil {
		return nil, err
	}
	return &healingPublisher{build: build, retry: retry, logger: logger, pub: pub}, nil
}

// lostChannel reports whether err is the failure that costs watermill-amqp's pool a
// channel.
func lostChannel(err error) bool {
	s := err.Error()
	return strings.Contains(s, "cannot open channel: create AMQP channel") ||
		strings.Contains(s, "cannot open channel: confirm AMQP channel")
}

func (h *healingPublisher) Publish(topic string, msgs ...*message.Message) error {
	pub, err := h.current()
	if err != nil {
		return err
	}
	err = pub.Publish(topic, msgs...)
	if err != nil && lostChannel(err) {
		h.mu.Lock()
		if h.pub == pub {
			h.damaged = true
			h.logger.Info("AMQP publisher lost a pooled channel; replacing the publisher", watermill.LogFields{"error": err.Error()})
		}
		h.mu.Unlock()
	}
	return err
}

// current returns the publisher to use, replacing a damaged one first.
func (h *healingPublisher) current() (message.Publisher, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errors.New("amqp publisher is closed")
	}
	if !h.damaged {
		return h.pub, nil
	}
	if time.Since(h.lastBuild) < h.retry {
		return nil, errors.New("amqp publisher is reconnecting after losing a channel")
	}
	h.lastBuild = time.Now()
	next, err := h.build()
	if err != nil {
		return nil, fmt.Errorf("amqp publisher is reconnecting after losing a channel: %w", err)
	}
	old := h.pub
	h.pub, h.damaged = next, false
	h.retiring.Add(1)
	go func() {
		defer h.retiring.Done()
		if err := closeWatermillPublisher(old); err != nil {
			h.logger.Error("Closing replaced AMQP publisher", err, nil)
		}
	}()
	return next, nil
}

// Close closes the current publisher and waits for replaced ones to close.
func (h *healingPublisher) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	pub := h.pub
	h.mu.Unlock()
	err := closeWatermillPublisher(pub)
	h.retiring.Wait()
	return err
}

// closeWatermillPublisher closes pub; when watermill-amqp's pool panics on a lost
// channel, it closes the publisher's connection itself and reports the panic.
func closeWatermillPublisher(pub message.Publisher) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("close amqp publisher: channel pool: %v", r)
			if wp, ok := pub.(*amqp.Publisher); ok {
				err = errors.Join(err, wp.ConnectionWrapper.Close())
			}
		}
	}()
	return pub.Close()
}
