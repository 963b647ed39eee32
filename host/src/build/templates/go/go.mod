module {{name}}

go 1.24

// The SDK this Barrage carries: `barrage build` provides it through a
// generated go.work, so no module proxy is needed.
require barrage.dev/sdk v0.1.0
