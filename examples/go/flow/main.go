// A user's journey, in Go: log in, list the items, create one.
//
// This scenario shows the parts of Barrage a real test leans on:
//   - groups (login, list, create), so that the summary breaks results
//     down by step;
//   - JSON bodies in both directions, and a bearer token carried from one
//     request to the next;
//   - checks on every response;
//   - custom metrics: the time trend flow_create_duration, fed from the
//     create request's own timings, and the counter items_created;
//   - WithName: the list request carries a cache-busting query parameter,
//     so that no cache in front of the server can answer for it, and the
//     name keeps those thousands of distinct URLs one line in the summary.
//
// Each VU logs in once, in initVU, and reuses its token: a real user logs
// in once per session, not before every click, and a login that fails
// then fails the VU's start loudly instead of every iteration.
//
// Variables, all optional:
//   - TARGET: the base URL; by default the built-in target server.
//   - SLEEP: seconds to think at the end of each iteration (default 1; 0
//     skips the pause).
package main

import (
	"fmt"
	"strings"

	barrage "barrage.dev/sdk"
)

// item is an item as the server returns it.
type item struct {
	ID   uint64 `json:"id"`
	Name string `json:"name"`
}

// The VU's state, set once in initVU. Every VU is an instance of its own,
// so these variables are the VU's alone.
var (
	base  string
	auth  string
	pause float64
)

// The scenario's own metrics, defined in the host in initVU.
var (
	createDuration = barrage.NewTrend("flow_create_duration", true)
	itemsCreated   = barrage.NewCounter("items_created")
)

func init() {
	barrage.Register(barrage.Scenario{
		Init:    initVU,
		Default: iteration,
	})
}

func initVU(barrage.SetupData) error {
	base = strings.TrimRight(barrage.EnvOr("TARGET", "http://127.0.0.1:8080"), "/")
	var login struct {
		Token string `json:"token"`
	}
	err := barrage.GroupErr("login", func() error {
		credentials := map[string]string{
			"username": fmt.Sprintf("vu-%d", barrage.VU().ID),
			"password": "secret",
		}
		res := barrage.Post(base+"/login", nil, barrage.WithJSON(credentials))
		barrage.Check("login status is 200", res.Status == 200)
		if err := res.Err(); err != nil {
			return err
		}
		return res.JSON(&login)
	})
	if err != nil {
		return err
	}
	auth = "Bearer " + login.Token
	if pause, err = barrage.EnvFloat("SLEEP", 1); err != nil {
		return err
	}
	// Defining the metrics here makes a bad name fail the VU's start,
	// not every iteration.
	if err := createDuration.Define(); err != nil {
		return err
	}
	return itemsCreated.Define()
}

func iteration() error {
	barrage.Group("list", list)
	if err := barrage.GroupErr("create", create); err != nil {
		return err
	}
	if pause > 0 {
		barrage.Sleep(pause)
	}
	return nil
}

func list() {
	me := barrage.VU()
	res := barrage.Get(fmt.Sprintf("%s/items?fresh=%d-%d", base, me.ID, me.Iteration),
		barrage.WithName(base+"/items?fresh={vu}-{iteration}"),
		barrage.WithHeader("Authorization", auth),
	)
	barrage.CheckAll(res,
		barrage.Cond("list status is 200", func(r *barrage.Response) bool {
			return r.Status == 200
		}),
		barrage.Cond("list is a JSON array of items", isItemList),
	)
}

// isItemList reports whether the body is a JSON array of items, each with
// a numeric id and a string name.
func isItemList(r *barrage.Response) bool {
	var items []struct {
		ID   *uint64 `json:"id"`
		Name *string `json:"name"`
	}
	if r.JSON(&items) != nil || items == nil {
		return false
	}
	for _, it := range items {
		if it.ID == nil || it.Name == nil {
			return false
		}
	}
	return true
}

// create creates an item. A failed create fails the iteration: it is the
// step this flow exists to measure.
func create() error {
	me := barrage.VU()
	name := fmt.Sprintf("pen from vu-%d #%d", me.ID, me.Iteration)
	res := barrage.Post(base+"/items", nil,
		barrage.WithHeader("Authorization", auth),
		barrage.WithJSON(map[string]string{"name": name}),
	)
	createDuration.AddDuration(res.Timings.Duration)
	barrage.Check("create status is 201", res.Status == 201)
	if err := res.Err(); err != nil {
		return err
	}
	var created item
	if err := res.JSON(&created); err != nil {
		return err
	}
	barrage.Check("created item has the name sent", created.Name == name)
	itemsCreated.Add(1)
	barrage.LogDebugf("created item %d", created.ID)
	return nil
}

// main is never called: Barrage calls the functions registered above.
func main() {}
