//! Logic shared by the Go buildpack, its inventory updater and its test harness, so that each
//! rule lives once.

pub mod build_info;
pub mod git_credential;
pub mod git_source;
pub mod go_mod;
pub mod go_quoted;
pub mod go_version;
pub mod go_work;
pub mod inventory;
pub mod memlimit;
pub mod netrc;
pub mod procfile;
pub mod tree_archive;

/// Go's escaping of module paths and versions in proxy URLs and the module cache: an upper-case
/// letter becomes `!` and the letter in lower case (`BurntSushi` → `!burnt!sushi`).
#[must_use]
pub fn escape_module_path(text: &str) -> String {
    text.chars()
        .fold(String::with_capacity(text.len()), |mut out, c| {
            if c.is_ascii_uppercase() {
                out.push('!');
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
            out
        })
}

/// The SHA-256 of a file's contents, read in pieces so that a big file never sits in memory
/// whole.
///
/// # Errors
/// When the file cannot be read.
pub fn sha256_of_file(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    let mut file = std::fs::File::open(path)?;
    let mut piece = vec![0; 1 << 16];
    loop {
        match std::io::Read::read(&mut file, &mut piece) {
            Ok(0) => return Ok(hasher.finalize().to_vec()),
            Ok(read) => hasher.update(&piece[..read]),
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}

/// Lower-case hexadecimal of `bytes` (how checksums are written in inventories and reports).
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn module_paths_are_escaped_as_go_does() {
        assert_eq!(
            super::escape_module_path("github.com/BurntSushi/toml@v1.0.0-RC1"),
            "github.com/!burnt!sushi/toml@v1.0.0-!r!c1"
        );
        assert_eq!(
            super::escape_module_path("example.test/x"),
            "example.test/x"
        );
    }

    #[test]
    fn hex_is_lower_case_and_zero_padded() {
        assert_eq!(super::hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
        assert_eq!(super::hex(&[]), "");
    }
}
