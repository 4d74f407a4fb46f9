//! Logic shared by the Go buildpack, its inventory updater and its test harness, so that each
//! rule lives once.

pub mod build_info;
pub mod go_version;
pub mod inventory;

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
    fn hex_is_lower_case_and_zero_padded() {
        assert_eq!(super::hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
        assert_eq!(super::hex(&[]), "");
    }
}
