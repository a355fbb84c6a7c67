// Package transport is the interface every broker kind implements: a Transport makes
// Watermill publishers, and subscribers for the SubscriberOptions of a consumer group
// (its Group, Delivery and Instance). Each kind is a package of its own (memory, amqp,
// redisstream, sql) that registers a Kind with Register, with the settings it takes in a
// topology file (Kind.Settings, its type known only to its package); package builtin
// registers the shipped kinds, and New opens a topology transport through its kind. Each kind's
// documentation says how a topic and the shared and broadcast modes map to its broker.
package transport
