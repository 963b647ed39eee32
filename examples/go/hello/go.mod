module barrage.dev/examples/hello

go 1.24

require barrage.dev/sdk v0.1.0
