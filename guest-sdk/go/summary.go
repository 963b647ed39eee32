package barrage

// SummaryOutput is what [Scenario.HandleSummary] asks of the host at the
// end of a test: whether to print Barrage's own summary, and which reports
// to write.
//
//	return barrage.ReplaceSummary().
//		Stdout("my own summary\n").
//		File("reports/summary.json", string(summary)), nil
type SummaryOutput struct {
	builtin bool
	files   []pair
}

// BuiltinSummary keeps Barrage's own summary; add reports with the methods.
func BuiltinSummary() *SummaryOutput {
	return &SummaryOutput{builtin: true}
}

// ReplaceSummary prints only what the scenario returns, not Barrage's
// summary.
func ReplaceSummary() *SummaryOutput {
	return &SummaryOutput{}
}

// File writes content to path, relative to the directory Barrage runs in
// (it may not leave it), and returns o.
func (o *SummaryOutput) File(path, content string) *SummaryOutput {
	o.files = append(o.files, pair{path, content})
	return o
}

// Stdout prints content on standard output and returns o.
func (o *SummaryOutput) Stdout(content string) *SummaryOutput {
	return o.File("stdout", content)
}

// Stderr prints content on standard error and returns o.
func (o *SummaryOutput) Stderr(content string) *SummaryOutput {
	return o.File("stderr", content)
}
