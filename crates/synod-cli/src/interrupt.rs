//! Ctrl-C for the long-running commands (`synod run`, `synod check`): the first one asks the
//! work to stop, so the command can print the summary of what finished and exit 130; a second
//! one ends the process at once.

use std::sync::atomic::{AtomicBool, Ordering};

/// The exit code of a command stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_CODE: u8 = 130;

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Catch Ctrl-C from now on. Without a handler (one is already set, or the platform has none),
/// Ctrl-C keeps its default effect and simply ends the process.
pub fn catch() {
    let _ = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            // The second Ctrl-C: the user does not want to wait for the summary.
            std::process::exit(i32::from(EXIT_CODE));
        }
    });
}

/// Whether Ctrl-C was pressed.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}
