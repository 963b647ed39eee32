module barrage.dev/sdk

go 1.24
