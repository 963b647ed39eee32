package barrage

// Checks: named assertions that are counted, not fatal. A failed check
// does not stop the iteration; the host records every outcome in the
// checks rate, per check name, so that a threshold can demand for example
// that 99 % of responses had status 200.

// Check records one check named name, with optional extra tags on its
// sample, and returns passed.
//
//	if !barrage.Check("status is 200", res.Status == 200) {
//		barrage.LogWarnf("unexpected status %d", res.Status)
//	}
func Check(name string, passed bool, tags ...Tags) bool {
	return host.check(name, passed, mergeTags(tags))
}

// Condition is one named check on a value of type T, for [CheckAll].
type Condition[T any] struct {
	// Name is the check's name in the results.
	Name string
	// Pass reports whether the value passes.
	Pass func(T) bool
}

// Cond makes a [Condition]; T is inferred from pass.
func Cond[T any](name string, pass func(T) bool) Condition[T] {
	return Condition[T]{Name: name, Pass: pass}
}

// CheckAll runs named checks on one value, in the order given, and
// reports whether all of them passed. Every condition runs and is
// recorded, even after one failed, as k6's check does.
//
//	barrage.CheckAll(res,
//		barrage.Cond("status is 200", func(r *barrage.Response) bool { return r.Status == 200 }),
//		barrage.Cond("body is not empty", func(r *barrage.Response) bool { return len(r.Body) > 0 }),
//	)
func CheckAll[T any](value T, conds ...Condition[T]) bool {
	all := true
	for _, c := range conds {
		if !Check(c.Name, c.Pass(value)) {
			all = false
		}
	}
	return all
}
