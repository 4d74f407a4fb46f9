//! `cnb-local bench`: placeholder while the bench moves to pack.
use std::path::Path;

/// # Errors
/// Always, for now.
pub fn run(_workspace_root: &Path, _rounds: usize) -> Result<String, String> {
    Err(String::from("the bench is being moved to pack"))
}
