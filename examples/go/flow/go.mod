module barrage.dev/examples/flow

go 1.24

require barrage.dev/sdk v0.1.0
