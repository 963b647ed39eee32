// Hello, Barrage: the smallest useful scenario, in Go.
//
// Every iteration fetches one page, checks that it answered 200 and then
// thinks for a moment, like a user reading it. The scenario sets no
// options of its own, so the number of VUs and the duration come from the
// command line.
//
// Variables, all optional:
//   - TARGET: the URL to fetch; by default the built-in target server.
//   - SLEEP: seconds to think after each request (default 1; 0 skips the
//     pause entirely, for a closed loop as fast as the server allows).
package main

import barrage "barrage.dev/sdk"

// The VU's settings, read once in initVU. Every VU is an instance of its
// own, so these variables are the VU's alone.
var (
	target string
	pause  float64
)

func init() {
	barrage.Register(barrage.Scenario{
		Init:    initVU,
		Default: iteration,
	})
}

func initVU(barrage.SetupData) error {
	target = barrage.EnvOr("TARGET", "http://127.0.0.1:8080/")
	var err error
	pause, err = barrage.EnvFloat("SLEEP", 1)
	return err
}

func iteration() error {
	res := barrage.Get(target)
	barrage.Check("status is 200", res.Status == 200)
	if pause > 0 {
		barrage.Sleep(pause)
	}
	return nil
}

// main is never called: Barrage calls the functions registered above.
func main() {}
