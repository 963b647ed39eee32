// Package barrage writes Barrage load-test scenarios in Go.
//
// A Barrage scenario is a WebAssembly component: the host runs one
// instance of it per virtual user (VU), and each instance asks the host to
// send requests, record checks and metrics, and sleep. This package turns
// the component contract (wit/scenario.wit in the Barrage repository) into
// an API that reads like a k6 script.
//
// A scenario is a package main that registers itself from an init
// function. Its main function is never called, so it stays empty:
//
//	package main
//
//	import barrage "barrage.dev/sdk"
//
//	var target string
//
//	func init() {
//		barrage.Register(barrage.Scenario{
//			Init: func(barrage.SetupData) error {
//				target = barrage.EnvOr("TARGET", "http://127.0.0.1:8080/")
//				return nil
//			},
//			Default: func() error {
//				res := barrage.Get(target)
//				barrage.Check("status is 200", res.Status == 200)
//				barrage.Sleep(1)
//				return nil
//			},
//		})
//	}
//
//	func main() {}
//
// Build it with `barrage build DIR`, or by hand as described in BUILD.md.
//
// # One VU, one instance
//
// Every VU is an instance of its own, with its own memory: package-level
// variables belong to the VU that set them, so the state a VU builds in
// [Scenario.Init] can live in ordinary variables. An instance runs one call
// at a time; goroutines work but never run in parallel, and a host call
// (a request, a sleep) pauses all of them.
//
// # Errors and panics
//
// An error returned from a lifecycle function, and a panic in one, fail
// that call only: a failed iteration is counted with its message and the
// VU goes on with the next. Network failures are not Go errors at all: they
// come back as a [Response] with status 0 and [Response.Error] set.
//
// # Outside Barrage
//
// The functions that talk to the host work only inside a running test,
// that is when the package is built with GOOS=wasip1 GOARCH=wasm and run
// by Barrage. In any other build they panic; the package still compiles
// there, so editors, go vet and unit tests of pure code work as usual.
package barrage
