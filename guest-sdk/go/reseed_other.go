//go:build !(wasip1 && barrage_snapshot)

package barrage

// reseedRuntime has nothing to do in a scenario whose runtime started
// in its own VU: see reseed_snapshot.go.
func reseedRuntime() {}
