//! Result files (`--out result=FILE`) and `barrage merge`: one test run
//! as several instances, each running an execution segment, judged as one.

pub mod format;
pub mod merge;
