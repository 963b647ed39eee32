package barrage

// The lifecycle of a test, and the glue between it and the component's
// exports.
//
// The host calls the exports one at a time: options, then setup in an
// instance of its own, then init and iterations in each VU's instance,
// then teardown and handle-summary. Each export runs the matching function
// of the registered Scenario, turning an error or a panic into the
// export's error string: a scenario's bug fails one call and is reported
// with its message, it never traps the instance.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"runtime"
	"runtime/debug"
	"strings"
)

// Scenario is what a test does: every function is optional except that
// some iteration function is needed for a VU to do anything. Register it
// from an init function of package main.
//
//	func init() {
//		barrage.Register(barrage.Scenario{
//			Options: map[string]any{"vus": 10, "duration": "30s"},
//			Init:    initVU,
//			Default: browse,
//			Exec:    map[string]func() error{"checkout": checkout},
//		})
//	}
type Scenario struct {
	// Options are the scenario's own options with k6's names (vus,
	// duration, iterations, ...), encoded as JSON; a json.RawMessage is
	// passed verbatim. Flags and configuration override them. nil leaves
	// everything to them.
	Options any

	// Setup runs once, before any VU starts, in an instance of its own.
	// Its result is encoded as JSON (a json.RawMessage verbatim, nil as
	// nothing) and handed to every VU's Init and to Teardown.
	Setup func() (any, error)

	// Init runs once in each VU before its first iteration: the place to
	// read variables, define metrics and log in. The VU's state can live
	// in package-level variables, since each VU is an instance of its own.
	// An error fails the VU's start.
	Init func(data SetupData) error

	// Default is the iteration function: it runs again and again in each
	// VU. An error fails this iteration only; the VU goes on with the
	// next.
	Default func() error

	// Exec holds further iteration functions by name, for tests whose
	// options choose one with exec. "default" names Default.
	Exec map[string]func() error

	// Teardown runs once, after the last iteration, with the setup data.
	Teardown func(data SetupData) error

	// HandleSummary makes the scenario's own reports from the end-of-test
	// summary, as k6's handleSummary does: summary is the JSON of
	// --summary-export. It is called once, after Teardown. A nil result
	// (or no HandleSummary) keeps Barrage's summary and writes nothing
	// else.
	HandleSummary func(summary []byte) (*SummaryOutput, error)
}

// SetupData is what Setup returned, as JSON; empty when there was no
// Setup or it returned nil.
type SetupData []byte

// Decode decodes the setup data into v. Empty data leaves v as it is.
func (d SetupData) Decode(v any) error {
	if len(d) == 0 {
		return nil
	}
	if err := json.Unmarshal(d, v); err != nil {
		return fmt.Errorf("the setup data is not the expected JSON: %w", err)
	}
	return nil
}

// The registered scenario, per instance.
var (
	registered  *Scenario
	optionsJSON string
	// problem is a mistake in the registration, reported by every export
	// that runs scenario code.
	problem string
	// vuReady is set once Init succeeded in this instance.
	vuReady bool
)

// Register makes s the scenario of this component. Call it once, from an
// init function of package main: the component's exports run it.
//
// Register does not call the host, and neither may other init functions:
// the host is only reachable from the scenario's functions.
func Register(s Scenario) {
	if registered != nil {
		problem = "barrage.Register was called more than once: register a single Scenario"
		return
	}
	text, err := encodeJSON(s.Options)
	if err != nil {
		problem = "cannot encode the scenario's Options as JSON: " + err.Error()
	}
	optionsJSON = text
	registered = &s
}

// encodeJSON encodes v for the host: nil as nothing, a json.RawMessage
// verbatim, anything else with encoding/json.
func encodeJSON(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case json.RawMessage:
		return string(v), nil
	}
	b, err := marshalJSON(v)
	return string(b), err
}

// marshalJSON is json.Marshal without its escaping of <, > and &, which
// is meant for HTML and only makes request bodies and reports harder to
// read.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// scenario returns the registered scenario, or why there is none.
func scenario() (*Scenario, error) {
	switch {
	case problem != "":
		return nil, errors.New(problem)
	case registered == nil:
		return nil, errors.New("no scenario is registered: call barrage.Register from an init function of package main")
	}
	return registered, nil
}

func runOptions() string {
	return optionsJSON
}

func runSetup() (string, error) {
	s, err := scenario()
	if err != nil || s.Setup == nil {
		return "", err
	}
	var data any
	err = protect(func() (err error) {
		data, err = s.Setup()
		return err
	})
	if err != nil {
		return "", err
	}
	text, err := encodeJSON(data)
	if err != nil {
		return "", fmt.Errorf("cannot encode the setup data as JSON: %w", err)
	}
	return text, nil
}

func runInit(data string) error {
	s, err := scenario()
	if err != nil {
		return err
	}
	if s.Init != nil {
		if err := protect(func() error { return s.Init(SetupData(data)) }); err != nil {
			return err
		}
	}
	vuReady = true
	return nil
}

func runIteration(exec string) error {
	s, err := scenario()
	if err != nil {
		return err
	}
	if !vuReady {
		return errors.New("iteration was called before init succeeded")
	}
	fn := s.Exec[exec]
	if exec == "default" && s.Default != nil {
		fn = s.Default
	}
	if fn == nil {
		if exec == "default" {
			return errors.New("the scenario has no Default function")
		}
		return fmt.Errorf("unknown exec function %q", exec)
	}
	return protect(fn)
}

func runTeardown(data string) error {
	s, err := scenario()
	if err != nil || s.Teardown == nil {
		return err
	}
	return protect(func() error { return s.Teardown(SetupData(data)) })
}

func runHandleSummary(summary []byte) (*SummaryOutput, error) {
	s, err := scenario()
	if err != nil {
		return nil, err
	}
	if s.HandleSummary == nil {
		return BuiltinSummary(), nil
	}
	var out *SummaryOutput
	err = protect(func() (err error) {
		out, err = s.HandleSummary(summary)
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = BuiltinSummary()
	}
	return out, nil
}

// protect runs fn, turning a nil-returning success into nil, an error into
// itself (a nil-message error still reads as something), and a panic into
// an error naming the panic and where it happened.
func protect(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError(v)
		}
	}()
	err = fn()
	if err != nil && err.Error() == "" {
		err = errors.New("failed with an empty error message")
	}
	return err
}

// panicError describes a recovered panic. It runs in the deferred call,
// while the panicking frames are still on the stack, and logs the whole
// stack at debug level.
func panicError(v any) error {
	msg := fmt.Sprint(v)
	if e, ok := v.(error); ok {
		msg = e.Error()
	}
	text := "panic: " + msg
	if at := panicSite(); at != "" {
		text += " (at " + at + ")"
	}
	func() {
		// The log must not turn a reported panic into a trap.
		defer func() { _ = recover() }()
		LogDebug(text + "\n" + string(debug.Stack()))
	}()
	return errors.New(text)
}

// panicSite is the innermost frame of the panicking stack outside the Go
// runtime and this package: the scenario's line that panicked, or that
// called the SDK function that did.
func panicSite() string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if f.Function != "" && !strings.HasPrefix(f.Function, "runtime.") &&
			!strings.HasPrefix(f.Function, "barrage.dev/sdk.") {
			return fmt.Sprintf("%s:%d in %s", path.Base(f.File), f.Line, f.Function)
		}
		if !more {
			return ""
		}
	}
}
