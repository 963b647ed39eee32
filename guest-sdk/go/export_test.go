package barrage

// Hooks for the tests of package barrage_test, which see the SDK from the
// outside as a scenario does.

// Protect runs fn as an export would.
var Protect = protect
