package barrage

// What a VU can learn about its run, and how it waits. A scenario sees no
// process environment and keeps no clock of its own for pauses: the
// variables passed with -e, the VU's identity and sleeping all come from
// the host, so that a sleeping VU costs no thread and a test sees exactly
// what its runner chose to pass.

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// VUInfo says who the calling VU is and how far it has got.
type VUInfo struct {
	// ID is the VU's number in this test instance, from 1; 0 in setup and
	// teardown.
	ID int
	// Iteration counts the iterations this VU started before the current
	// one: 0 in the first.
	Iteration int64
	// Scenario is the name of the scenario this VU runs.
	Scenario string
}

// VU describes the calling VU.
//
//	user := fmt.Sprintf("vu-%d", barrage.VU().ID)
func VU() VUInfo {
	return host.vu()
}

// Env reads a variable passed with -e KEY=VALUE. The scenario sees nothing
// else of the environment Barrage runs in (os.Getenv does not see these
// variables).
func Env(key string) (string, bool) {
	return host.env(key)
}

// EnvOr reads a variable passed with -e, or returns fallback when it is
// not set.
//
//	target := barrage.EnvOr("TARGET", "http://127.0.0.1:8080/")
func EnvOr(key, fallback string) string {
	if value, ok := Env(key); ok {
		return value
	}
	return fallback
}

// EnvFloat reads a variable passed with -e as a number, or returns
// fallback when it is not set. The error names the variable when its value
// is not a number.
//
//	pause, err := barrage.EnvFloat("SLEEP", 1)
func EnvFloat(key string, fallback float64) (float64, error) {
	text, ok := Env(key)
	if !ok {
		return fallback, nil
	}
	value, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil {
		return fallback, fmt.Errorf("invalid value %q for %s: not a number", text, key)
	}
	return value, nil
}

// EnvInt reads a variable passed with -e as an integer, or returns
// fallback when it is not set. The error names the variable when its value
// is not an integer.
func EnvInt(key string, fallback int) (int, error) {
	text, ok := Env(key)
	if !ok {
		return fallback, nil
	}
	value, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil {
		return fallback, fmt.Errorf("invalid value %q for %s: not an integer", text, key)
	}
	return value, nil
}

// Sleep pauses the VU for seconds (think time), without holding a thread.
// Use it rather than time.Sleep, which would stall the whole instance.
func Sleep(seconds float64) {
	host.sleep(seconds)
}

// SleepFor pauses the VU for d, like [Sleep].
func SleepFor(d time.Duration) {
	host.sleep(d.Seconds())
}
