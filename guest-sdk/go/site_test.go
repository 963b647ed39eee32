package barrage_test

import (
	"strings"
	"testing"

	barrage "barrage.dev/sdk"
)

func TestAPanicNamesTheScenarioLine(t *testing.T) {
	err := barrage.Protect(func() error {
		var s []int
		_ = s[3]
		return nil
	})
	if err == nil || !strings.HasPrefix(err.Error(), "panic: runtime error: index out of range") ||
		!strings.Contains(err.Error(), "(at site_test.go:") {
		t.Fatalf("error %v", err)
	}
}

func TestAPanicInsideTheSDKNamesTheCaller(t *testing.T) {
	err := barrage.Protect(func() error {
		barrage.NewCounter("c").Add(1) // no host outside Barrage: the SDK panics
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "only inside a test run by Barrage") ||
		!strings.Contains(err.Error(), "(at site_test.go:") {
		t.Fatalf("error %v", err)
	}
}
