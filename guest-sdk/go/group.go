package barrage

// Groups: named sections of an iteration, like k6's group. Requests,
// checks and metrics inside a group carry its path as a tag (::login,
// ::checkout::pay), and the host times each group in group_duration. The
// host keeps the stack of open groups, so every start is matched by
// exactly one end, whichever way the group's code leaves, panics
// included.

// Group runs fn inside the group name. Groups nest.
//
//	barrage.Group("list", func() {
//		res := barrage.Get(base + "/items")
//		barrage.Check("status is 200", res.Status == 200)
//	})
func Group(name string, fn func()) {
	g := StartGroup(name)
	defer g.End()
	fn()
}

// GroupErr runs fn inside the group name and returns its error, for steps
// that may end the iteration:
//
//	if err := barrage.GroupErr("create", create); err != nil {
//		return err
//	}
func GroupErr(name string, fn func() error) error {
	g := StartGroup(name)
	defer g.End()
	return fn()
}

// OpenGroup is a group started with [StartGroup], until its End.
type OpenGroup struct {
	ended bool
}

// StartGroup enters the group name until End is called on the result, for
// code where a function literal is awkward:
//
//	defer barrage.StartGroup("checkout").End()
func StartGroup(name string) *OpenGroup {
	host.groupStart(name)
	return &OpenGroup{}
}

// End leaves the group. Calling it again does nothing.
func (g *OpenGroup) End() {
	if g == nil || g.ended {
		return
	}
	g.ended = true
	host.groupEnd()
}
