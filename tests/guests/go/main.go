// A Go scenario for the tests: what MODE asks for.
//
//   - refused: a request to a closed port; checks that the failure
//     reaches the scenario as status 0 with k6's code and a message.
//   - error: the iteration returns an error.
//   - panic: the iteration panics.
//   - random: the iteration prints "random N" on standard output, N from
//     math/rand/v2.
package main

import (
	"errors"
	"fmt"
	"math/rand/v2"

	barrage "barrage.dev/sdk"
)

var mode string

func init() {
	barrage.Register(barrage.Scenario{
		Init: func(barrage.SetupData) error {
			mode = barrage.EnvOr("MODE", "refused")
			return nil
		},
		Default: iteration,
	})
}

func iteration() error {
	switch mode {
	case "refused":
		res := barrage.Get("http://127.0.0.1:1/")
		barrage.Check("refusal is status 0", res.Status == 0)
		barrage.Check("refusal carries an error", res.Error != "" && res.ErrorCode == 1212)
	case "error":
		return errors.New("returned on purpose")
	case "panic":
		panic("panicked on purpose")
	case "random":
		fmt.Printf("random %d\n", rand.Uint64())
	}
	return nil
}

func main() {}
