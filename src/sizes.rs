//! Counts and sizes in the words the output prints. Apart from the layers, so that every
//! module that reports what it removed can use them without importing the layers.

use std::path::Path;

/// How many things a layer pruned: "1 entry", "3 entries".
pub(crate) fn count_of(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// Bytes in megabytes, to a tenth: "1.2 MB".
pub(crate) fn megabytes(bytes: u64) -> String {
    let tenths = bytes / 100_000;
    format!("{}.{} MB", tenths / 10, tenths % 10)
}

/// The size of the files under `path` (nothing, if it cannot be read).
pub(crate) fn tree_size(path: &Path) -> u64 {
    std::fs::read_dir(path).map_or(0, |entries| {
        entries
            .flatten()
            .map(|entry| match entry.file_type() {
                Ok(kind) if kind.is_dir() => tree_size(&entry.path()),
                Ok(_) => entry.metadata().map_or(0, |m| m.len()),
                Err(_) => 0,
            })
            .sum()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_sizes_read_as_words() {
        assert_eq!(count_of(1, "entry", "entries"), "1 entry");
        assert_eq!(count_of(3, "entry", "entries"), "3 entries");
        assert_eq!(megabytes(1_250_000), "1.2 MB");
        assert_eq!(megabytes(99_999), "0.0 MB");
    }
}
