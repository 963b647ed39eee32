module barrage.dev/tests/guest

go 1.24

require barrage.dev/sdk v0.1.0
