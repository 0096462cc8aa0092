//! `synod lin --html`: placeholder while the page is written.

use std::time::Duration;
use synod_check::{CheckReport, History, ModelKind};

/// The page.
pub fn page(
    _name: &str,
    _history: &History,
    _model: ModelKind,
    _report: &CheckReport,
    _took: Duration,
) -> String {
    String::new()
}
