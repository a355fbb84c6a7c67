// Package health answers the liveness and readiness probes of a millrace service.
//
// GET /healthz answers 200 while the process serves HTTP. GET /readyz runs every
// registered check concurrently, each bounded by Config.Timeout, and answers
//
//	200 {"status":"ready","checks":{"transport:rabbit":"ok","database:users":"ok"}}
//	503 {"status":"not ready","checks":{"transport:rabbit":"ping transport \"rabbit\": ...",...},
//	     "failing":["transport:rabbit"]}
//
// TransportChecks gives one check per transport a bus opened (bus.PingTransport), DB
// one per database; any func(context.Context) error can be a Check. After Drain the
// service reports not ready ("shutdown": "draining") so that traffic moves away
// before a graceful shutdown.
package health
