package barrage

// Messages for the person running the test. A scenario has no terminal
// of its own: these functions hand the message to the host, which writes
// it to the run's log tagged with the VU, so that the output of a thousand
// VUs stays readable.

import "fmt"

// LogDebug logs detail that is only useful while writing the scenario.
func LogDebug(msg string) { host.log(levelDebug, msg) }

// LogInfo logs a message about the normal course of the test.
func LogInfo(msg string) { host.log(levelInfo, msg) }

// LogWarn logs something the person running the test should look at.
func LogWarn(msg string) { host.log(levelWarn, msg) }

// LogError logs a failure.
func LogError(msg string) { host.log(levelError, msg) }

// LogDebugf is [LogDebug] with a message formatted as by fmt.Sprintf.
func LogDebugf(format string, args ...any) { LogDebug(fmt.Sprintf(format, args...)) }

// LogInfof is [LogInfo] with a message formatted as by fmt.Sprintf.
func LogInfof(format string, args ...any) { LogInfo(fmt.Sprintf(format, args...)) }

// LogWarnf is [LogWarn] with a message formatted as by fmt.Sprintf.
func LogWarnf(format string, args ...any) { LogWarn(fmt.Sprintf(format, args...)) }

// LogErrorf is [LogError] with a message formatted as by fmt.Sprintf.
func LogErrorf(format string, args ...any) { LogError(fmt.Sprintf(format, args...)) }
