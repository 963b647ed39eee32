//! The end-of-test summary as a scenario sees it, and the reports it
//! may make of it in [`Scenario::handle_summary`](crate::Scenario::handle_summary).

/// What [`Scenario::handle_summary`](crate::Scenario::handle_summary)
/// asks the host to do: print its own summary or not, and which reports
/// to write.
///
/// ```no_run
/// # use barrage_sdk::prelude::*;
/// let report = SummaryOutput::replace()
///     .stdout("my own summary\n")
///     .file("reports/summary.json", "{}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryOutput {
    pub(crate) builtin: bool,
    pub(crate) files: Vec<(String, String)>,
}

impl SummaryOutput {
    /// Keep Barrage's own summary; add reports with the methods below.
    pub fn builtin() -> Self {
        SummaryOutput {
            builtin: true,
            files: Vec::new(),
        }
    }

    /// Print only what the scenario returns, not Barrage's summary.
    pub fn replace() -> Self {
        SummaryOutput {
            builtin: false,
            files: Vec::new(),
        }
    }

    /// Writes `content` to `path`, relative to the directory Barrage runs
    /// in (it may not leave it).
    pub fn file(mut self, path: impl Into<String>, content: impl Into<String>) -> Self {
        self.files.push((path.into(), content.into()));
        self
    }

    /// Prints `content` on standard output.
    pub fn stdout(self, content: impl Into<String>) -> Self {
        self.file("stdout", content)
    }

    /// Prints `content` on standard error.
    pub fn stderr(self, content: impl Into<String>) -> Self {
        self.file("stderr", content)
    }
}
